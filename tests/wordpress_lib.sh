# tests/wordpress_lib.sh - helpers for the WordPress shop's scenarios
# (sourced after tests/lib.sh, tests/saga_lib.sh and tests/traffic_lib.sh,
# bash; used by tests/integration/test_wordpress.sh and
# tests/soak/soak_wordpress.sh): a site of its own per run (tables, Redis
# prefix, shared directory), the shop environment's document, releases with
# expand migrations, the shop load generator and the check that every order
# it placed is stored once.
#
# The environment document has two places left for stages that land
# separately: wp_env_caches (the cache actions run before traffic moves)
# and wp_env_scheduler (WP-Cron on the live color); both say null for now,
# and wp_env_json adds what they return when it is not null.

SAGA_BUILDER=$TOP/demo/wordpress/build-release
SAGA_HEALTH_PATH=/shop/health

# wp_packages_missing - the first Debian program the shop needs that is missing
wp_packages_missing() {
  local tool
  for tool in nginx php-fpm8.2 php redis-cli mariadb; do
    command -v "$tool" >/dev/null || { echo "$tool"; return 0; }
  done
  return 1
}

# wp_site - this run's site: RUN_ID, its own tables (ORDERS), Redis prefix
# and shared directory, exported for the release hooks
wp_site() {
  RUN_ID=wp$(date +%s%N | tail -c 9)
  export CUTOVER_WORDPRESS_TABLE_PREFIX=${RUN_ID}_
  export CUTOVER_WORDPRESS_REDIS_PREFIX=$RUN_ID:
  export CUTOVER_WORDPRESS_SHARED_DIR=$CUTOVER_RUN_DIR/wordpress-$RUN_ID
  ORDERS=${CUTOVER_WORDPRESS_TABLE_PREFIX}cutover_shop_orders
}

# redis - redis-cli on the dev stack's Redis
redis() { redis-cli -h "$CUTOVER_REDIS_HOST" -p "$CUTOVER_REDIS_PORT" "$@"; }

# wp_cleanup - the saga's cleanup, a load generator left running, then this
# run's tables, cache keys and shared directory
wp_cleanup() {
  [ -z "${LOADGEN:-}" ] || kill "$LOADGEN" 2>/dev/null
  saga_cleanup
  my "SELECT concat('DROP TABLE ', group_concat(table_name)) FROM information_schema.tables
      WHERE table_schema = DATABASE() AND table_name LIKE '${CUTOVER_WORDPRESS_TABLE_PREFIX//_/\\_}%'" |
    grep -v NULL | while read -r stmt; do my "$stmt"; done
  redis --scan --pattern "$RUN_ID:*" | xargs -r redis-cli -h "$CUTOVER_REDIS_HOST" -p "$CUTOVER_REDIS_PORT" del >/dev/null
  rm -rf "$CUTOVER_WORDPRESS_SHARED_DIR"
}

# wp_env_caches - the cache actions of the environment (JSON), run before
# traffic moves: the shared object cache's prefix $RUN_ID:cache: flushed
# (the sessions under $RUN_ID:session: are kept: carts survive), and each
# new instance's PHP-FPM reloaded (its OPcache emptied)
wp_env_caches() {
  jq -n --arg host "$CUTOVER_REDIS_HOST" --argjson port "$CUTOVER_REDIS_PORT" --arg prefix "$RUN_ID:cache:" '[
    {name: "object-cache", kind: "redis-prefix", host: $host, port: $port, prefix: $prefix, timeout_seconds: 60},
    {name: "opcache", kind: "command", on: "instances", timeout_seconds: 30,
     command: "kill -USR2 \"$(cat \"$INSTANCE_DIR/php-fpm.pid\")\""}]'
}

# wp_env_scheduler - the scheduler settings of the environment (JSON):
# cutover-scheduler asks the live color's first instance for wp-cron.php
# every 5 s (both colors run with DISABLE_WP_CRON)
wp_env_scheduler() {
  jq -n '{command: "curl -fsS --max-time 20 -o /dev/null \"$CUTOVER_LIVE_URL/wp-cron.php?doing_wp_cron\"",
          interval_seconds: 5, timeout_seconds: 60}'
}

# wp_start_workers - the six saga workers and cutover-scheduler (WP-Cron on the live color)
wp_start_workers() {
  start_saga_workers
  start_worker scheduler
}

# cron_colors - the live colors the scheduler's runs went to, in order, repeats folded ("blue green")
cron_colors() {
  sql "SELECT color FROM scheduler_runs WHERE environment = :'v1' AND outcome = 'ok' ORDER BY id" "$ENV" |
    uniq | paste -sd' ' -
}

