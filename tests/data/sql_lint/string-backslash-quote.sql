-- expect expand: refused: a backslash before a quote in the string on line 4
-- expect contract: refused: NO_BACKSLASH_ESCAPES
INSERT INTO wp_options (option_name) VALUES ('fine');
INSERT INTO wp_options (option_name) VALUES ('a\'; DROP TABLE wp_posts; -- ');
