-- expect expand: refused: without a real WHERE
DELETE FROM wp_options WHERE TRUE LIMIT 10;
