-- expect expand: refused: DROP KEY `k_old`
-- expect contract: allowed: DROP KEY
ALTER TABLE wp_posts DROP KEY k_old;
