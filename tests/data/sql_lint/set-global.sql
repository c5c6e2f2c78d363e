-- expect expand: refused: SET GLOBAL changes the server for every client
-- expect contract: refused: refused in every phase
SET GLOBAL max_connections = 500;
