#!/bin/bash
# lib.sh - what the hooks of the WordPress release share: where the shared
# state lives, which user serves, and the nginx and PHP-FPM configurations
# of one instance. Sourced by the hook scripts (they get PORT, COLOR,
# VERSION, INSTANCE_DIR and RELEASE_DIR from cutover's hook runner, and the
# CUTOVER_MYSQL_*, CUTOVER_REDIS_* and CUTOVER_RUN_DIR of the worker).
#
# When the hooks run as root, nginx's workers and PHP-FPM's pool run as
# www-data: the database password reaches PHP through the pool's environment
# (the pool file is mode 600, read by the root master), since www-data
# cannot read the password file.

SHARED_DIR=${CUTOVER_WORDPRESS_SHARED_DIR:-${CUTOVER_RUN_DIR:?CUTOVER_RUN_DIR unset}/wordpress}
REDIS_PREFIX=${CUTOVER_WORDPRESS_REDIS_PREFIX:-cutover-shop:}
FPM_SOCKET="$INSTANCE_DIR/php-fpm.sock"
HEALTH_SOCKET="$INSTANCE_DIR/php-fpm-health.sock"

# serving_user - the user of nginx's workers and PHP's pool: www-data when root
serving_user() {
    if [ "$(id -u)" -eq 0 ]; then echo www-data; else id -un; fi
}

# give_to_server - hand DIR... to the serving user (when root)
give_to_server() {
    [ "$(id -u)" -ne 0 ] || chown -R www-data:www-data "$@"
}

# make_shared_dir - the shared directory: salts.php made once (atomically),
# uploads/ writable by the serving user
make_shared_dir() {
    mkdir -p "$SHARED_DIR/uploads"
    give_to_server "$SHARED_DIR/uploads"
    [ -s "$SHARED_DIR/salts.php" ] && return 0
    local tmp="$SHARED_DIR/salts.php.$$" key
    {
        echo '<?php'
        echo '/* salts.php - the keys and salts both colors share; made once by the release hooks. */'
        for key in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
            printf "define('%s', '%s');\n" "$key" "$(openssl rand -hex 32)"
        done
    } >"$tmp"
    chmod 0640 "$tmp"
    [ "$(id -u)" -ne 0 ] || chgrp www-data "$tmp"
    # ln fails when another slot made the file first: theirs stays
    ln "$tmp" "$SHARED_DIR/salts.php" 2>/dev/null || true
    rm -f "$tmp"
}

# prepare_release - the shared directory (salts made once, uploads), the
# release's uploads linked to it and readable by the serving user, WordPress
# installed in the shared database once and the shop plugin active (under a
# lock: every slot of both colors runs this). Idempotent: ApplicationStart
# runs it too, since a slot the provider starts from a copied or initial
# release gets no AfterInstall.
prepare_release() {
    make_shared_dir
    chmod go+rX "$RELEASE_DIR"
    ln -sfn "$SHARED_DIR/uploads" "$RELEASE_DIR/wp-content/uploads"
    (
        set -a
        eval "$(wordpress_env | sed "s/'/'\\\\''/g; s/=\(.*\)/='\1'/")"
        set +a
        flock "$SHARED_DIR/setup.lock" php "$RELEASE_DIR/scripts/setup.php"
    )
}

