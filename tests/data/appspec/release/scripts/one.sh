#!/bin/sh
echo "$LIFECYCLE_EVENT one" >> "$OUT_DIR/order"
