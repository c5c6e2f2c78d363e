-- expect expand: refused: DROP PRIMARY KEY
-- expect contract: allowed: PRIMARY KEY
ALTER TABLE wp_log DROP PRIMARY KEY;
