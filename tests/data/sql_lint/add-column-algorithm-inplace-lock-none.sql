-- expect expand: allowed: ADD COLUMN `notes` nullable
ALTER TABLE wp_posts ADD COLUMN notes TEXT NULL, ALGORITHM=INPLACE, LOCK=NONE;
