#!/bin/bash
# application_stop.sh - ApplicationStop hook of the demo release: stop the
# instance whose pid is in $INSTANCE_DIR/pid (SIGTERM, SIGKILL after 10 s).
set -euo pipefail

pid_file="$INSTANCE_DIR/pid"
[ -f "$pid_file" ] || { echo "no pid file: nothing to stop"; exit 0; }
pid=$(cat "$pid_file")
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    if alive "$pid"; then
        echo "pid $pid ignored SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
fi
rm -f "$pid_file"
echo "stopped version ${VERSION:-?} (pid $pid)"
