-- expect expand: refused: no SQL statement: an empty migration is a mistake
-- expect contract: refused: no SQL statement

