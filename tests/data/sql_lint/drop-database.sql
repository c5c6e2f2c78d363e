-- expect expand: refused: DROP DATABASE is not a statement
-- expect contract: refused: DROP DATABASE is not a statement
DROP DATABASE shop;
