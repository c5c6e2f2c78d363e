#!/bin/bash
# instance.sh - one WordPress instance: PHP-FPM and nginx in the foreground,
# started by the ApplicationStart hook in a session of its own. Its pid is
# the instance's: SIGTERM (ApplicationStop, or the provider scaling in)
# stops nginx first (no new requests), then PHP-FPM; should either die,
# the other is stopped too and the instance exits non-zero.
#
# The instance writes its own pid to $INSTANCE_DIR/pid once nginx listens,
# through a rename: the file names the process on the port even when the
# hook that started it was killed right after the launch, and an instance
# whose nginx could not listen (the port taken) leaves the file alone.
set -uo pipefail

fpm_pid=""
nginx_pid=""

# stop_both - SIGQUIT nginx (graceful), then SIGQUIT PHP-FPM; wait for them
stop_both() {
    [ -z "$nginx_pid" ] || kill -QUIT "$nginx_pid" 2>/dev/null
    wait "$nginx_pid" 2>/dev/null
    [ -z "$fpm_pid" ] || kill -QUIT "$fpm_pid" 2>/dev/null
    wait "$fpm_pid" 2>/dev/null
}

# publish_pid - once nginx has written its pid file (it does so after
# binding its port), this instance's pid into $INSTANCE_DIR/pid; 1 when
# nginx exits first
publish_pid() {
    while [ "$(cat "$INSTANCE_DIR/nginx.pid" 2>/dev/null)" != "$nginx_pid" ]; do
        kill -0 "$nginx_pid" 2>/dev/null || return 1
        sleep 0.05
    done
    echo "$$" >"$INSTANCE_DIR/pid.tmp" && mv "$INSTANCE_DIR/pid.tmp" "$INSTANCE_DIR/pid"
}

trap 'stop_both; exit 0' TERM INT
php-fpm8.2 --nodaemonize --fpm-config "$INSTANCE_DIR/php-fpm.conf" &
fpm_pid=$!
for _ in $(seq 100); do [ -S "$INSTANCE_DIR/php-fpm.sock" ] && break; sleep 0.1; done
nginx -c "$INSTANCE_DIR/nginx.conf" -e "$INSTANCE_DIR/nginx-error.log" &
nginx_pid=$!
publish_pid
wait -n
echo "instance: nginx or PHP-FPM exited: stopping the other"
stop_both
exit 1
