-- expect expand: allowed: INSERT INTO `wp_terms`
INSERT IGNORE INTO wp_terms (name, slug) VALUES ('Sale', 'sale'), ('New', 'new');
