-- expect expand: refused: DROP TABLE `wp_old_orders`: old code still reads and writes it
-- expect contract: allowed: DROP TABLE `wp_old_orders`
DROP TABLE wp_old_orders;
