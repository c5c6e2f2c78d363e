-- expect expand: refused: RENAME COLUMN `total` on `wp_orders`: old code still uses the old name
-- expect contract: allowed: RENAME COLUMN
ALTER TABLE wp_orders RENAME COLUMN total TO grand_total;
