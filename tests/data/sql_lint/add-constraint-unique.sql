-- expect expand: refused: ADD UNIQUE on existing table `wp_posts`
ALTER TABLE wp_posts ADD CONSTRAINT uq_slug UNIQUE (post_name);
