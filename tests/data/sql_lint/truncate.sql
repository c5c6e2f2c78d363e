-- expect expand: refused: TRUNCATE `wp_sessions` deletes every row
-- expect contract: allowed: TRUNCATE
TRUNCATE TABLE wp_sessions;
