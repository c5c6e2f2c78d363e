-- expect expand: allowed: created earlier in this file
CREATE TABLE wp_tokens (token CHAR(32));
CREATE UNIQUE INDEX uq_token ON wp_tokens (token);
