-- expect expand: refused: cannot read the column definition
ALTER TABLE wp_posts ADD COLUMN --notes TEXT NULL;
