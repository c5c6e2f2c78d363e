-- expect expand: allowed: NOT NULL with a DEFAULT
ALTER TABLE wp_posts ADD COLUMN state ENUM('a','b') DEFAULT 'a' NOT NULL COMMENT 'x';
