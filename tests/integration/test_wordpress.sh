#!/usr/bin/env bash
# test_wordpress - a real WordPress shop deployed blue-green by the six
# workers on the local provider, with the dev stack's HAProxy, MariaDB and
# Redis: releases built by demo/wordpress/build-release (Debian's WordPress,
# one nginx + PHP-FPM pair per instance started by the appspec hooks, the
# shop plugin). The environment is seeded with release 1.0; release 2.0
# carries an expand migration (the orders' note column). Checks that:
# 1. the seeded blue color serves WordPress pages and takes orders;
# 2. the deployment of 2.0 completes, the column added before the new
#    color was scaled;
# 3. green serves 2.0 through the frontend, pages and orders work there
#    (with the new column), a cart filled on blue before the switch is
#    still there after it (sessions and salts shared), and the order placed
#    on blue is stored once;
# 4. release 3.0, whose checkout answers 500, fails in validation (the
#    environment's checkout check, demo/wordpress/check-checkout, through
#    the preview route) and green keeps serving 2.0.
# Skips when the Debian packages (ops/bootstrap) are missing.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

for tool in nginx php-fpm8.2 php redis-cli; do
  command -v "$tool" >/dev/null || { echo "ok - SKIP $tool missing: run ops/bootstrap"; finish; }
done
[ -n "${CUTOVER_REDIS_PORT:-}" ] && [ -n "${CUTOVER_MYSQL_PORT:-}" ] ||
  { not_ok "the dev stack runs MariaDB and Redis" "CUTOVER_MYSQL_PORT or CUTOVER_REDIS_PORT unset"; finish; }

use_test_prefix
SAGA_BUILDER=$TOP/demo/wordpress/build-release
SAGA_HEALTH_PATH=/shop/health
# this run's site: its own tables, Redis prefix and shared directory
RUN_ID=wp$(date +%s%N | tail -c 9)
export CUTOVER_WORDPRESS_TABLE_PREFIX=${RUN_ID}_
export CUTOVER_WORDPRESS_REDIS_PREFIX=$RUN_ID:
export CUTOVER_WORDPRESS_SHARED_DIR=$CUTOVER_RUN_DIR/wordpress-$RUN_ID
ORDERS=${CUTOVER_WORDPRESS_TABLE_PREFIX}cutover_shop_orders
JAR=$(mktemp)

# wp_cleanup - the saga's cleanup, then this run's tables, cache keys and directory
wp_cleanup() {
  saga_cleanup
  my "SELECT concat('DROP TABLE ', group_concat(table_name)) FROM information_schema.tables
      WHERE table_schema = DATABASE() AND table_name LIKE '${CUTOVER_WORDPRESS_TABLE_PREFIX//_/\\_}%'" |
    grep -v NULL | while read -r stmt; do my "$stmt"; done
  redis-cli -h "$CUTOVER_REDIS_HOST" -p "$CUTOVER_REDIS_PORT" --scan --pattern "$RUN_ID:*" |
    xargs -r redis-cli -h "$CUTOVER_REDIS_HOST" -p "$CUTOVER_REDIS_PORT" del >/dev/null
  rm -rf "$CUTOVER_WORDPRESS_SHARED_DIR" "$JAR"
}

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
trap wp_cleanup EXIT

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
  eval '[ -n "$(redis-cli -h "$CUTOVER_REDIS_HOST" -p "$CUTOVER_REDIS_PORT" --scan --pattern "$RUN_ID:cache:*:options:alloptions")" ]'

# 2. release 2.0, its expand migration renamed for this run's tables
mkdir -p "$TMP/with-2/cutover" "$TMP/with-2/db"
sed "s/shop-order-note/shop-order-note-$RUN_ID/" "$TOP/demo/wordpress/release-2/cutover/migrations.yml" \
  > "$TMP/with-2/cutover/migrations.yml"
sed "s/wp_cutover_shop_orders/$ORDERS/" "$TOP/demo/wordpress/release-2/db/0001_order_note.sql" \
  > "$TMP/with-2/db/0001_order_note.sql"
saga_release 2.0 --with "$TMP/with-2"
saga_env_with_database | jq --arg check "$TOP/demo/wordpress/check-checkout" '
  .checks += [{name: "checkout", kind: "command", timeout_seconds: 30, command: $check}]' > "$TMP/env.json"
"$BIN/cutover" env apply "$TMP/env.json" > /dev/null || { not_ok "env apply with a database section"; finish; }
check_eq "before 2.0 the orders have no note" "" "$(columns "$ORDERS" | grep -o note)"
gate_open all
start_saga_workers
build_ready b2 2.0
check "the blue-green deployment of 2.0 completes" wait_for 300 eq completed dep_state b2
check "the note column was added before the new color was scaled" \
  before "$(at b2 migrate-expand finished)" "$(at b2 scale-new)"
check "the orders table has the note column" eval 'columns "$ORDERS" | grep -qw note'

# 3. green serves 2.0; pages, sessions and orders work there
check_eq "green serves release 2.0 through the frontend" "2.0 green" \
  "$(served_field version) $(served_field color)"
check "the front page is WordPress's on green" eval 'shop GET / | grep -q "<title>cutover shop"'
check "the cart filled on blue is still there on green" eval 'shop GET /shop/cart | jq -e ".cart[\"1\"] == 2"'
check_eq "green reads the value blue cached" from-blue "$(shop GET /shop/cache/shared | jq -r .value)"
check "the cart becomes an order on green, with a note" \
  eval 'shop POST /shop/checkout -d order_key=green1 -d note=gift | jq -e ".total_cents == 2400"'
check_eq "the order is stored by green with its note" "green 2.0 gift" \
  "$(order_field green1 color) $(order_field green1 version) $(order_field green1 note)"
check_eq "the order placed on blue is stored once" 1 "$(orders_with blue1)"
check "a repeated checkout key stores nothing twice" eval \
  'shop POST /shop/cart -d product=2 >/dev/null && shop POST /shop/checkout -d order_key=green1 >/dev/null && [ "$(orders_with green1)" = 1 ]'

# 4. a release whose checkout answers 500 never takes traffic
saga_release 3.0 --broken
build_ready b3 3.0
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
check "checkout works on green" eval \
  'shop POST /shop/cart -d product=2 >/dev/null && shop POST /shop/checkout -d order_key=green2 >/dev/null && [ "$(orders_with green2)" = 1 ]'
finish
