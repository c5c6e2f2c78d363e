-- expect expand: refused: SELECT is not a statement
SELECT COUNT(*) FROM wp_posts;
