#!/bin/bash
# application_start.sh - ApplicationStart hook of the demo release: start the
# application in a session of its own (it outlives this hook and the worker
# that ran it). The application writes its own pid to $INSTANCE_DIR/pid
# once it listens, so the file names the process on the port even when this
# hook is killed right after the launch, and a start that finds the port
# taken leaves the file alone.
set -euo pipefail

flags=()
[ -f "$RELEASE_DIR/broken" ] && flags+=(--broken)
[ -f "$RELEASE_DIR/error-rate" ] && flags+=(--error-rate "$(cat "$RELEASE_DIR/error-rate")")
setsid "$RELEASE_DIR/bin/cutover-demo-app" --port "$PORT" --version "$VERSION" \
    --color "$COLOR" --pid-file "$INSTANCE_DIR/pid" "${flags[@]}" \
    >>"$INSTANCE_DIR/app.log" 2>&1 </dev/null &
echo "started version $VERSION color $COLOR port $PORT pid $!"
