-- expect expand: refused: CREATE UNIQUE INDEX `uq_name` on existing table `wp_users`
-- expect contract: allowed: CREATE UNIQUE INDEX
CREATE UNIQUE INDEX uq_name ON wp_users (user_login);
