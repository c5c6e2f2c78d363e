-- expect expand: refused: DROP COLUMN `legacy`
-- expect contract: allowed: DROP COLUMN
ALTER TABLE wp_posts DROP legacy;
