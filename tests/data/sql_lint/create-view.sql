-- expect expand: allowed: CREATE VIEW `v_sales`: a new view
CREATE ALGORITHM=MERGE DEFINER=`shop`@`localhost` SQL SECURITY INVOKER VIEW v_sales AS SELECT ID FROM wp_posts WHERE post_type = 'shop_order';
