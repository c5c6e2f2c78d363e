-- 0001_order_note.sql - release 2 of the WordPress shop: a nullable note on
-- each order (expand: release 1 never names it).
ALTER TABLE wp_cutover_shop_orders ADD COLUMN note VARCHAR(255) NULL;
