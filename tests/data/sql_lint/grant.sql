-- expect expand: refused: GRANT is not a statement a migration may run
-- expect contract: refused: refused in every phase
GRANT ALL PRIVILEGES ON shop.* TO 'shop'@'%';
