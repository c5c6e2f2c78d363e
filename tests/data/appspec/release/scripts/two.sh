#!/bin/sh
echo "$LIFECYCLE_EVENT two" >> "$OUT_DIR/order"
