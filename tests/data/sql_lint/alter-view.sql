-- expect expand: refused: ALTER VIEW replaces a view
-- expect contract: allowed: ALTER VIEW
ALTER VIEW v_sales AS SELECT 1;
