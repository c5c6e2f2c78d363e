-- expect expand: refused: unterminated name `
CREATE TABLE `wp_x (id INT);
