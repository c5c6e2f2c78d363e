-- expect expand: allowed: CREATE TABLE `wp_posts_copy`
CREATE TABLE wp_posts_copy LIKE wp_posts;
