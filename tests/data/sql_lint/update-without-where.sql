-- expect expand: refused: UPDATE `wp_posts` without WHERE changes every row
-- expect contract: allowed: UPDATE `wp_posts` without WHERE
UPDATE wp_posts SET comment_status = 'closed';
