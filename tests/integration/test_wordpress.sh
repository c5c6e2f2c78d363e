#!/usr/bin/env bash
# test_wordpress - a real WordPress shop deployed by the six workers on the
# local provider, with the dev stack's HAProxy, MariaDB and Redis, under the
# shop load generator: releases built by demo/wordpress/build-release
# (Debian's WordPress, one nginx + PHP-FPM pair per instance started by the
# appspec hooks, the Redis object cache, the shop plugin). The environment
# is seeded with release 1.0 on blue. Checks that:
# 1. blue serves WordPress pages, takes orders, caches in Redis under the
#    run's prefix (WordPress's own keys too);
# 2. with cutover-loadgen --shop browsing, filling carts and placing orders
#    throughout, a canary 10 -> 50 -> 100 of release 2.0 completes, its
#    expand migration (the orders' note column) finished before the first
#    weight moved, and so did its cache stage (the object cache's prefix
#    flushed, each new instance's PHP-FPM reloaded);
# 3. green serves 2.0: the value blue cached is gone with the flush, a cart
#    filled on blue before the switch is still there (sessions and salts
#    shared, kept by the flush), orders carry the note;
# 4. release 3.0, whose checkout answers 500, fails in validation (the
#    checkout check through the preview route) and green keeps serving;
# 5. release 4.0 (another expand migration), held at its first canary step,
#    is rolled back by an operator (cutover rollback): all traffic on green;
#    while both colors serve, a value green caches is read by blue;
#    WP-Cron (cutover-scheduler) ran on the live color only: blue, then green;
# 6. the load generator saw not one failed request, and every order it
#    placed is stored exactly once (demo/wordpress/check-orders), by both
#    1.0 and 2.0;
# 7. an ApplicationStart run again on green-1, whose port its instance
#    holds, leaves the slot's pid file naming that instance (an instance
#    writes its own pid once nginx listens).
# Skips, loudly, only when the Debian packages (ops/bootstrap) are missing.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"
source "$TOP/tests/wordpress_lib.sh"

if missing=$(wp_packages_missing); then
  echo "ok - SKIP !!! the WordPress shop is NOT tested: $missing missing (run ops/bootstrap) !!!"
  finish
fi
[ -n "${CUTOVER_REDIS_PORT:-}" ] && [ -n "${CUTOVER_MYSQL_PORT:-}" ] ||
  { not_ok "the dev stack runs MariaDB and Redis" "CUTOVER_MYSQL_PORT or CUTOVER_REDIS_PORT unset"; finish; }
[ -x "$BIN/cutover-loadgen" ] || { not_ok "cutover-loadgen is built" "run make first"; finish; }

use_test_prefix
wp_site
JAR=$(mktemp)

# shop METHOD PATH [curl args...] - the body the frontend answers (session cookies in JAR)
shop() {
  local method=$1 path=$2
  shift 2
  curl -fsS --max-time 10 -X "$method" -b "$JAR" -c "$JAR" "$@" "http://127.0.0.1:$LISTEN$path"
}

# served_field FIELD - a field of the frontend's health page
served_field() { shop GET /shop/health | jq -r ".$1"; }

# order_field KEY FIELD - a field of the order stored under KEY, as the shop reads it
order_field() { shop GET "/shop/orders/$1" | jq -r ".$2"; }

# orders_with KEY - how many rows of the orders table carry KEY
orders_with() { my "SELECT count(*) FROM $ORDERS WHERE order_key = '$1'"; }

saga_setup wp
trap 'wp_cleanup; rm -f "$JAR"' EXIT

# 1. release 1.0 seeded on blue
check_eq "blue serves release 1.0 through the frontend" "1.0 blue" \
  "$(served_field version) $(served_field color)"
check "the front page is WordPress's" eval 'shop GET / | grep -q "<title>cutover shop"'
check "a product goes into the cart" eval 'shop POST /shop/cart -d product=3 -d quantity=1 | jq -e ".cart[\"3\"] == 1"'
check "the cart becomes an order on blue" eval 'shop POST /shop/checkout -d order_key=blue1 | jq -e ".total_cents == 3500"'
check_eq "the order is stored by blue" "blue 1.0" "$(order_field blue1 color) $(order_field blue1 version)"
check "the next cart is filled before the switch" eval 'shop POST /shop/cart -d product=1 -d quantity=2 >/dev/null'
check "a value goes into the object cache through blue" \
  eval 'shop POST /shop/cache/shared -d value=from-blue | jq -e ".value == \"from-blue\""'
