#!/usr/bin/env bash
# soak_demo - the zero-downtime soak of the small demo application: a
# steady stream of GETs (cutover-loadgen, SOAK_RATE per second, default
# 400) through HAProxy's frontend while cutover, its six workers run by
# cutoverd, goes through SOAK_CANARIES complete canaries (10 % gated by an
# analysis, 50 %, 100 %, promotion, bake, retirement of the old color;
# default 20) and SOAK_ROLLBACKS rollbacks (default 20) taking turns: an
# alarm (cutover alarm), an operator (cutover rollback) and a failed
# analysis. Meanwhile a worker chosen at random is SIGKILLed every few
# seconds whenever a deployment is shifting or rolling back (cutoverd
# starts it again), and HAProxy is reloaded gracefully (master socket,
# as ops/devstack and the local provider do it) during each canary's
# first step. The load runs until at least SOAK_REQUESTS (default
# 200,000) requests went out.
#
# Asserted: not one request failed; each canary completed and each
# rollback ended rolled back with the old color's weights restored; the
# weights survived each reload; the live color serves the last completed
# release; no effect done twice. Reported (not asserted): latency p50/p99
# in steady state (no deployment active, the workers' start-up left
# out), during shifts (first weight change to promoted or rolled back)
# and at other times of a deployment,
# the shift/steady p99 ratio (goal 1.2), each deployment's duration, each
# rollback's time (the alarm, the command or the analysis verdict to
# HAProxy reporting the old weights), the kills and the reloads. SOAK_SCALE
# (e.g. 0.1) shrinks the counts (at least one canary and three
# rollbacks), never the rate.
#
# The analysis: a blackbox exporter probes each slot's /health for
# Prometheus; the gate wants every slot of the new color healthy. The
# release of an analysis rollback is built --broken: its pages answer
# (HAProxy's checks and validation look at /), but its /health says 503,
# which only the gate sees, so it is rolled back without a failed request.
#
# Writes $SOAK_DIR/demo.json (default .run/soak/demo.json) and keeps the
# run's raw records in $SOAK_DIR/demo/: kills.log, reloads.log, the
# deployments, the time windows and the loadgen's latency.log.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"
source "$TOP/tests/soak/soak_lib.sh"

RATE=${SOAK_RATE:-400}
CANARIES=${SOAK_CANARIES:-$(soak_scaled 20)}
ROLLBACKS=${SOAK_ROLLBACKS:-$(soak_scaled 20 3)}
REQUESTS=${SOAK_REQUESTS:-$(soak_scaled 200000)}
QUIET_S=${SOAK_QUIET_SECONDS:-3}  # steady state between two deployments
ROLLBACK_KINDS=(alarm operator analysis)
export CUTOVER_EFFECT_LEASE_MS=3000
export CUTOVER_SUPERVISOR_RESTART_MIN_MS=200 CUTOVER_SUPERVISOR_RESTART_MAX_MS=1600
export CUTOVER_SUPERVISOR_STABLE_MS=3000 CUTOVER_ANALYSIS_TICK_MS=250
export SAGA_HEALTH_PATH=/ BAKE=2

use_test_prefix
saga_setup soak
export CUTOVER_ENVIRONMENTS="^$ENV\$"
saga_release 9.0 --broken
RUN=$TMP/soak
mkdir -p "$RUN"
: > "$RUN/kills.log"; : > "$RUN/reloads.log"; : > "$RUN/canaries.log"; : > "$RUN/rollbacks.log"
for tool in cutoverd cutover-loadgen; do
  [ -x "$BIN/$tool" ] || { not_ok "$tool is built" "run make first"; finish; }
done
for tool in prometheus prometheus-blackbox-exporter; do
  command -v "$tool" > /dev/null || { not_ok "$tool is installed" "run ops/bootstrap"; finish; }
done

