-- expect expand: refused: RENAME TABLE `wp_orders` to `wc_orders`
alter table wp_orders rename wc_orders;
