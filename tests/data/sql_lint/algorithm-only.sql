-- expect expand: allowed: ALGORITHM option
ALTER TABLE wp_posts ALGORITHM=INPLACE;
