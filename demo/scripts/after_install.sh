#!/bin/bash
# after_install.sh - AfterInstall hook of the demo release: make the binary
# executable (tar may have been run with a restrictive umask).
set -euo pipefail

chmod 0755 "$RELEASE_DIR/bin/cutover-demo-app"
echo "installed $VERSION for $COLOR on port $PORT"
