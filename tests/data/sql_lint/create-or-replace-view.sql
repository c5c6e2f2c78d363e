-- expect expand: refused: CREATE OR REPLACE VIEW `v_sales` replaces a view
-- expect contract: allowed: CREATE OR REPLACE VIEW
CREATE OR REPLACE VIEW v_sales AS SELECT ID FROM wp_posts;
