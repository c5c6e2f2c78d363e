#!/bin/bash
# before_install.sh - BeforeInstall hook of the demo release: check that the
# release is complete before it is installed.
set -euo pipefail

[ -f "$RELEASE_DIR/bin/cutover-demo-app" ] || { echo "missing bin/cutover-demo-app"; exit 1; }
mkdir -p "$INSTANCE_DIR"
echo "release $VERSION complete in $RELEASE_DIR"
