-- expect expand: refused: ADD PRIMARY KEY on existing table
ALTER TABLE wp_log ADD PRIMARY KEY (id);
