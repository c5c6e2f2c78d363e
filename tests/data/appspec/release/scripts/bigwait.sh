#!/bin/sh
# Writes 3 MiB, more than the log's cap, then keeps running.
head -c 3145728 /dev/zero | tr '\0' 'x'
echo
echo "flooded"
exec sleep 60
