-- expect expand: allowed: ADD COLUMN `notes`
ALTER TABLE wp_posts ADD COLUMN notes TEXT, ALGORITHM = INSTANT;
