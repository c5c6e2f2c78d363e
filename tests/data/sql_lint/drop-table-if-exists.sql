-- expect expand: refused: DROP TABLE `wp_old_orders`
-- expect contract: allowed: DROP TABLE
DROP TABLE IF EXISTS `shop`.`wp_old_orders`;
