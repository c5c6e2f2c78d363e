-- expect expand: allowed: ADD COLUMN `notes` nullable
ALTER TABLE wp_posts ADD COLUMN IF NOT EXISTS notes TEXT;
