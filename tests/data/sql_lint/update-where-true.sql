-- expect expand: refused: without a real WHERE
UPDATE wp_posts SET notes = '' WHERE 1 = 1;
