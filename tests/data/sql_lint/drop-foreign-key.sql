-- expect expand: refused: DROP FOREIGN KEY `fk_post`
-- expect contract: allowed: FOREIGN KEY
ALTER TABLE wp_postmeta DROP FOREIGN KEY fk_post;
