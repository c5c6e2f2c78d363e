-- expect expand: refused: unterminated comment /* starting on line 3
CREATE TABLE a (id INT);
/* the rest DROP TABLE b;
