-- expect expand: allowed: transaction control
START TRANSACTION;
INSERT INTO wp_terms (name) VALUES ('x');
COMMIT;
