-- expect expand: allowed: DELETE `wp_options` with a WHERE
DELETE FROM wp_options WHERE option_name = '_transient_old';
