#!/usr/bin/env bash
# soak_wordpress - the WordPress shop's soak (make soak): the shop load
# generator (cutover-loadgen --shop: pages, carts, orders with unique
# references; SOAK_WP_RATE requests a second, default 10) through HAProxy's
# frontend while the six workers go through SOAK_WP_ROUNDS rounds (default
# 5), each one canary 10 -> 50 -> 100 that completes and one canary held at
# its first step that an operator rolls back (cutover rollback); every
# release of a round carries an expand migration of its own (a column added
# to the orders), so the soak makes 2 x ROUNDS schema changes. The load goes
# on until at least SOAK_WP_REQUESTS requests (default 10,000) including
# SOAK_WP_ORDERS orders (default 500) went out. SOAK_SCALE (e.g. 0.1)
# shrinks rounds, requests and orders (at least one round).
#
# Asserted: not one request failed; every order the load generator placed
# is stored exactly once (demo/wordpress/check-orders); each canary
# completed, each rollback ended rolled back with the live color's weights
# restored; each migration's column exists.
#
# Writes $SOAK_DIR/wordpress.json (default .run/soak/wordpress.json):
# {"part", "passed", "requests", "failed", "orders_placed", "orders_stored",
# "latency_ms": {"p50", "p99", "max"}, "deployments": [{"build",
# "version", "kind", "end", "duration_s"}], "rollbacks_ms": [...],
# "summary": [Markdown lines]}; the load generator's report is kept next to
# it (wordpress-loadgen.json).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"
source "$TOP/tests/wordpress_lib.sh"

SOAK_DIR=${SOAK_DIR:-$TOP/.run/soak}
SOAK_SCALE=${SOAK_SCALE:-1}
mkdir -p "$SOAK_DIR"

# scaled N [MIN] - N times SOAK_SCALE, rounded up, at least MIN (default 1)
scaled() {
  awk -v n="$1" -v s="$SOAK_SCALE" -v min="${2:-1}" \
    'BEGIN { v = n * s; r = int(v); if (r < v) r++; if (r < min) r = min; print r }'
}

RATE=${SOAK_WP_RATE:-10}
ROUNDS=${SOAK_WP_ROUNDS:-$(scaled 5)}
REQUESTS=${SOAK_WP_REQUESTS:-$(scaled 10000)}
ORDERS_WANTED=${SOAK_WP_ORDERS:-$(scaled 500)}
DEPLOYMENTS=$(mktemp)
ROLLBACKS=()

if missing=$(wp_packages_missing); then
  echo "not ok - the WordPress soak cannot run: $missing missing (run ops/bootstrap)"
  exit 1
fi
[ -x "$BIN/cutover-loadgen" ] || { not_ok "cutover-loadgen is built" "run make first"; exit 1; }

use_test_prefix
wp_site
saga_setup wpsoak
trap 'wp_cleanup; rm -f "$DEPLOYMENTS"' EXIT
wp_env_apply || { not_ok "env apply"; exit 1; }
gate_open all
wp_start_workers

# deployment_row BUILD KIND - the build's version, end state and duration, as a JSON line into DEPLOYMENTS
deployment_row() {
  sql "SELECT json_build_object('build', build_id, 'version', version, 'kind', :'v3', 'end', state,
         'duration_s', round(extract(epoch FROM coalesce(finished_at, updated_at) - created_at)::numeric, 1))
       FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "$ENV" "$1" "$2" >> "$DEPLOYMENTS"
}

# soak_canary ROUND - a release with its own column, a canary 10 -> 50 -> 100 that completes
soak_canary() {
  local version=$1.1 build=c$1 column=soak_c$1
  wp_release_expand "$version" "$column"
  build_ready "$build" "$version" "$(canary 10:2 50:2 100:1)"
  check "round $1: the canary of $version completes" wait_for 600 eq completed dep_state "$build"
  check "round $1: its column $column exists" has_column "$column"
  deployment_row "$build" canary
}

