#!/usr/bin/env bash
# test_devstack.sh - the development stack comes up, answers, and restarts in place.
#
# SYNOPSIS
#   tests/integration/test_devstack.sh
#
# DESCRIPTION
#   Runs `ops/devstack up` twice (the second starts nothing: same pids),
#   checks the `env` output, connects to PostgreSQL with the URL, asks the
#   Kafka broker for metadata, asks HAProxy's admin socket `show info`,
#   and checks that `stop kafka` then `start kafka` comes back on the same
#   port and `restart postgres` keeps the URL working; MariaDB answers as the
#   application's user with its password file, runs unprivileged and
#   `restart mysql` keeps its port; Redis stores and reads a key, runs
#   unprivileged and `restart redis` keeps its port and its data. Leaves the stack up
#   (others use it). Prints one line per check; exits non-zero on a failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVSTACK="$ROOT/ops/devstack"
PASSED=0
FAILED=0

# ok - record a passed check
ok() {
    echo "ok - $*"
    PASSED=$((PASSED + 1))
}

# not_ok - record a failed check
not_ok() {
    echo "not ok - $*"
    FAILED=$((FAILED + 1))
}

# check - run COMMAND..., record it under NAME
check() {
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi
}

# stack_pids - the pids of the services, one line
stack_pids() {
    head -qn1 "$ROOT/.run/pg/postmaster.pid" "$ROOT/.run/kafka/kafka.pid" \
        "$ROOT/.run/haproxy/haproxy.pid" "$ROOT/.run/mysql/mysqld.pid" \
        "$ROOT/.run/redis/redis.pid" | tr '\n' ' '
}

# load_env - evaluate `devstack env` into this shell, exported
load_env() {
    local out
    out=$("$DEVSTACK" env)
    set -a
    eval "$out"
    set +a
}

# env_has_all_keys - true when env prints every documented key, quoted
env_has_all_keys() {
    local out key
    out=$("$DEVSTACK" env)
    for key in CUTOVER_KAFKA_BROKERS CUTOVER_DATABASE_URL CUTOVER_HAPROXY_SOCKET \
            CUTOVER_HAPROXY_MASTER_SOCKET CUTOVER_HAPROXY_CONFIG_DIR CUTOVER_RUN_DIR \
            CUTOVER_MYSQL_HOST CUTOVER_MYSQL_PORT CUTOVER_MYSQL_USER CUTOVER_MYSQL_DATABASE \
            CUTOVER_MYSQL_PASSWORD_FILE CUTOVER_REDIS_HOST CUTOVER_REDIS_PORT; do
        grep -q "^$key='[^']\+'\$" <<<"$out" || return 1
    done
}

# pg_answers - true when psql connects with the URL and runs a query
pg_answers() {
    [ "$(psql "$CUTOVER_DATABASE_URL" -X -Atc 'select current_user')" = cutover ]
}

# kafka_answers - true when the broker answers a metadata request
kafka_answers() {
    kcat -L -b "$CUTOVER_KAFKA_BROKERS" -m 5
}

# haproxy_answers - true when the admin socket answers show info
haproxy_answers() {
    echo "show info" | nc -N -U "$CUTOVER_HAPROXY_SOCKET" | grep -q '^Pid:'
}

# haproxy_master_answers - true when the master socket lists its processes
haproxy_master_answers() {
    echo "show proc" | nc -N -U "$CUTOVER_HAPROXY_MASTER_SOCKET" | grep -q master
}

# mysql_answers - true when the application's user logs in with the password file
mysql_answers() {
    local cnf out
    cnf=$(mktemp)
    printf '[client]\npassword=%s\n' "$(head -n1 "$CUTOVER_MYSQL_PASSWORD_FILE")" > "$cnf"
    out=$(mariadb --defaults-extra-file="$cnf" -h "$CUTOVER_MYSQL_HOST" -P "$CUTOVER_MYSQL_PORT" \
        -u "$CUTOVER_MYSQL_USER" -N -B "$CUTOVER_MYSQL_DATABASE" -e 'SELECT DATABASE()')
    rm -f "$cnf"
    [ "$out" = "$CUTOVER_MYSQL_DATABASE" ]
}

# mysql_password_private - the password file is mode 600 and env does not print the password
mysql_password_private() {
    [ "$(stat -c %a "$CUTOVER_MYSQL_PASSWORD_FILE")" = 600 ] \
        && ! "$DEVSTACK" env | grep -qF -- "$(head -n1 "$CUTOVER_MYSQL_PASSWORD_FILE")"
}

# runs_unprivileged - the process of pid file FILE does not run as root
runs_unprivileged() {
    [ "$(ps -o user= -p "$(head -n1 "$1")")" != root ]
}

