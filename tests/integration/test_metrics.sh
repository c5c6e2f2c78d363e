#!/usr/bin/env bash
# test_metrics - every process's /metrics against the real stack:
# 1. cutoverd refuses worker ports that do not fit, and --check lists them;
# 2. cutoverd serves its own /metrics, gives each of the five workers the
#    port CUTOVER_METRICS_PORT_BASE+N, and lists every address in the run
#    dir's metrics-targets.json; every worker answers /healthz;
# 3. promtool check metrics passes on every endpoint, before and after a
#    deployment;
# 4. the values follow a real blue-green deployment: records handled,
#    provider calls by operation, effect attempts, database round trips,
#    outbox publish latency, Kafka consumer lag (present, and 0 once all is
#    handled); a malformed record is counted as a dead letter with its reason;
# 5. a real Prometheus server, configured with the targets file, scrapes
#    every process and answers queries through its HTTP API, and scrapes
#    cutover-web, whose cutover_deployment_state it answers for the
#    environment (1 on completed, the only state at 1);
# 6. SIGTERM: cutoverd exits 0 and removes the targets file.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
saga_setup metrics
saga_release 2.0
WORKERS=scaler,deployer,validator,shifter,rollbacker
PORTS=$(port_range_pick 7) || { not_ok "seven free ports"; exit 1; }
SUP_PORT=$PORTS CHILD_BASE=$((PORTS + 1)) PROM_PORT=$((PORTS + 6))
TARGETS=$CUTOVER_RUN_DIR/metrics-targets.json
PROM_DIR=$TOP/.run/prometheus-$ENV
SUP_PID=""
PROM_PID=""

