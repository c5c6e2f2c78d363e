-- expect expand: allowed: ADD COLUMN `notes` nullable
ALTER TABLE wp_posts ADD COLUMN notes VARCHAR(255);
