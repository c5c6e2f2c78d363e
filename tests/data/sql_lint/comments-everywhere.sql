-- expect expand: allowed: ADD COLUMN `notes` nullable
# a hash comment; with a semicolon
-- a dash comment; with a semicolon
/* a block ; comment */ ALTER /* inline */ TABLE wp_posts -- trailing
  ADD COLUMN notes TEXT NULL; # done
