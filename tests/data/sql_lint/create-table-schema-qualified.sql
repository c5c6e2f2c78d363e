-- expect expand: allowed: CREATE TABLE `wp_order_notes`
CREATE TABLE `shop`.`wp_order_notes` (id INT);
