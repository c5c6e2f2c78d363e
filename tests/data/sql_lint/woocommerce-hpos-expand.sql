-- expect expand: allowed: ADD COLUMN `cutover_flag` NOT NULL with a DEFAULT
-- WooCommerce: new order meta index
CREATE TABLE IF NOT EXISTS wp_wc_orders_meta (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id BIGINT UNSIGNED NULL,
  meta_key VARCHAR(255) NULL,
  meta_value TEXT NULL,
  PRIMARY KEY (id),
  KEY meta_key_value (meta_key(100), meta_value(82)),
  KEY order_id_meta_key_meta_value (order_id, meta_key(100), meta_value(82))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
ALTER TABLE wp_wc_orders ADD COLUMN cutover_flag TINYINT(1) NOT NULL DEFAULT 0 AFTER status, ADD INDEX idx_flag (cutover_flag), ALGORITHM=INPLACE, LOCK=NONE;