# wordpress_env - the NAME=VALUE lines WordPress's wp-config.php reads
wordpress_env() {
    echo "CUTOVER_MYSQL_HOST=${CUTOVER_MYSQL_HOST:-127.0.0.1}"
    echo "CUTOVER_MYSQL_PORT=${CUTOVER_MYSQL_PORT:?CUTOVER_MYSQL_PORT unset}"
    echo "CUTOVER_MYSQL_DATABASE=${CUTOVER_MYSQL_DATABASE:?}"
    echo "CUTOVER_MYSQL_USER=${CUTOVER_MYSQL_USER:?}"
    echo "CUTOVER_MYSQL_PASSWORD=$(head -n1 "${CUTOVER_MYSQL_PASSWORD_FILE:?}")"
    echo "CUTOVER_REDIS_HOST=${CUTOVER_REDIS_HOST:-127.0.0.1}"
    echo "CUTOVER_REDIS_PORT=${CUTOVER_REDIS_PORT:?CUTOVER_REDIS_PORT unset}"
    echo "CUTOVER_WORDPRESS_REDIS_PREFIX=$REDIS_PREFIX"
    echo "CUTOVER_WORDPRESS_SHARED_DIR=$SHARED_DIR"
    echo "CUTOVER_WORDPRESS_TABLE_PREFIX=${CUTOVER_WORDPRESS_TABLE_PREFIX:-wp_}"
    echo "CUTOVER_SHOP_VERSION=$VERSION"
    echo "CUTOVER_SHOP_COLOR=$COLOR"
}

# fpm_pool NAME SOCKET CHILDREN - one pool of PHP-FPM's configuration, with
# the environment WordPress reads
fpm_pool() {
    local user line
    user=$(serving_user)
    cat <<CONF

[$1]
user = $user
group = $user
listen = $2
listen.owner = $user
listen.group = $user
listen.mode = 0660
pm = static
pm.max_children = $3
clear_env = yes
catch_workers_output = yes
php_admin_value[session.save_handler] = redis
php_admin_value[session.save_path] = "tcp://${CUTOVER_REDIS_HOST:-127.0.0.1}:$CUTOVER_REDIS_PORT?prefix=${REDIS_PREFIX}session:"
CONF
    wordpress_env | while IFS= read -r line; do
        printf 'env[%s] = "%s"\n' "${line%%=*}" "${line#*=}"
    done
}

# write_fpm_config - INSTANCE_DIR/php-fpm.conf (mode 600: it holds the
# password): the shop's pool and the health page's own (scripts/health.php)
write_fpm_config() {
    local conf="$INSTANCE_DIR/php-fpm.conf"
    (
        umask 077
        {
            printf '[global]\npid = %s\nerror_log = %s\ndaemonize = no\n' \
                "$INSTANCE_DIR/php-fpm.pid" "$INSTANCE_DIR/php-fpm.log"
            fpm_pool shop "$FPM_SOCKET" 4
            fpm_pool health "$HEALTH_SOCKET" 2
        } >"$conf.tmp"
    )
    mv "$conf.tmp" "$conf"
}

# write_nginx_config - INSTANCE_DIR/nginx.conf: PORT on 127.0.0.1, the release as root
write_nginx_config() {
    local conf="$INSTANCE_DIR/nginx.conf" user_line=""
    [ "$(id -u)" -ne 0 ] || user_line="user www-data;"
    mkdir -p "$INSTANCE_DIR/nginx"
    give_to_server "$INSTANCE_DIR/nginx"
    cat >"$conf.tmp" <<CONF
$user_line
daemon off;
worker_processes 1;
pid $INSTANCE_DIR/nginx.pid;
error_log $INSTANCE_DIR/nginx-error.log;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    access_log $INSTANCE_DIR/nginx-access.log;
    client_body_temp_path $INSTANCE_DIR/nginx/body;
    fastcgi_temp_path $INSTANCE_DIR/nginx/fastcgi;
    proxy_temp_path $INSTANCE_DIR/nginx/proxy;
    uwsgi_temp_path $INSTANCE_DIR/nginx/uwsgi;
    scgi_temp_path $INSTANCE_DIR/nginx/scgi;
    server {
        listen 127.0.0.1:$PORT;
        root $RELEASE_DIR;
        index index.php;
        location / { try_files \$uri \$uri/ /index.php?\$args; }
        location ^~ /scripts/ { deny all; }
        location = /shop/health {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $RELEASE_DIR/scripts/health.php;
            fastcgi_pass unix:$HEALTH_SOCKET;
        }
        location ~ \\.php\$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_pass unix:$FPM_SOCKET;
        }
    }
}
CONF
    mv "$conf.tmp" "$conf"
}
