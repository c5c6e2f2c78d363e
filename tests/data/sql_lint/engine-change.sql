-- expect expand: refused: ENGINE on `wp_orders`
-- expect contract: allowed: ENGINE
ALTER TABLE wp_orders ENGINE=InnoDB;
