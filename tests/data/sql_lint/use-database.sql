-- expect expand: refused: USE is not a statement
-- expect contract: refused: every phase
USE other_shop;
