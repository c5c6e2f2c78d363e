#!/bin/bash
# after_install.sh - AfterInstall hook of the WordPress release: prepare the
# release (scripts/lib.sh prepare_release: the shared directory, the uploads
# link, WordPress installed once, the shop plugin active).
set -euo pipefail
# shellcheck source=demo/wordpress/scripts/lib.sh
. "$RELEASE_DIR/scripts/lib.sh"

prepare_release
echo "installed $VERSION for $COLOR on port $PORT"
