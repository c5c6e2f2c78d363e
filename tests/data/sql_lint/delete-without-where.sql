-- expect expand: refused: DELETE `wp_sessions` without WHERE
-- expect contract: allowed: DELETE
DELETE FROM wp_sessions;
