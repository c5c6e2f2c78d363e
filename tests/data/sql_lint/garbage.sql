-- expect expand: refused: is not a statement a migration may run
hello world;
