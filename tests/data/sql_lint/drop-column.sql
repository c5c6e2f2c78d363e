-- expect expand: refused: DROP COLUMN `legacy` on `wp_posts`: old code still relies on it
-- expect contract: allowed: DROP COLUMN `legacy`
ALTER TABLE wp_posts DROP COLUMN legacy;
