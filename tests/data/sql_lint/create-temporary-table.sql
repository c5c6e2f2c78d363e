-- expect expand: allowed: CREATE TABLE `tmp_ids`
CREATE TEMPORARY TABLE tmp_ids (id INT);
