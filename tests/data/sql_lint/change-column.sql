-- expect expand: refused: CHANGE COLUMN `total` on `wp_orders`: without the current schema
-- expect contract: allowed: CHANGE COLUMN
ALTER TABLE wp_orders CHANGE COLUMN total grand_total DECIMAL(12,2) NOT NULL;
