-- expect expand: refused: SET PASSWORD is not a statement a migration may run
SET PASSWORD FOR 'shop'@'%' = 'x';
