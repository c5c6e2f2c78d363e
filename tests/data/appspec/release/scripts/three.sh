#!/bin/sh
echo "$LIFECYCLE_EVENT three" >> "$OUT_DIR/order"