# soak_rollback ROUND - a release with its own column, held at 25 %, rolled back by an operator
soak_rollback() {
  local version=$1.2 build=r$1 column=soak_r$1 live ms
  live=$(live_color)
  wp_release_expand "$version" "$column"
  build_ready "$build" "$version" "$(canary 25:null 100:1)"
  check "round $1: the canary of $version holds at 25 %" wait_for 600 eq "25:done" shifts_of "$build"
  check "round $1: its column $column exists" has_column "$column"
  ms=$(rollback_now "$live")
  check "round $1: cutover rollback puts all traffic back on $live" test -n "$ms"
  ROLLBACKS+=("${ms:-null}")
  check "round $1: the deployment is rolled back" wait_for 120 eq rolled-back dep_state "$build"
  deployment_row "$build" rollback
}

# orders_so_far - the orders the load generator's references stored so far
orders_so_far() { my "SELECT count(*) FROM $ORDERS WHERE order_key LIKE '$RUN_ID-soak-%'"; }

# enough_load - the orders stored show REQUESTS requests and ORDERS_WANTED orders sent (four requests an order)
enough_load() { [ "$(orders_so_far)" -ge "$ORDERS_WANTED" ] && [ $(($(orders_so_far) * 4)) -ge "$REQUESTS" ]; }

# report_json - the soak's numbers and summary
report_json() {
  local lg=$TMP/soak.json
  jq -n --slurpfile lg "$lg" --slurpfile deps "$DEPLOYMENTS" --argjson failures "$TEST_FAILURES" \
    --argjson rollbacks "[$(IFS=,; echo "${ROLLBACKS[*]}")]" --arg stored "$STORED" \
    --arg cron "$(cron_colors)" --argjson flushes "$(sql "SELECT count(*) FROM deployment_caches c
      JOIN deployments d ON d.id = c.deployment_id WHERE d.environment = :'v1' AND c.status = 'ok'" "$ENV")" '
    ($lg[0]) as $l
    | {part: "wordpress", passed: ($failures == 0 and $l.failed == 0), checks_failed: $failures,
       requests: $l.sent, failed: $l.failed, orders_placed: $l.orders_placed,
       orders_stored: ($stored | tonumber? // null), latency_ms: $l.latency_ms,
       deployments: $deps, rollbacks_ms: $rollbacks, cache_actions_ok: $flushes, cron_live_colors: $cron}
    | .summary = [
        "WordPress shop: \(.requests) requests (\(.failed) failed), \(.orders_placed) orders placed, \(.orders_stored) stored once",
        "latency p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms",
        "\([.deployments[] | select(.kind == "canary" and .end == "completed")] | length) canaries completed, \([.deployments[] | select(.kind == "rollback" and .end == "rolled-back")] | length) rolled back, each with a schema change",
        "deployment durations (s): \([.deployments[].duration_s] | map(tostring) | join(", "))",
        "rollback times (ms, cutover rollback to the old weights): \(.rollbacks_ms | map(tostring) | join(", "))",
        "cache actions done before traffic moved: \(.cache_actions_ok); WP-Cron followed the live color: \(.cron_live_colors)"]'
}

shop_load_start soak "$RATE" 4
for ((round = 1; round <= ROUNDS; round++)); do
  soak_canary "$round"
  soak_rollback "$round"
done
check "the load reaches $REQUESTS requests and $ORDERS_WANTED orders" wait_for 7200 enough_load
shop_load_stop soak
STORED=$(orders_so_far)
check_eq "not one request failed" 0 "$(shop_load_field soak .failed)"
check "every order placed is stored exactly once" orders_stored_once soak
check_eq "WP-Cron ran on the live color, which each promotion moved" $((ROUNDS + 1)) "$(wc -w <<< "$(cron_colors)")"
report_json > "$SOAK_DIR/wordpress.json"
cp "$TMP/soak.json" "$SOAK_DIR/wordpress-loadgen.json"
check "the report is written" test -s "$SOAK_DIR/wordpress.json"
jq -r '.summary[] | "# " + .' "$SOAK_DIR/wordpress.json"
finish
