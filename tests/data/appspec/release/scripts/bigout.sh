#!/bin/sh
# Writes 3 MiB, more than the log's cap, then fails.
head -c 3145728 /dev/zero | tr '\0' 'x'
echo
echo "the last line"
exit 4
