-- expect expand: refused: CONVERT on `wp_orders` rebuilds or converts the table
-- expect contract: allowed: CONVERT
ALTER TABLE wp_orders CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