check "WordPress's own keys are in Redis under the run's prefix" \
  eval '[ -n "$(redis --scan --pattern "$RUN_ID:cache:*:options:alloptions")" ]'

# 2. under load, a canary of 2.0 with its expand migration
wp_release_2
saga_release 3.0 --broken
wp_release_expand 4.0 gift_wrap
wp_env_apply || { not_ok "env apply with a database section"; finish; }
check_eq "before 2.0 the orders have no note" "" "$(columns "$ORDERS" | grep -o note)"
gate_open all
wp_start_workers
shop_load_start load
check "the load generator places orders on 1.0" wait_for 120 gt 0 my \
  "SELECT count(*) FROM $ORDERS WHERE order_key LIKE '$RUN_ID-load-%' AND version = '1.0'"
build_ready c2 2.0 "$(canary 10:2 50:2 100:1)"
check "the canary of 2.0 completes" wait_for 400 eq completed dep_state c2
check_eq "it migrated, then went through every step" \
  "migrating scaling deploying validating flushing-caches shifting promoted contracting completed" "$(dep_path c2)"
check_eq "it flushed the object cache and reloaded PHP-FPM" "object-cache:ok opcache:ok" "$(caches_of c2)"
check "both before 2.0 took traffic" \
  before "$(sql "SELECT max(c.recorded_at) FROM deployment_caches c JOIN deployments d ON d.id = c.deployment_id
                 WHERE d.environment = :'v1' AND d.build_id = 'c2'" "$ENV")" "$(first_traffic c2)"
check_eq "its weights went 10, 50, 100" "10:done 50:done 100:done" "$(shifts_of c2)"
check "the note column was added before 2.0 took traffic" \
  before "$(at c2 migrate-expand finished)" "$(first_traffic c2)"
check "the orders table has the note column" has_column note

# 3. green serves 2.0; pages, cache, sessions and orders work there
check_eq "green serves release 2.0 through the frontend" "2.0 green" \
  "$(served_field version) $(served_field color)"
check "the front page is WordPress's on green" eval 'shop GET / | grep -q "<title>cutover shop"'
check_eq "the flush emptied the object cache: the value blue cached is gone (404)" 404 \
  "$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LISTEN/shop/cache/shared")"
check "the cart filled on blue is still there on green" eval 'shop GET /shop/cart | jq -e ".cart[\"1\"] == 2"'
check "the cart becomes an order on green, with a note" \
  eval 'shop POST /shop/checkout -d order_key=green1 -d note=gift | jq -e ".total_cents == 2400"'
check_eq "the order is stored by green with its note" "green 2.0 gift" \
  "$(order_field green1 color) $(order_field green1 version) $(order_field green1 note)"
check_eq "the order placed on blue is stored once" 1 "$(orders_with blue1)"
check "a repeated checkout key stores nothing twice" eval \
  'shop POST /shop/cart -d product=2 >/dev/null && shop POST /shop/checkout -d order_key=green1 >/dev/null && [ "$(orders_with green1)" = 1 ]'

# 4. a release whose checkout answers 500 never takes traffic
build_ready b3 3.0 "$(canary 10:2 100:1)"
check "the deployment of the broken 3.0 fails" wait_for 300 eq failed dep_state b3
check_eq "it failed in validation" "migrating scaling deploying validating failed" "$(dep_path b3)"
check_eq "the checkout check failed it, the health check passed" "health:true gate:true checkout:false" \
  "$(sql "SELECT string_agg((c->>'name') || ':' || (c->>'passed'), ' ' ORDER BY n)
          FROM effects e JOIN deployments d ON d.id = e.deployment_id,
               jsonb_array_elements(e.result->'checks') WITH ORDINALITY AS x(c, n)
          WHERE d.environment = :'v1' AND d.build_id = :'v2' AND e.kind = 'validate'" "$ENV" b3)"
