#!/usr/bin/env bash
# test_analysis - analysis gates between canary steps with the five
# workers, the local provider and a real Prometheus scraping the demo
# application's instances (their /metrics count requests by code, version
# and color), while cutover-loadgen sends traffic through HAProxy:
# 1. a release that answers 500 to half its requests is caught by the gate
#    of its first canary step: measurements recorded in the history (the
#    query as sent, the value, the outcome), analysis-failed, rolled back,
#    the old color's weights restored;
# 2. a healthy release passes every step's gate and completes; its
#    measurements compare it with the old color;
# 3. with no traffic at all, a gate with the default no-data policy and a
#    minimum of requests is inconclusive and pauses the canary: it never
#    passes; resumed with traffic, it passes and completes;
# 4. a bad analysis (min above max) is refused with the build-ready's dead
#    letter, and by env apply.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

use_test_prefix
saga_setup analysis
saga_release 2.0 --error-rate 50
saga_release 3.0
saga_release 4.0
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
[ -x "$BIN/cutover-loadgen" ] || { not_ok "cutover-loadgen is built"; finish; }

# Prometheus scrapes every slot of both colors every second
PROM_PORT=$(port_range_pick 1) || { not_ok "a free port for Prometheus"; finish; }
PROM_DIR=$TMP/prometheus
PROM_URL=http://127.0.0.1:$PROM_PORT
mkdir -p "$PROM_DIR"
{
  printf 'global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: demo\n    static_configs:\n      - targets: ['
  slot_targets
  printf ']\n'
} > "$PROM_DIR/prometheus.yml"
prometheus --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >> "$LOGDIR/prometheus-analysis.log" 2>&1 &
PROM_PID=$!
trap 'kill "$PROM_PID" 2>/dev/null; kill "${LOADGEN:-}" 2>/dev/null; saga_cleanup' EXIT
check "Prometheus is ready" wait_for 60 curl -fsS -o /dev/null "$PROM_URL/-/ready"

# the environment learns where Prometheus is
saga_env_json | jq --arg u "$PROM_URL" '.analysis = {prometheus_url: $u}' > "$TMP/env.json"
check "env apply with analysis.prometheus_url" eval '"$BIN/cutover" env apply "$TMP/env.json" > /dev/null'
start_saga_workers CUTOVER_ANALYSIS_TICK_MS=200
gate_open all

ERRORS='sum(rate(demo_http_requests_total{code=\"500\",color=\"{{color}}\"}[10s])) / sum(rate(demo_http_requests_total{color=\"{{color}}\"}[10s]))'
REQUESTS='sum(increase(demo_http_requests_total{color=\"{{color}}\"}[10s]))'

# gated STEP_PAUSE [EXTRA] - a canary 25 % -> 100 % whose first step's error rate is gated
gated() {
  printf '{"kind":"canary","auto_promote":true,"steps":[{"weight":25,"pause_seconds":%s,"analysis":{"metrics":[{"name":"error-rate","query":"%s","max":0.1,"interval_seconds":2,"failure_limit":1,"min_requests":{"query":"%s","min":5}%s}]}},{"weight":100,"pause_seconds":0}]}' \
    "$1" "$ERRORS" "$REQUESTS" "${2:-}"
}

# loadgen_start NAME - 40 requests a second through the frontend until $TMP/NAME.stop exists
loadgen_start() {
  "$BIN/cutover-loadgen" --url "http://127.0.0.1:$LISTEN/" --rate 40 --connections 4 \
    --until-file "$TMP/$1.stop" --max-duration 600 > "$LOGDIR/loadgen-analysis-$1.log" 2>&1 &
  LOADGEN=$!
}

# loadgen_stop NAME
loadgen_stop() { touch "$TMP/$1.stop"; wait "$LOADGEN" 2>/dev/null; LOADGEN=""; }

# 1. a release that fails half its requests
loadgen_start bad
build_ready a1 2.0 "$(gated 60)"
check "the bad release is received" wait_for 60 has_deployment a1
A1=$(dep_id a1)
check "its canary takes 25 %" wait_for 240 eq 25 shifted "$A1"
check "the gate measures a failing error rate" wait_for 60 gt 0 measurements "$A1" fail
check "the analysis fails and the deployment rolls back" wait_for 90 eq rolled-back dep_state a1
check_eq "the old color has all the traffic" "100 0" "$(weights)"
check_eq "the history has the verdict" analysis:failed "$(verdicts "$A1")"
check "a measurement shows the query as sent (the color filled in)" test 1 -le \
  "$(sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1' AND event_type = 'analysis:measurement'
          AND reason LIKE '%color=\"green\"%' AND reason LIKE '%outside [-inf, 0.1]%'" "$A1")"
