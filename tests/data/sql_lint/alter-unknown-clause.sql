-- expect expand: refused: cannot classify "PARTITION" in ALTER TABLE `wp_orders`
-- expect contract: refused: refused in every phase
ALTER TABLE wp_orders PARTITION BY HASH(id) PARTITIONS 4;
