-- expect expand: refused: RENAME INDEX `a`
-- expect contract: allowed: RENAME INDEX
ALTER TABLE wp_orders RENAME INDEX a TO b;
