-- expect expand: allowed: ADD COLUMN `odd;name`
ALTER TABLE `wp;posts` ADD COLUMN `odd;name` INT NULL;
