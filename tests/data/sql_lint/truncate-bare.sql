-- expect expand: refused: TRUNCATE `wp_sessions`
truncate wp_sessions;
