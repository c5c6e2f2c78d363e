-- expect expand: refused: ADD UNIQUE on existing table `wp_posts`: rows already there
-- expect contract: allowed: ADD UNIQUE
ALTER TABLE wp_posts ADD UNIQUE KEY uq_slug (post_name);
