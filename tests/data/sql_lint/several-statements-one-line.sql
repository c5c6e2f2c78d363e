-- expect expand: allowed: INSERT INTO `b`
CREATE TABLE a (id INT);CREATE TABLE b (id INT) ;  ; INSERT INTO b VALUES (1)
