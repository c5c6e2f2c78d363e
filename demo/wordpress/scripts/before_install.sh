#!/bin/bash
# before_install.sh - BeforeInstall hook of the WordPress release: check that
# the release is complete and that this host has what an instance needs.
set -euo pipefail

for f in wp-config.php wp-settings.php wp-content/plugins/cutover-shop/cutover-shop.php scripts/lib.sh; do
    [ -f "$RELEASE_DIR/$f" ] || { echo "missing $f"; exit 1; }
done
for tool in nginx php-fpm8.2 php; do
    command -v "$tool" >/dev/null || { echo "missing $tool (ops/bootstrap installs it)"; exit 1; }
done
mkdir -p "$INSTANCE_DIR"
echo "release $VERSION complete in $RELEASE_DIR"
