#!/bin/bash
# application_start.sh - ApplicationStart hook of the demo release: start the
# application in a session of its own (it outlives this hook and the worker
# that ran it) and write its pid to $INSTANCE_DIR/pid.
set -euo pipefail

flags=()
[ -f "$RELEASE_DIR/broken" ] && flags+=(--broken)
[ -f "$RELEASE_DIR/error-rate" ] && flags+=(--error-rate "$(cat "$RELEASE_DIR/error-rate")")
setsid "$RELEASE_DIR/bin/cutover-demo-app" --port "$PORT" --version "$VERSION" \
    --color "$COLOR" "${flags[@]}" >>"$INSTANCE_DIR/app.log" 2>&1 </dev/null &
echo "$!" >"$INSTANCE_DIR/pid.tmp"
mv "$INSTANCE_DIR/pid.tmp" "$INSTANCE_DIR/pid"
echo "started version $VERSION color $COLOR port $PORT pid $!"
