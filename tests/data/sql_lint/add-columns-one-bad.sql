-- expect expand: refused: ADD COLUMN `flag` NOT NULL without DEFAULT
-- expect contract: allowed: 
ALTER TABLE wp_posts ADD COLUMN notes TEXT NULL, ADD COLUMN flag TINYINT NOT NULL;
