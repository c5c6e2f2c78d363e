-- expect expand: allowed: UPDATE `wp_posts` with a WHERE
-- expect contract: allowed: with a WHERE
UPDATE wp_posts SET notes = '' WHERE notes IS NULL AND ID < 1000;
