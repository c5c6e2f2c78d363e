-- expect expand: refused: trailing comma
-- expect contract: refused: trailing comma
ALTER TABLE wp_orders ADD COLUMN a INT NULL,;
