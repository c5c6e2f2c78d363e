-- expect expand: refused: UNIQUE or PRIMARY KEY on existing table `wp_posts`
-- expect contract: allowed: UNIQUE
ALTER TABLE wp_posts ADD COLUMN slug VARCHAR(64) NULL UNIQUE;
