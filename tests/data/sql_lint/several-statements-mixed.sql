-- expect expand: refused: DROP COLUMN `legacy`
-- expect contract: allowed: DROP COLUMN `legacy`
CREATE TABLE wp_new (id INT);
ALTER TABLE wp_posts ADD COLUMN notes TEXT;
ALTER TABLE wp_posts DROP COLUMN legacy;
INSERT INTO wp_new VALUES (1);
