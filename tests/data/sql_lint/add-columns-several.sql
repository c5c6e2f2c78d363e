-- expect expand: allowed: ADD COLUMN `notes` nullable
ALTER TABLE wp_posts
  ADD COLUMN notes TEXT NULL,
  ADD COLUMN flag TINYINT(1) NOT NULL DEFAULT 0,
  ADD COLUMN price DECIMAL(10, 2) DEFAULT NULL;
