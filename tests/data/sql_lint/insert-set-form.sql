-- expect expand: allowed: INSERT INTO `wp_terms`
INSERT wp_terms SET name = 'Sale', slug = 'sale';
