-- expect expand: allowed: table COMMENT
ALTER TABLE wp_orders COMMENT = 'orders of the shop';
