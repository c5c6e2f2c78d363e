-- expect expand: allowed: ADD COLUMN `notes` nullable
-- expect contract: allowed: ADD COLUMN `notes`
ALTER TABLE wp_posts ADD COLUMN notes TEXT NULL;