# mysql_external_passed - another server's variables pass through env, status says external
mysql_external_passed() {
    local out status
    out=$(CUTOVER_MYSQL_HOST=db.example CUTOVER_MYSQL_PORT=1 CUTOVER_MYSQL_USER=app \
        CUTOVER_MYSQL_DATABASE=shop CUTOVER_MYSQL_PASSWORD_FILE=/etc/shop-db "$DEVSTACK" env)
    # status exits 3 when any part is stopped; only its mysql line is judged here
    status=$(CUTOVER_MYSQL_PORT=1 "$DEVSTACK" status) || true
    grep -qx "CUTOVER_MYSQL_HOST='db.example'" <<<"$out" \
        && grep -qx "CUTOVER_MYSQL_PASSWORD_FILE='/etc/shop-db'" <<<"$out" \
        && grep -q '^mysql  *external' <<<"$status"
}

# mysql_restart_kept - restart mysql; the same port must answer again
mysql_restart_kept() {
    local before=$CUTOVER_MYSQL_PORT
    "$DEVSTACK" restart mysql
    load_env
    [ "$before" = "$CUTOVER_MYSQL_PORT" ] && mysql_answers
}

# redis_cli - redis-cli on CUTOVER_REDIS_HOST:CUTOVER_REDIS_PORT with ARGS
redis_cli() {
    redis-cli -h "$CUTOVER_REDIS_HOST" -p "$CUTOVER_REDIS_PORT" "$@"
}

# redis_round_trip - a key written to Redis reads back
redis_round_trip() {
    redis_cli set cutover:devstack:check "$$" >/dev/null \
        && [ "$(redis_cli get cutover:devstack:check)" = "$$" ]
}

# redis_restart_kept - restart redis; same port, and the key written before is still there
redis_restart_kept() {
    local before=$CUTOVER_REDIS_PORT
    redis_round_trip || return 1
    "$DEVSTACK" restart redis
    load_env
    [ "$before" = "$CUTOVER_REDIS_PORT" ] && [ "$(redis_cli get cutover:devstack:check)" = "$$" ]
}

# redis_external_passed - another server's variables pass through env, status says external
redis_external_passed() {
    local out
    out=$(CUTOVER_REDIS_HOST=cache.example CUTOVER_REDIS_PORT=1 "$DEVSTACK" env)
    grep -qx "CUTOVER_REDIS_HOST='cache.example'" <<<"$out" \
        && grep -qx "CUTOVER_REDIS_PORT='1'" <<<"$out" \
        && CUTOVER_REDIS_PORT=1 "$DEVSTACK" status | grep -q '^redis  *external'
}

# kafka_port_kept - stop then start kafka; the brokers string must not change
kafka_port_kept() {
    local before after
    before=$CUTOVER_KAFKA_BROKERS
    "$DEVSTACK" stop kafka
    ! kcat -L -b "$before" -m 2 >/dev/null 2>&1 || return 1
    "$DEVSTACK" start kafka
    after=$("$DEVSTACK" env | sed -n "s/^CUTOVER_KAFKA_BROKERS='\(.*\)'\$/\1/p")
    [ "$before" = "$after" ] && kafka_answers
}

# postgres_restart_kept - restart postgres; the same URL must connect again
postgres_restart_kept() {
    local before
    before=$CUTOVER_DATABASE_URL
    "$DEVSTACK" restart postgres
    load_env
    [ "$before" = "$CUTOVER_DATABASE_URL" ] && pg_answers
}

# main - run the checks, print the tally
main() {
    local first second
    check "devstack up" "$DEVSTACK" up
    first=$(stack_pids)
    check "devstack up again" "$DEVSTACK" up
    second=$(stack_pids)
    if [ "$first" = "$second" ]; then ok "second up kept pids $first"
    else not_ok "second up changed pids: $first -> $second"; fi
    check "devstack status" "$DEVSTACK" status
    check "env prints every key, single-quoted" env_has_all_keys
    load_env
    check "psql connects with CUTOVER_DATABASE_URL" pg_answers
    check "kcat -L answers on CUTOVER_KAFKA_BROKERS" kafka_answers
    check "haproxy admin socket answers show info" haproxy_answers
    check "haproxy master socket answers show proc" haproxy_master_answers
    check "stop kafka, start kafka: same port" kafka_port_kept
    check "restart postgres: same URL" postgres_restart_kept
    check "mariadb answers as the application's user with the password file" mysql_answers
    check "the mysql password file is private and env does not print it" mysql_password_private
    check "mariadbd runs unprivileged" runs_unprivileged "$ROOT/.run/mysql/mysqld.pid"
    check "restart mysql: same port" mysql_restart_kept
    check "a mysql of one's own passes through env" mysql_external_passed
    check "status reports mysql running" sh -c "'$DEVSTACK' status | grep -q '^mysql  *running'"
    check "redis stores and reads a key on CUTOVER_REDIS_PORT" redis_round_trip
    check "redis-server runs unprivileged" runs_unprivileged "$ROOT/.run/redis/redis.pid"
    check "restart redis: same port, data kept" redis_restart_kept
    check "a redis of one's own passes through env" redis_external_passed
    check "status reports redis running" sh -c "'$DEVSTACK' status | grep -q '^redis  *running'"
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

main "$@"
