-- expect expand: refused: DELIMITER is a mysql client command
-- expect contract: refused: DELIMITER
DELIMITER //
CREATE PROCEDURE p() BEGIN SELECT 1; END //
DELIMITER ;
