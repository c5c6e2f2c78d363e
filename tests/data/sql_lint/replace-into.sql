-- expect expand: refused: REPLACE INTO `wp_options` deletes the rows it collides with
-- expect contract: allowed: REPLACE
REPLACE INTO wp_options (option_name, option_value) VALUES ('a', 'b');
