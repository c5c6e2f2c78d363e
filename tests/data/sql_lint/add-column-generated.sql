-- expect expand: allowed: NOT NULL with a DEFAULT
ALTER TABLE wp_posts ADD COLUMN title_len INT AS (CHAR_LENGTH(post_title)) VIRTUAL NOT NULL;