# monitoring_start - the blackbox exporter and Prometheus (1 s scrapes of
# every slot's /health, labelled with the slot's color); sets PROM_URL
monitoring_start() {
  local ports bb prom
  ports=$(port_range_pick 2) || return 1
  bb=$ports prom=$((ports + 1))
  printf 'modules:\n  health:\n    prober: http\n    timeout: 2s\n' > "$RUN/blackbox.yml"
  prometheus-blackbox-exporter --config.file="$RUN/blackbox.yml" --web.listen-address="127.0.0.1:$bb" \
    >> "$LOGDIR/soak-blackbox.log" 2>&1 &
  BLACKBOX_PID=$!
  prometheus_yml "$bb" > "$RUN/prometheus.yml"
  prometheus --config.file="$RUN/prometheus.yml" --storage.tsdb.path="$RUN/prometheus" \
    --web.listen-address="127.0.0.1:$prom" >> "$LOGDIR/soak-prometheus.log" 2>&1 &
  PROM_PID=$!
  PROM_URL=http://127.0.0.1:$prom
  wait_for 60 curl -fsS -o /dev/null "$PROM_URL/-/ready"
}

# prometheus_yml BLACKBOX_PORT - the scrape configuration: /health of each slot through the exporter
prometheus_yml() {
  local color c p
  printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n'
  printf '  - job_name: health\n    metrics_path: /probe\n    params: {module: [health]}\n    static_configs:\n'
  for c in 0 1; do
    color=$([ "$c" = 0 ] && echo blue || echo green)
    printf '      - labels: {color: %s}\n        targets: [' "$color"
    for ((p = BASE + c * SAGA_MAX; p < BASE + (c + 1) * SAGA_MAX; p++)); do
      printf '%s"http://127.0.0.1:%d/health"' "$([ "$p" = $((BASE + c * SAGA_MAX)) ] || echo ,)" "$p"
    done
    printf ']\n'
  done
  printf '    relabel_configs:\n      - {source_labels: [__address__], target_label: __param_target}\n'
  printf '      - {source_labels: [__param_target], target_label: instance}\n'
  printf '      - {target_label: __address__, replacement: "127.0.0.1:%s"}\n' "$1"
}

# strategy HOLD - a canary whose 10 % step is gated by the slots' health;
# HOLD "hold": then 50 % until an operator, else 50 % for 3 s and 100 %
strategy() {
  local healthy='min(probe_success{color=\"{{color}}\"})' then='{"weight":50,"pause_seconds":3},{"weight":100,"pause_seconds":0}'
  [ "$1" = hold ] && then='{"weight":50,"pause_seconds":null}'
  printf '{"kind":"canary","auto_promote":true,"steps":[{"weight":10,"pause_seconds":4,"analysis":{"metrics":[{"name":"healthy","query":"%s","min":1,"interval_seconds":1,"failure_limit":1,"no_data":"fail"}]}},%s]}' \
    "$healthy" "$then"
}

# active_in_shift - a deployment of ENV is moving traffic (the killer's condition)
active_in_shift() {
  [ "$(sql "SELECT count(*) FROM deployments WHERE environment = :'v1'
            AND state IN ('shifting', 'rolling-back')" "$ENV")" -gt 0 ]
}

