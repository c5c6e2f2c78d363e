-- expect expand: allowed: INSERT INTO `wp_options`: new rows
-- expect contract: allowed: INSERT
INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('cutover_notes', 'on', 'yes');
