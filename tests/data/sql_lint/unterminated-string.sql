-- expect expand: refused: unterminated string ' starting on line 3
-- expect contract: refused: unterminated string
INSERT INTO wp_options (option_name) VALUES ('oops);
DROP TABLE wp_posts;
