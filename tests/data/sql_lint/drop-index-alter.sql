-- expect expand: refused: DROP INDEX `idx_old` on `wp_posts`
-- expect contract: allowed: DROP INDEX
ALTER TABLE wp_posts DROP INDEX idx_old;
