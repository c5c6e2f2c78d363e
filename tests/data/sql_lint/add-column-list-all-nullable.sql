-- expect expand: allowed: ADD COLUMN `a` nullable
ALTER TABLE wp_posts ADD (a INT NULL, b DECIMAL(10,2) DEFAULT 0.00);
