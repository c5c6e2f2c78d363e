-- expect expand: refused: ALTER IGNORE TABLE `wp_orders`
-- expect contract: allowed: ALTER IGNORE
ALTER IGNORE TABLE wp_orders ADD INDEX i (a);