# wp_env_json - the shop environment's document: the dev stack's MariaDB,
# the checkout check through the preview route, caches and scheduler. The
# checkout check is tried 4 times (retries 3, with backoff): /shop/health
# has a PHP-FPM pool of its own, so it passes while the shop's own pool of
# a color just deployed may still answer 502 for a moment
wp_env_json() {
  saga_env_with_database | jq --arg check "$TOP/demo/wordpress/check-checkout" \
    --argjson caches "$(wp_env_caches)" --argjson scheduler "$(wp_env_scheduler)" '
    .checks += [{name: "checkout", kind: "command", timeout_seconds: 30, retries: 3, command: $check}]
    | if $caches == null then . else .caches = $caches end
    | if $scheduler == null then . else .scheduler = $scheduler end'
}

# wp_env_apply - apply wp_env_json (into $TMP/env.json); 1 when refused
wp_env_apply() {
  wp_env_json > "$TMP/env.json"
  "$BIN/cutover" env apply "$TMP/env.json" > /dev/null
}

# wp_release_2 - release 2.0 with the demo's expand migration (the orders'
# note column), renamed for this run's tables
wp_release_2() {
  mkdir -p "$TMP/with-2.0/cutover" "$TMP/with-2.0/db"
  sed "s/shop-order-note/shop-order-note-$RUN_ID/" "$TOP/demo/wordpress/release-2/cutover/migrations.yml" \
    > "$TMP/with-2.0/cutover/migrations.yml"
  sed "s/wp_cutover_shop_orders/$ORDERS/" "$TOP/demo/wordpress/release-2/db/0001_order_note.sql" \
    > "$TMP/with-2.0/db/0001_order_note.sql"
  saga_release 2.0 --with "$TMP/with-2.0"
}

# wp_release_expand VERSION COLUMN - a release whose expand migration adds
# the nullable column COLUMN to the orders (the old release never names it)
wp_release_expand() {
  local dir=$TMP/with-$1
  mkdir -p "$dir/cutover" "$dir/db"
  printf 'migrations:\n  - name: shop-%s-%s\n    phase: expand\n    sql: db/0001_%s.sql\n' \
    "$2" "$RUN_ID" "$2" > "$dir/cutover/migrations.yml"
  printf 'ALTER TABLE %s ADD COLUMN %s VARCHAR(64) NULL;\n' "$ORDERS" "$2" > "$dir/db/0001_$2.sql"
  saga_release "$1" --with "$dir"
}

# has_column COLUMN - the orders table has COLUMN
has_column() { columns "$ORDERS" | grep -qw "$1"; }

# first_traffic BUILD - when the build's first set-weights effect started
first_traffic() {
  sql "SELECT min(e.started_at) FROM effects e JOIN deployments d ON d.id = e.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2' AND e.kind = 'set-weights'" "$ENV" "$1"
}

# shop_load_start NAME [RATE [CUSTOMERS]] - cutover-loadgen --shop through
# the frontend (RATE a second, default 8, CUSTOMERS default 4) until
# $TMP/NAME.stop exists; its orders' references start with $RUN_ID-NAME;
# report $TMP/NAME.json; sets LOADGEN
shop_load_start() {
  "$BIN/cutover-loadgen" --shop --url "http://127.0.0.1:$LISTEN/" --rate "${2:-8}" \
    --customers "${3:-4}" --connections "${3:-4}" --timeout-ms 30000 --order-prefix "$RUN_ID-$1" \
    --until-file "$TMP/$1.stop" --max-duration 7200 --report "$TMP/$1.json" \
    > "$LOGDIR/loadgen-$1.log" 2>&1 &
  LOADGEN=$!
}

# shop_load_stop NAME - stop the load generator, wait for its report
shop_load_stop() {
  touch "$TMP/$1.stop"
  wait "$LOADGEN" 2>/dev/null
  LOADGEN=""
}

# shop_load_field NAME FILTER - a jq FILTER of the load generator's report
shop_load_field() { jq -r "$2" "$TMP/$1.json"; }

# orders_stored_once NAME - demo/wordpress/check-orders on the load NAME's
# report: prints its line, 1 unless every order is stored exactly once
orders_stored_once() { "$TOP/demo/wordpress/check-orders" "$TMP/$1.json" "$ORDERS" "$RUN_ID-$1"; }

# rollback_now OLD_COLOR - an operator's rollback (cutover rollback) of the
# canary in progress; prints the milliseconds until HAProxy sends everything
# to OLD_COLOR (blue or green) again; 1 when it did not within 60 s
rollback_now() {
  local t0 want
  want=$([ "$1" = blue ] && echo "100 0" || echo "0 100")
  t0=$(now_ms)
  "$BIN/cutover" rollback "$ENV" --reason "operator rollback under load" >/dev/null || return 1
  wait_for 60 eq "$want" weights && echo $(($(now_ms) - t0))
}