check_eq "the rollback came from the analysis" 1 \
  "$(sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1' AND to_state = 'rolling-back'
          AND event_type = 'analysis:failed'" "$A1")"
check "cutover history shows the measurements" \
  eval '"$BIN/cutover" history "$ENV" | grep -q "analysis of step 0: error-rate #1"'
loadgen_stop bad

# 2. a healthy release, compared with the old color. Green served 2.0's
# 500s moments ago, and a query's range over green counts whatever green
# served in it: the next canary on green starts once they left the 10 s
# window, as an operator would wait before trying again
# in_window SELECTOR - how many requests the 10 s query window holds (floor)
in_window() {
  curl -fsS "$PROM_URL/api/v1/query" --data-urlencode \
    "query=sum(increase(demo_http_requests_total{$1}[10s])) or vector(0)" |
    jq -r '.data.result[0].value[1] | tonumber | floor'
}
check "green's 500s leave the query's window" wait_for 60 eq 0 in_window 'code="500",color="green"'
loadgen_start good
build_ready a2 3.0 "$(gated 8 ',"baseline":{"max_increase":0.05}')"
check "the healthy release is received" wait_for 60 has_deployment a2
A2=$(dep_id a2)
check "it passes its gate and completes" wait_for 240 eq completed dep_state a2
check_eq "the history has the verdict" analysis:passed "$(verdicts "$A2")"
check "its measurements passed against the old color's rate" test "$(measurements "$A2" pass)" -ge 1
check_eq "the last measurement passed" pass \
  "$(sql "SELECT outcome FROM analysis_measurements m JOIN analyses a ON a.id = m.analysis_id
          WHERE a.deployment_id = :'v1' ORDER BY m.at DESC LIMIT 1" "$A2")"
check "the measurements name the old color's value" test 1 -le \
  "$(sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1' AND event_type = 'analysis:measurement'
          AND reason LIKE '%old color %'" "$A2")"
loadgen_stop good

# 3. no traffic: inconclusive, paused, never passed (once the last
# requests left the query's 10 s window)
check "the last requests leave the query's window" wait_for 60 eq 0 in_window ''
build_ready a3 4.0 "$(gated 6)"
check "the next release is received" wait_for 60 has_deployment a3
A3=$(dep_id a3)
check "with no traffic the gate is inconclusive and the canary pauses" wait_for 240 eq paused dep_state a3
check_eq "the history says inconclusive, never passed" analysis:inconclusive "$(verdicts "$A3")"
check "its measurements are low-traffic" test "$(measurements "$A3" low-traffic)" -ge 1
sleep 8
check_eq "it stays paused past the step's pause" paused "$(dep_state a3)"
loadgen_start resumed
shift_requested resume
check "resumed with traffic, the gate passes and the deployment completes" \
  wait_for 240 eq completed dep_state a3
check_eq "the verdicts in order" "analysis:inconclusive analysis:passed" "$(verdicts "$A3")"
loadgen_stop resumed

# 4. a bad analysis is refused
DL_BEFORE=$(consume dead-letter | grep -c "bad no_data, interval, count, limits or range" || true)
build_ready a4 4.0 "$(gated 6 ',"min":0.5')"
check "a build-ready with min above max is dead-lettered with the reason" \
  wait_for 30 eq $((DL_BEFORE + 1)) eval 'consume dead-letter | grep -c "bad no_data, interval, count, limits or range" || true'
check_eq "no deployment for it" "" "$(dep_id a4)"
jq --argjson s "$(gated 6 ',"min":0.5')" '.strategy = $s' "$TMP/env.json" > "$TMP/bad-env.json"
check "env apply refuses it too" eval '! "$BIN/cutover" env apply "$TMP/bad-env.json" 2> "$TMP/apply.err"'
check "... saying why" grep -q "strategy: error-rate: bad no_data, interval, count, limits or range" "$TMP/apply.err"
check_eq "no effect done twice, no provider change made twice" "$(printf '0\n0')" "$(effects_twice)"

finish
