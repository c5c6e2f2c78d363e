-- expect expand: refused: CREATE OR REPLACE TABLE `wp_posts` drops the table
-- expect contract: allowed: (contract only)
CREATE OR REPLACE TABLE wp_posts (id INT);
