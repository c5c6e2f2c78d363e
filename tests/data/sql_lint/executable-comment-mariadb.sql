-- expect expand: refused: executable comment
ALTER TABLE wp_posts ADD COLUMN a INT /*M!100301 INVISIBLE */;
