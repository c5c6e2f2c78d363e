-- expect expand: allowed: ALTER TABLE `wp_tokens`, created earlier in this file
CREATE TABLE wp_tokens (token CHAR(32));
ALTER TABLE wp_tokens ADD COLUMN owner INT NOT NULL, DROP COLUMN token;
