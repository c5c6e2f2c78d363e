-- expect expand: refused: unbalanced parentheses
-- expect contract: refused: unbalanced
CREATE TABLE a (id INT;
