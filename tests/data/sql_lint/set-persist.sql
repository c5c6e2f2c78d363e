-- expect contract: refused: SET PERSIST changes the server
SET PERSIST innodb_buffer_pool_size = 1073741824;
