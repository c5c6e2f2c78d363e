-- expect expand: refused: DROP COLUMN `a`b`
ALTER TABLE t DROP COLUMN `a``b`;
