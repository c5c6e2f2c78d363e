-- expect expand: allowed: CREATE INDEX `i`
CREATE INDEX i ON wp_posts (post_date)