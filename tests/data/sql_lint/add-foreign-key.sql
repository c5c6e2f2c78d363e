-- expect expand: refused: ADD FOREIGN on existing table `wp_postmeta`: old code may write rows it refuses
-- expect contract: allowed: FOREIGN
ALTER TABLE wp_postmeta ADD CONSTRAINT fk_post FOREIGN KEY (post_id) REFERENCES wp_posts (ID);