check_eq "green still serves 2.0 through the frontend" "2.0 green" \
  "$(served_field version) $(served_field color)"
check_eq "no order was stored by 3.0" 0 "$(my "SELECT count(*) FROM $ORDERS WHERE version = '3.0'")"

# 5. an operator rolls back a canary in progress
build_ready r4 4.0 "$(canary 25:null 100:1)"
check "the canary of 4.0 holds at its first step" wait_for 400 eq "25:done" shifts_of r4
check "its migration added gift_wrap" has_column gift_wrap
check "before it took traffic" before "$(at r4 migrate-expand finished)" "$(first_traffic r4)"
check_eq "HAProxy sends 25 % to blue" "25 75" "$(weights)"
check "green, live, caches a value in the shared object cache" eval \
  'curl -fsS -X POST "http://127.0.0.1:$((BASE + SAGA_MAX))/shop/cache/both" -d value=from-green >/dev/null'
check_eq "blue, the canary, reads it" from-green \
  "$(curl -fsS "http://127.0.0.1:$BASE/shop/cache/both" | jq -r .value)"
ROLLBACK_MS=$(rollback_now green)
check "cutover rollback puts all traffic back on green" test -n "$ROLLBACK_MS"
echo "# rollback took ${ROLLBACK_MS:-?} ms (cutover rollback to 100 % green)"
check "the deployment is rolled back" wait_for 120 eq rolled-back dep_state r4
check_eq "green serves 2.0 through the frontend" "2.0 green" \
  "$(served_field version) $(served_field color)"

# 6. the load generator's view: nothing failed, every order stored once
shop_load_stop load
echo "# load: $(shop_load_field load '"\(.sent) requests, \(.orders_placed) orders, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms"')"
echo "# load errors: $(shop_load_field load '.errors | tojson') statuses: $(shop_load_field load '.statuses | tojson')"
check_eq "not one request failed under load" 0 "$(shop_load_field load .failed)"
check "the load generator placed orders" gt 0 shop_load_field load .orders_placed
check "every order it placed is stored exactly once" orders_stored_once load
check "WP-Cron ran on blue, then on green once 2.0 was promoted, never on the canary 4.0" \
  wait_for 30 eq "blue green" cron_colors
check_eq "its orders were taken by 1.0 and by 2.0" "1.0 2.0" \
  "$(my "SELECT group_concat(DISTINCT version ORDER BY version SEPARATOR ' ') FROM $ORDERS
         WHERE order_key LIKE '$RUN_ID-load-%' AND version IN ('1.0', '2.0')")"
check "checkout works on green" eval \
  'shop POST /shop/cart -d product=2 >/dev/null && shop POST /shop/checkout -d order_key=green2 >/dev/null && [ "$(orders_with green2)" = 1 ]'

# 7. a start on a slot whose port is taken: last, since it replaces the
#    running instance's PHP-FPM socket
SLOT=$CUTOVER_RUN_DIR/local/$ENV/green-1
RUNNING=$(cat "$SLOT/pid")
check "green-1's pid file names a running instance" kill -0 "$RUNNING"
SECOND=$(env PORT="$(sed -n 's/^ *listen [0-9.]*:\([0-9]*\).*/\1/p' "$SLOT/nginx.conf" | head -1)" \
  COLOR=green VERSION=2.0 INSTANCE_DIR="$SLOT" RELEASE_DIR="$(readlink -f "$SLOT/current")" \
  LIFECYCLE_EVENT=ApplicationStart bash "$SLOT/current/scripts/application_start.sh" 2>>"$LOGDIR/test_wordpress.log" |
  sed -n 's/.* pid \([0-9]*\)$/\1/p')
check "a second instance was started on green-1" test -n "$SECOND"
check "it exits: its nginx cannot listen on the taken port" wait_for 30 eq 1 eval "kill -0 ${SECOND:-0} 2>/dev/null; echo \$?"
check_eq "green-1's pid file still names the instance on the port" "$RUNNING" "$(cat "$SLOT/pid")"
finish
