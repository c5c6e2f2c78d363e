-- expect expand: refused: NULL -> NOT NULL
-- expect contract: allowed: MODIFY
ALTER TABLE wp_orders MODIFY COLUMN note TEXT NOT NULL;
