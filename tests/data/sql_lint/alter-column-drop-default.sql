-- expect expand: refused: ALTER COLUMN `status` DROP DEFAULT
-- expect contract: allowed: DROP DEFAULT
ALTER TABLE wp_orders ALTER status DROP DEFAULT;
