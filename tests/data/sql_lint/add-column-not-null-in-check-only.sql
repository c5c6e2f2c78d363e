-- expect expand: allowed: ADD COLUMN `code` nullable
ALTER TABLE wp_posts ADD COLUMN code INT CHECK (code IS NOT NULL OR 1);
