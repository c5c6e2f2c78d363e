-- expect expand: allowed: ADD INDEX `idx_notes` on `wp_posts`
-- expect contract: allowed: ADD INDEX
ALTER TABLE wp_posts ADD INDEX idx_notes (notes(20)), LOCK=NONE;