# metrics_cleanup - Prometheus, cutoverd (and so its workers), then the saga's leftovers
metrics_cleanup() {
  [ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
  [ -n "$SUP_PID" ] && kill "$SUP_PID" 2>/dev/null && wait "$SUP_PID" 2>/dev/null
  rm -rf "$PROM_DIR"
  saga_cleanup
}
trap metrics_cleanup EXIT

# port_of NAME - the metrics port cutoverd gives worker NAME (its place in $WORKERS)
port_of() {
  local i=0 w
  [ "$1" == cutoverd ] && { echo "$SUP_PORT"; return; }
  for w in ${WORKERS//,/ }; do
    [ "$w" == "$1" ] && { echo $((CHILD_BASE + i)); return; }
    i=$((i + 1))
  done
}

# scrape NAME - the process's /metrics body
scrape() { curl -fsS --max-time 5 "http://127.0.0.1:$(port_of "$1")/metrics"; }

# value NAME SAMPLE - the value of one sample line (name and labels as
# exposed), 0 when absent
value() { scrape "$1" | awk -v s="$2" '$1 == s { v = $2 } END { print v + 0 }'; }

# total NAME METRIC - the sum of every sample of METRIC, whatever its labels
total() { scrape "$1" | awk -v m="$2" '$1 == m || index($1, m "{") == 1 { t += $2 } END { print t + 0 }'; }

# healthy NAME - /healthz answers 200
healthy() { curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$(port_of "$1")/healthz"; }

# all_serve - every process answers /metrics and /healthz
all_serve() {
  local p
  for p in cutoverd ${WORKERS//,/ }; do healthy "$p" && scrape "$p" > /dev/null || return 1; done
}

# promtool_all - promtool check metrics on every endpoint; the failures' output
promtool_all() {
  local p out rc=0
  for p in cutoverd ${WORKERS//,/ }; do
    if ! out=$(scrape "$p" | promtool check metrics 2>&1); then
      echo "$p: $out"
      rc=1
    fi
  done
  return $rc
}

# sum_over_workers METRIC - the sum of METRIC over the five workers
sum_over_workers() {
  local w
  for w in ${WORKERS//,/ }; do total "$w" "$1"; done | awk '{ t += $1 } END { print t + 0 }'
}

# every_worker_counts SAMPLE - each worker's SAMPLE is above 0
every_worker_counts() {
  local w
  for w in ${WORKERS//,/ }; do [ "$(value "$w" "$1")" -gt 0 ] || return 1; done
}

# has_lag_series NAME TOPIC - NAME exports a consumer lag sample for a partition of TOPIC
has_lag_series() {
  scrape "$1" | grep -qE "^cutover_kafka_consumer_lag\{topic=\"$2\",partition=\"[0-9]+\"\} [0-9]+\$"
}

# prom_query QUERY - the first result's value from Prometheus's HTTP API ("" when none)
prom_query() {
  curl -fsS --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
    jq -r '.data.result[0].value[1] // empty'
}

# 1. the ports are checked before anything starts
OUT=$(CUTOVER_METRICS_PORT_BASE=65533 "$BIN/cutoverd" --workers "$WORKERS" --check 2>&1)
check_eq "five workers from port 65533 do not fit: exit 2" 2 "$?"
check "... with the variable named" grep -q "CUTOVER_METRICS_PORT_BASE=65533" <<< "$OUT"
OUT=$(CUTOVER_METRICS_ADDR=127.0.0.1:$((CHILD_BASE + 2)) CUTOVER_METRICS_PORT_BASE=$CHILD_BASE \
  "$BIN/cutoverd" --workers "$WORKERS" --check 2>&1)
check_eq "cutoverd's own port among the workers': exit 2" 2 "$?"
OUT=$(CUTOVER_METRICS_ADDR=127.0.0.1:$SUP_PORT CUTOVER_METRICS_PORT_BASE=$CHILD_BASE \
  "$BIN/cutoverd" --workers "$WORKERS" --check 2>&1)
check_eq "--check lists each worker's metrics address" \
  "metrics scaler: 127.0.0.1:$CHILD_BASE metrics rollbacker: 127.0.0.1:$((CHILD_BASE + 4))" \
  "$(grep -E '^metrics (scaler|rollbacker):' <<< "$OUT" | paste -sd ' ')"

# 2. cutoverd and its workers serve
CUTOVER_ENVIRONMENTS="^$ENV\$" CUTOVER_METRICS_ADDR=127.0.0.1:$SUP_PORT \
  CUTOVER_METRICS_PORT_BASE=$CHILD_BASE "$BIN/cutoverd" --workers "$WORKERS" \
  >> "$LOGDIR/cutoverd-metrics.log" 2>&1 &
SUP_PID=$!
check "cutoverd and its five workers serve /metrics and /healthz" wait_for 60 all_serve
check_eq "the targets file lists every address, labelled with its process" \
  "127.0.0.1:$SUP_PORT=cutoverd $(for w in ${WORKERS//,/ }; do printf '127.0.0.1:%s=%s ' "$(port_of "$w")" "$w"; done | sed 's/ $//')" \
  "$(jq -r '[.[] | "\(.targets[0])=\(.labels.process)"] | join(" ")' "$TARGETS" 2>&1)"
check_eq "cutoverd counts its workers running" 5 "$(value cutoverd cutover_supervisor_workers_running)"
check_eq "build info and start time in every process" "6 6" \
  "$(for p in cutoverd ${WORKERS//,/ }; do scrape "$p"; done |
     awk '/^cutover_build_info\{version="[^"]+"\} 1$/ { b++ } /^cutover_process_start_time_seconds [0-9.e+]+$/ { s++ } END { print b + 0, s + 0 }')"
check_eq "a worker serves 404 for an unknown path" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CHILD_BASE/nope")"

# 3. promtool on every endpoint
OUT=$(promtool_all)
check "promtool check metrics passes on all six endpoints" test -z "$OUT"
[ -n "$OUT" ] && echo "# $OUT" | head -20

# 4. values follow a deployment
HANDLED='cutover_records_total{topic="build-ready",outcome="handled"}'
check_eq "the scaler has handled no build-ready yet" 0 "$(value scaler "$HANDLED")"
SCALES_BEFORE=$(value scaler 'cutover_provider_call_duration_seconds_count{provider="local",operation="scale"}')
build_ready b2 2.0
gate_open all
check "the deployment completes" wait_for 180 eq completed dep_state b2
check_eq "the scaler counts the build-ready handled" 1 "$(value scaler "$HANDLED")"
check_eq "... and consumed" 1 "$(value scaler 'cutover_records_consumed_total{topic="build-ready"}')"
check "its handler time is in the histogram" \
  gt 0 value scaler 'cutover_handler_duration_seconds_count{topic="build-ready"}'
check "the scaler's provider calls are timed by operation (scale)" \
  gt "$SCALES_BEFORE" value scaler 'cutover_provider_call_duration_seconds_count{provider="local",operation="scale"}'
check "the shifter's weight changes are timed (set_weights)" \
  gt 0 value shifter 'cutover_provider_call_duration_seconds_count{provider="local",operation="set_weights"}'
check "the scaler counts its effect attempts by kind (scale-new)" \
  gt 0 value scaler 'cutover_effect_attempts_total{kind="scale-new"}'
check_eq "no effect failed" 0 "$(sum_over_workers cutover_effect_failures_total)"
check "every worker times its database round trips" \
  every_worker_counts cutover_db_query_duration_seconds_count
check "the outbox's publish latency is measured" \
  wait_for 30 gt 0 value scaler cutover_outbox_publish_latency_seconds_count
check "the outbox backlog drains to 0" wait_for 30 eq 0 value scaler cutover_outbox_backlog
check "the scaler exports its consumer lag per partition of build-ready (statistics every 5 s)" \
  wait_for 30 has_lag_series scaler build-ready
check "... and it is 0 once every record is handled" \
  wait_for 30 eq 0 total scaler cutover_kafka_consumer_lag
publish build-ready "$ENV" 'this is not json'
check "a malformed record is counted as a dead letter with its reason" \
  wait_for 30 eq 1 value scaler 'cutover_dead_letters_total{topic="build-ready",reason="not-json"}'
check_eq "... and by outcome" 1 "$(value scaler 'cutover_records_total{topic="build-ready",outcome="dead-lettered"}')"
OUT=$(promtool_all)
check "promtool check metrics passes again with every histogram filled" test -z "$OUT"
[ -n "$OUT" ] && echo "# $OUT" | head -20

# 5. a real Prometheus scrapes the targets file, and cutover-web
start_web || not_ok "cutover-web starts and tells its port" "$(tail -3 "$WEB_LOG")"
mkdir -p "$PROM_DIR"
cat > "$PROM_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: cutover
    file_sd_configs:
      - files: ["$TARGETS"]
        refresh_interval: 1s
  - job_name: cutover-web
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
EOF
check "promtool check config accepts the configuration" \
  eval 'promtool check config "$PROM_DIR/prometheus.yml" > /dev/null'
prometheus --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >> "$LOGDIR/prometheus-metrics.log" 2>&1 &
PROM_PID=$!
check "Prometheus is ready" wait_for 60 curl -fsS -o /dev/null "http://127.0.0.1:$PROM_PORT/-/ready"
check "Prometheus scrapes all six processes (up == 1)" \
  wait_for 60 eq 6 prom_query 'count(up{job="cutover"} == 1)'
check "it answers cutover_records_total for the scaler's handled build-ready" \
  wait_for 30 eq 1 prom_query \
  'sum(cutover_records_total{process="scaler",topic="build-ready",outcome="handled"})'
check_eq "build info from every process" 6 "$(prom_query 'count(cutover_build_info{job="cutover"})')"
check "it answers cutover_deployment_state from cutover-web: 1 on completed" \
  wait_for 60 eq 1 prom_query "cutover_deployment_state{job=\"cutover-web\",environment=\"$ENV\",state=\"completed\"}"
check_eq "... and on no other state" 1 \
  "$(prom_query "sum(cutover_deployment_state{job=\"cutover-web\",environment=\"$ENV\"})")"
check_eq "... and the new color's weight gauge is at 1" 1 \
  "$(prom_query "cutover_traffic_weight_ratio{job=\"cutover-web\",environment=\"$ENV\",color=\"green\"}")"

# 6. SIGTERM
kill -TERM "$SUP_PID"
wait "$SUP_PID"
check_eq "cutoverd exits 0 on SIGTERM" 0 "$?"
SUP_PID=""
check "the targets file is gone" test ! -e "$TARGETS"
finish
