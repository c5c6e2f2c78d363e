#!/bin/bash
# application_start.sh - ApplicationStart hook of the WordPress release:
# prepare the release (again: a slot started from a copied release had no
# AfterInstall), write this instance's nginx and PHP-FPM configurations and start the pair
# (scripts/instance.sh) in a session of its own. The instance writes its
# pid to $INSTANCE_DIR/pid itself once nginx listens (ApplicationStop and
# the provider signal it), so the file names the process on the port even
# when this hook is killed right after the launch.
set -euo pipefail
# shellcheck source=demo/wordpress/scripts/lib.sh
. "$RELEASE_DIR/scripts/lib.sh"

prepare_release >/dev/null
write_fpm_config
write_nginx_config
rm -f "$FPM_SOCKET"
INSTANCE_DIR=$INSTANCE_DIR setsid "$RELEASE_DIR/scripts/instance.sh" \
    >>"$INSTANCE_DIR/app.log" 2>&1 </dev/null &
echo "started WordPress $VERSION color $COLOR port $PORT pid $!"
