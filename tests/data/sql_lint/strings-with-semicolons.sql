-- expect expand: allowed: INSERT INTO `wp_options`
-- expect contract: allowed: INSERT INTO `wp_options`
INSERT INTO wp_options (option_name, option_value) VALUES ('a;b', "c;d");
INSERT INTO wp_options (option_name, option_value) VALUES ('it''s; fine', 'back\\slash; "quote"');
