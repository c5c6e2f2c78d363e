-- expect expand: refused: without a clause
ALTER TABLE wp_orders;
