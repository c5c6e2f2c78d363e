-- expect expand: allowed: ADD INDEX
ALTER TABLE wp_posts ADD FULLTEXT INDEX ft_title (post_title);
