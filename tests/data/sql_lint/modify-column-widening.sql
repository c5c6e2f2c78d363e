-- expect expand: refused: MODIFY COLUMN `title` on `wp_orders`: without the current schema a widening cannot be told
-- expect contract: allowed: MODIFY COLUMN
ALTER TABLE wp_orders MODIFY title VARCHAR(100);
