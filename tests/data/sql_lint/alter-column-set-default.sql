-- expect expand: allowed: ALTER COLUMN `status` SET DEFAULT
ALTER TABLE wp_orders ALTER COLUMN status SET DEFAULT 'pending';
