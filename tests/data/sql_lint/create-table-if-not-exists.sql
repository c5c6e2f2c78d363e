-- expect expand: allowed: CREATE TABLE `wp_order_notes`
CREATE TABLE IF NOT EXISTS `wp_order_notes` (`id` BIGINT NOT NULL PRIMARY KEY);
