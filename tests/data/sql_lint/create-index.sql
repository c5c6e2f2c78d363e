-- expect expand: allowed: CREATE INDEX `idx_date` on `wp_posts`
-- expect contract: allowed: CREATE INDEX
CREATE INDEX idx_date ON wp_posts (post_date) ALGORITHM=INPLACE LOCK=NONE;
