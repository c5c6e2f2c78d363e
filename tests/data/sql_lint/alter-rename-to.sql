-- expect expand: refused: RENAME TABLE `wp_orders` to `wc_orders`
-- expect contract: allowed: RENAME TABLE
ALTER TABLE wp_orders RENAME TO wc_orders;
