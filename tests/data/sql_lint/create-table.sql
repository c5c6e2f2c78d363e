-- expect expand: allowed: CREATE TABLE `wp_order_notes`: a new table
-- expect contract: allowed: new table
CREATE TABLE wp_order_notes (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  body TEXT NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
