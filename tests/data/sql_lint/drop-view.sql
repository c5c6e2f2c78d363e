-- expect expand: refused: DROP VIEW `v_orders`
-- expect contract: allowed: DROP VIEW
DROP VIEW IF EXISTS v_orders;
