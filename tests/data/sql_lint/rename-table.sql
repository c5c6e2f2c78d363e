-- expect expand: refused: RENAME TABLE `wp_orders`: old code still uses the old name
-- expect contract: allowed: RENAME TABLE
RENAME TABLE wp_orders TO wp_orders_old;
