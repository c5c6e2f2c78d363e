-- expect expand: refused: ADD COLUMN `b` NOT NULL without DEFAULT
ALTER TABLE wp_posts ADD COLUMN (a INT NULL, b INT NOT NULL);
