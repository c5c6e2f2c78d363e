#!/bin/bash
# after_install.sh - AfterInstall hook of the WordPress release: the shared
# directory (salts made once, uploads), the release's uploads linked to it,
# WordPress installed in the shared database once and the shop plugin
# active (under a lock: every slot of both colors runs this hook). The
# release is made readable for the serving user.
set -euo pipefail
# shellcheck source=demo/wordpress/scripts/lib.sh
. "$RELEASE_DIR/scripts/lib.sh"

make_shared_dir
# the serving user reads the release (an unpacked tree may be private)
chmod go+rX "$RELEASE_DIR"
ln -sfn "$SHARED_DIR/uploads" "$RELEASE_DIR/wp-content/uploads"
set -a
eval "$(wordpress_env | sed "s/'/'\\\\''/g; s/=\(.*\)/='\1'/")"
set +a
flock "$SHARED_DIR/setup.lock" php "$RELEASE_DIR/scripts/setup.php"
echo "installed $VERSION for $COLOR on port $PORT"
