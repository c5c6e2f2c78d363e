-- expect expand: refused: ADD COLUMN `notes` NOT NULL without DEFAULT: old code that inserts rows without it fails
-- expect contract: allowed: NOT NULL without DEFAULT
ALTER TABLE wp_posts ADD COLUMN notes TEXT NOT NULL;
