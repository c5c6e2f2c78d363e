#!/bin/sh
echo "$LIFECYCLE_EVENT fail" >> "$OUT_DIR/order"
echo "checking the database"
echo "migration 7 failed: relation missing" >&2
exit 3
