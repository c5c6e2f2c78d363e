-- expect expand: refused: without WHERE
UPDATE wp_posts SET notes = (SELECT v FROM wp_defaults WHERE k = 'notes');
