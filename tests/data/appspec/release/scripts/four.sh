#!/bin/sh
echo "$LIFECYCLE_EVENT four" >> "$OUT_DIR/order"
