-- expect expand: refused: SET @@global.sql_mode changes the server
-- expect contract: refused: every phase
SET @@global.sql_mode = '', @x = 1;
