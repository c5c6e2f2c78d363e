-- expect expand: allowed: NOT NULL with a DEFAULT
ALTER TABLE wp_posts ADD COLUMN priority INT NOT NULL DEFAULT 0;
