-- expect expand: refused: DROP INDEX `idx_old` on `wp_posts`: old code's queries may rely on it
-- expect contract: allowed: DROP INDEX
DROP INDEX idx_old ON wp_posts;
