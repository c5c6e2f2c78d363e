-- expect expand: refused: no SQL statement
/* nothing */ # here
;;
