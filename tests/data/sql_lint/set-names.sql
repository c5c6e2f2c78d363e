-- expect expand: allowed: SET of session variables
-- expect contract: allowed: SET of session
SET NAMES utf8mb4;
SET SESSION sql_mode = 'STRICT_ALL_TABLES';
SET @@session.foreign_key_checks = 1, @batch = 1000;
