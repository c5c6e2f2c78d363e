-- expect expand: refused: a statement starting with "("
(SELECT 1);
