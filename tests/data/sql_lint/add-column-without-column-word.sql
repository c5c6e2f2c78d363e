-- expect expand: allowed: ADD COLUMN `notes` nullable
ALTER TABLE wp_posts ADD notes VARCHAR(255) AFTER post_title;
