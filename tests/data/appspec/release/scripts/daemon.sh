#!/bin/sh
# Leaves a daemon behind in a session of its own, as ApplicationStart does.
setsid sh -c 'echo $$ > "$OUT_DIR/daemon.pid"; exec sleep 30' &
echo "started"
