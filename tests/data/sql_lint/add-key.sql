-- expect expand: allowed: ADD INDEX `k_status`
ALTER TABLE wp_posts ADD KEY k_status (post_status, post_date);
