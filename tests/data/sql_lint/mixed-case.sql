-- expect expand: refused: NOT NULL without DEFAULT
-- expect contract: allowed: NOT NULL without DEFAULT
AlTeR tAbLe Wp_Posts AdD cOlUmN notes tExT nOt NuLl;