# new_color BUILD - the color BUILD deploys to
new_color() { sql "SELECT new_color FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "$ENV" "$1"; }

# share COLOR - COLOR's weight as HAProxy reports it
share() {
  local b g
  read -r b g < <(weights)
  [ "$1" = blue ] && echo "$b" || echo "$g"
}

# share_between COLOR LO HI - COLOR's weight is within [LO, HI]
share_between() {
  local w
  w=$(share "$1")
  [[ "$w" =~ ^[0-9]+$ ]] && [ "$w" -ge "$2" ] && [ "$w" -le "$3" ]
}

# restored_at OLD_COLOR - poll until HAProxy gives OLD_COLOR 100 and the other 0; print the wall ms
restored_at() {
  local want="0 100"
  [ "$1" = blue ] && want="100 0"
  wait_for 180 eq "$want" weights || return 1
  now_ms
}

# ms_of BUILD STATE - when BUILD's deployment first entered STATE (wall ms, "" when never)
ms_of() {
  sql "SELECT round(extract(epoch FROM min(t.at)) * 1000)::bigint FROM transitions t
       JOIN deployments d ON d.id = t.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2' AND t.to_state = :'v3'" "$ENV" "$1" "$2"
}

# verdict_ms BUILD - when BUILD's analysis failed (wall ms)
verdict_ms() {
  sql "SELECT round(extract(epoch FROM min(t.at)) * 1000)::bigint FROM transitions t
       JOIN deployments d ON d.id = t.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2' AND t.event_type = 'analysis:failed'" "$ENV" "$1"
}

# windows STATE_FROM STATES_TO - "START_MS END_MS" of each deployment of ENV
# from its first transition into STATE_FROM ("" for its first transition)
# to its first into one of STATES_TO (comma-separated)
windows() {
  sql "SELECT round(extract(epoch FROM min(t.at) FILTER (WHERE :'v2' = '' OR t.to_state = :'v2')) * 1000)::bigint
              || ' ' || round(extract(epoch FROM min(t.at) FILTER (WHERE t.to_state = ANY (string_to_array(:'v3', ',')))) * 1000)::bigint
       FROM transitions t JOIN deployments d ON d.id = t.deployment_id
       WHERE d.environment = :'v1' GROUP BY d.id" "$ENV" "$1" "$2" | grep -E '^[0-9]+ [0-9]+$'
}

# workers_ready - each of the six workers told cutoverd's log it started
# (its Kafka and PostgreSQL set-up done)
workers_ready() {
  local name
  for name in "${SAGA_WORKERS[@]}"; do
    jq -Rr --arg w "$name" 'fromjson? | select(.worker == $w and (.msg | startswith("started:"))) | .msg' \
      "$LOGDIR/soak-cutoverd.log" | grep -q . || return 1
  done
}

# quiet - steady state: no deployment for QUIET_S seconds
quiet() { sleep "$QUIET_S"; }

# run_canary N - a complete canary of release 2.N with a reload in its first step
run_canary() {
  local build=c$1 version=2.$1 color t0 reload=0
  saga_release "$version"
  t0=$(now_ms)
  build_ready "$build" "$version" "$(strategy go)"
  wait_for 300 has_deployment "$build" && color=$(wait_for 300 eq shifting dep_state "$build" && new_color "$build")
  if [ -n "${color:-}" ] && wait_for 120 share_between "$color" 1 99; then
    soak_haproxy_reload "$RUN/reloads.log" && reload=1
    check "canary $1: the weights survive the HAProxy reload" share_between "$color" 1 100
  fi
  check_eq "canary $1: HAProxy reloaded in its first step" 1 "$reload"
  check "canary $1: completes" wait_for 600 eq completed dep_state "$build"
  check_eq "canary $1: its gate passed" analysis:passed "$(verdicts "$(dep_id "$build")")"
  check "canary $1: the old color is retired" wait_for 120 eq "0 0 0" probe health "$([ "$color" = blue ] && echo green || echo blue)"
  echo "$build $(dep_id "$build") $t0 $(ms_of "$build" completed) $reload" >> "$RUN/canaries.log"
  LAST_VERSION=$version
}

# run_rollback N KIND - a canary of 3.N (9.0, the broken one, for an
# analysis) rolled back by KIND: alarm, operator or analysis
run_rollback() {
  local build=r$1 version=3.$1 kind=$2 color old t0 t1
  [ "$kind" = analysis ] && version=9.0 || saga_release "$version"
  build_ready "$build" "$version" "$(strategy hold)"
  wait_for 300 has_deployment "$build" && color=$(wait_for 300 eq shifting dep_state "$build" && new_color "$build")
  old=$([ "${color:-}" = blue ] && echo green || echo blue)
  if [ "$kind" = analysis ]; then
    check "rollback $1 (analysis): the broken release takes its first step" \
      wait_for 300 share_between "${color:-blue}" 1 99
    t1=$(restored_at "$old")
    t0=$(verdict_ms "$build")
    check_eq "rollback $1 (analysis): the gate failed it" analysis:failed "$(verdicts "$(dep_id "$build")")"
  else
    check "rollback $1 ($kind): the canary holds at 50 %" wait_for 300 eq 50 share "${color:-blue}"
    t0=$(now_ms)
    if [ "$kind" = alarm ]; then
      "$BIN/cutover" alarm "$ENV" --alarm soak-5xx --reason "soak: alarm $1" > /dev/null
    else
      "$BIN/cutover" rollback "$ENV" --reason "soak: operator $1" --by soak > /dev/null
    fi
    t1=$(restored_at "$old")
  fi
  check "rollback $1 ($kind): the old color has all the traffic again" test -n "$t1"
  check "rollback $1 ($kind): rolled back" wait_for 300 eq rolled-back dep_state "$build"
  check "rollback $1 ($kind): the new color is scaled to zero" wait_for 120 eq "0 0 0" probe health "${color:-blue}"
  echo "$build $kind $(dep_id "$build") ${t0:-0} ${t1:-0}" >> "$RUN/rollbacks.log"
}

# loadgen_start - the steady load until $RUN/load.stop exists
loadgen_start() {
  "$BIN/cutover-loadgen" --url "http://127.0.0.1:$LISTEN/" --rate "$RATE" --connections 8 \
    --until-file "$RUN/load.stop" --max-duration 86400 --report "$RUN/load.json" \
    --latency-log "$RUN/latency.log" > "$LOGDIR/soak-loadgen.log" 2>&1 &
  LOADGEN=$!
  LOAD_T0=$SECONDS
}

# loadgen_stop - once REQUESTS went out, stop the load and wait for its report
loadgen_stop() {
  local left=$(((REQUESTS + RATE - 1) / RATE + 1 - (SECONDS - LOAD_T0)))
  [ "$left" -gt 0 ] && sleep "$left"
  touch "$RUN/load.stop"
  wait "$LOADGEN"
  LOADGEN=""
}

# deployments_json - the canaries and rollbacks as the report lists them
deployments_json() {
  local build id t0 t1 kind reload
  while read -r build id t0 t1 reload; do
    jq -n --arg b "$build" --arg id "$id" --argjson t0 "$t0" --argjson t1 "${t1:-0}" --argjson r "$reload" \
      '{build: $b, deployment_id: $id, duration_s: (if $t1 > 0 then ($t1 - $t0) / 1000 else null end), haproxy_reloaded: ($r == 1)}'
  done < "$RUN/canaries.log" | jq -s . > "$RUN/canaries.json"
  while read -r build kind id t0 t1; do
    jq -n --arg b "$build" --arg k "$kind" --arg id "$id" --argjson t0 "$t0" --argjson t1 "$t1" \
      '{build: $b, kind: $k, deployment_id: $id, rollback_ms: (if $t0 > 0 and $t1 > 0 then $t1 - $t0 else null end)}'
  done < "$RUN/rollbacks.log" | jq -s . > "$RUN/rollbacks.json"
}

# report_json - the part's report: load, latency, deployments, faults, checks
report_json() {
  windows shifting promoted,rolled-back > "$RUN/shifts.windows"
  windows "" completed,rolled-back,failed,superseded > "$RUN/busy.windows"
  echo "$WARM_T0 $WARM_T1" >> "$RUN/busy.windows"
  soak_latency_json "$RUN/latency.log" "$RUN/shifts.windows" "$RUN/busy.windows" > "$RUN/latency.json"
  deployments_json
  jq -n --slurpfile load "$RUN/load.json" --slurpfile lat "$RUN/latency.json" \
    --slurpfile can "$RUN/canaries.json" --slurpfile rb "$RUN/rollbacks.json" \
    --argjson scale "$SOAK_SCALE" --argjson failures "$TEST_FAILURES" \
    --arg kills "$(awk '{ print $2 }' "$RUN/kills.log" | sort | uniq -c | awk '{ printf "%s%s:%s", s, $2, $1; s = "," }')" \
    --argjson nkills "$(wc -l < "$RUN/kills.log")" --argjson nreloads "$(wc -l < "$RUN/reloads.log")" '
    ($load[0]) as $l | ($can[0]) as $c | ($rb[0]) as $r |
    def stats(f): [.[] | f | select(. != null)] | sort | if length == 0 then null
      else {min: .[0], median: .[length / 2 | floor], max: .[-1]} end;
    {part: "demo", passed: ($failures == 0), scale: $scale, checks_failed: $failures,
     load: {rate: $l.rate, elapsed_s: $l.elapsed_s, sent: $l.sent, ok: $l.ok, failed: $l.failed,
            errors: $l.errors, statuses: $l.statuses, latency_ms: $l.latency_ms},
     latency: $lat[0],
     canaries: {count: ($c | length), completed: ($c | map(select(.duration_s != null)) | length),
                duration_s: ($c | stats(.duration_s)), each: $c},
     rollbacks: {count: ($r | length), by_kind: ($r | group_by(.kind) | map({(.[0].kind): length}) | add),
                 rollback_ms: ($r | stats(.rollback_ms)), each: $r},
     kills: {count: $nkills, by_worker: ($kills | split(",") | map(select(. != "") | split(":") | {(.[0]): (.[1] | tonumber)}) | add)},
     haproxy_reloads: $nreloads}
    | .summary = [
        "\(.load.sent) requests at \(.load.rate)/s, \(.load.failed) failed; \(.canaries.completed) of \(.canaries.count) canaries completed, \(.rollbacks.count) rollbacks (\(.rollbacks.by_kind | to_entries | map("\(.value) \(.key)") | join(", ")))",
        "latency p50/p99: steady \(.latency.steady.p50_ms)/\(.latency.steady.p99_ms) ms, shift \(.latency.shift.p50_ms)/\(.latency.shift.p99_ms) ms, ratio of p99 \(.latency.shift_p99_over_steady) (goal 1.2)",
        "canary duration min/median/max \(.canaries.duration_s.min)/\(.canaries.duration_s.median)/\(.canaries.duration_s.max) s; rollback min/median/max \(.rollbacks.rollback_ms.min)/\(.rollbacks.rollback_ms.median)/\(.rollbacks.rollback_ms.max) ms",
        "faults: \(.kills.count) workers SIGKILLed during shifts (\(.kills.by_worker // {} | to_entries | map("\(.key) \(.value)") | join(", "))), \(.haproxy_reloads) HAProxy reloads"]'
}

LAST_VERSION=1.0
trap 'soak_killer_stop; kill ${LOADGEN:-} ${PROM_PID:-} ${BLACKBOX_PID:-} 2>/dev/null; saga_cleanup' EXIT
check "Prometheus and the blackbox exporter are ready" monitoring_start
saga_env_json | jq --arg u "$PROM_URL" '.analysis = {prometheus_url: $u}' > "$TMP/env.json"
check "env apply with analysis.prometheus_url" eval '"$BIN/cutover" env apply "$TMP/env.json" > /dev/null'
start_cutoverd "$LOGDIR/soak-cutoverd.log" --workers "$(IFS=,; echo "${SAGA_WORKERS[*]}")"
gate_open all
echo "# soak: $CANARIES canaries, $ROLLBACKS rollbacks, at least $REQUESTS requests at $RATE/s"

loadgen_start
WARM_T0=$(now_ms)
check "cutoverd's six workers are up" wait_for 180 workers_ready
WARM_T1=$(now_ms)
soak_killer_start "$SUP" "$RUN/kills.log" active_in_shift
quiet
for ((n = 1; n <= (CANARIES > ROLLBACKS ? CANARIES : ROLLBACKS); n++)); do
  [ "$n" -le "$CANARIES" ] && { run_canary "$n"; quiet; }
  [ "$n" -le "$ROLLBACKS" ] && { run_rollback "$n" "${ROLLBACK_KINDS[(n - 1) % 3]}"; quiet; }
done
soak_killer_stop
loadgen_stop

check "the load generator wrote its report" test -s "$RUN/load.json"
check "at least $REQUESTS requests were sent" test "$(jq .sent "$RUN/load.json")" -ge "$REQUESTS"
check "at least $RATE requests per second" \
  test "$(jq .sent "$RUN/load.json")" -ge "$(jq "(.elapsed_s | floor) * $RATE * 98 / 100 | floor" "$RUN/load.json")"
check_eq "not one request failed" 0 "$(jq .failed "$RUN/load.json")"
check_eq "every request sent was answered 2xx" "$(jq .sent "$RUN/load.json")" "$(jq .ok "$RUN/load.json")"
check "workers were SIGKILLed during shifts" test "$(wc -l < "$RUN/kills.log")" -ge 1
check_eq "the live color serves the last completed release" "version $LAST_VERSION color $(live_color)" "$(served)"
check_eq "no effect done twice, no provider change made twice" "$(printf '0\n0')" "$(effects_twice)"
check "cutoverd still runs" kill -0 "$SUP"
report_json > "$SOAK_DIR/demo.json"
mkdir -p "$SOAK_DIR/demo"
cp "$RUN"/*.log "$RUN"/*.windows "$SOAK_DIR/demo/" 2>/dev/null
check "the report is written" test -s "$SOAK_DIR/demo.json"
jq -r '.summary[] | "# " + .' "$SOAK_DIR/demo.json"

finish
