#!/usr/bin/env bash
# test_alarm_loop - the real monitoring loop, end to end, with nothing
# stood in: a release whose new color answers 500 to half its requests;
# cutover-loadgen sends traffic through HAProxy; a real Prometheus scrapes
# the demo application's instances every second and evaluates an alerting
# rule on their error rate; a real Alertmanager (prometheus-alertmanager)
# posts its webhook to cutover-web's receiver with a bearer token; the
# receiver publishes alarm-fired; the rollbacker rolls the canary back.
# Checks the behaviour (rolled back by that alarm, the old color's weights,
# one receipt) and prints the time from the weight shift (the first 5xx
# follows within a request or two) to the old weights restored, broken
# down: shift -> alert active in Prometheus (scrape, rate window, rule
# evaluation), -> webhook received (Alertmanager's group_wait and send),
# -> rolling-back (Kafka, the rollbacker), -> weights restored (provider).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

use_test_prefix
saga_setup loop
saga_release 2.0 --error-rate 50
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager) ||
  { not_ok "prometheus-alertmanager is installed (ops/bootstrap)"; finish; }
PORTS=$(port_range_pick 2) || { not_ok "two free ports"; finish; }
PROM_URL=http://127.0.0.1:$PORTS AM_URL=http://127.0.0.1:$((PORTS + 1))
MON=$TMP/monitoring
mkdir -p "$MON/am" "$MON/prom"
PIDS=()
trap 'kill "${PIDS[@]}" "${LOADGEN:-}" 2>/dev/null; saga_cleanup' EXIT

jq '. + {senders: {"alarm-fired": ["cutover-web/*"]}}' "$TMP/env.json" > "$TMP/env-loop.json"
check "env apply lets the receivers send alarm-fired" \
  eval '"$BIN/cutover" env apply "$TMP/env-loop.json" > /dev/null'
TOKEN=$(unique_name token)
printf '%s\n' "$TOKEN" > "$MON/token"
start_saga_workers
start_web CUTOVER_ALERTMANAGER_TOKEN_FILE="$MON/token" ||
  { not_ok "cutover-web starts" "$(tail -3 "$WEB_LOG")"; finish; }

# Alertmanager: one route to cutover-web, short waits
cat > "$MON/am/alertmanager.yml" <<EOF
route:
  receiver: cutover
  group_by: [alertname, environment]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: cutover
    webhook_configs:
      - url: $URL/v1/alarms/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: $MON/token
EOF
"$AM_BIN" --config.file="$MON/am/alertmanager.yml" --storage.path="$MON/am/data" \
  --web.listen-address="127.0.0.1:$((PORTS + 1))" --cluster.listen-address= \
  >> "$LOGDIR/alarm-loop-alertmanager.log" 2>&1 &
PIDS+=($!)

# Prometheus: every slot of both colors, the rule, the Alertmanager
{
  printf 'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
  printf 'rule_files: ["%s"]\n' "$MON/prom/rules.yml"
  printf 'alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["127.0.0.1:%d"]\n' $((PORTS + 1))
  printf 'scrape_configs:\n  - job_name: demo\n    static_configs:\n      - targets: ['
  slot_targets
  printf ']\n'
} > "$MON/prom/prometheus.yml"
cat > "$MON/prom/rules.yml" <<EOF
groups:
  - name: cutover
    interval: 1s
    rules:
      - alert: CanaryErrors
        expr: sum(rate(demo_http_requests_total{code="500"}[5s])) / sum(rate(demo_http_requests_total[5s])) > 0.05
        labels:
          environment: $ENV
          severity: critical
        annotations:
          summary: more than 5 % of the requests answered 500
EOF
check "promtool accepts the rules" eval 'promtool check rules "$MON/prom/rules.yml" > /dev/null'
prometheus --config.file="$MON/prom/prometheus.yml" --storage.tsdb.path="$MON/prom/data" \
  --web.listen-address="127.0.0.1:$PORTS" >> "$LOGDIR/alarm-loop-prometheus.log" 2>&1 &
PIDS+=($!)
check "Prometheus is ready" wait_for 60 curl -fsS -o /dev/null "$PROM_URL/-/ready"
check "Alertmanager is ready" wait_for 60 curl -fsS -o /dev/null "$AM_URL/-/ready"

# the release with errors, its canary held at 25 % (no timer moves it on)
"$BIN/cutover-loadgen" --url "http://127.0.0.1:$LISTEN/" --rate 40 --connections 4 \
  --until-file "$TMP/load.stop" --max-duration 600 > "$LOGDIR/loadgen-alarm-loop.log" 2>&1 &
LOADGEN=$!
gate_open all
build_ready l1 2.0 "$(canary 25:null 100:1)"
check "the canary is received" wait_for 60 has_deployment l1
L1=$(dep_id l1)
check "the monitoring loop rolls it back" wait_for 240 eq rolled-back dep_state l1
check_eq "the old color has all the traffic" "100 0" "$(weights)"
check_eq "the rollback was the alert's" 1 \
  "$(sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1' AND to_state = 'rolling-back'
          AND event_type = 'cutover.alarm-fired' AND reason LIKE 'alarm CanaryErrors ALARM%'" "$L1")"
check_eq "one webhook receipt for the alert" 1 \
  "$(sql "SELECT count(*) FROM alarm_receipts WHERE environment = :'v1' AND alarm = 'CanaryErrors'
          AND state = 'ALARM'" "$ENV")"
touch "$TMP/load.stop"

# the timeline, from the database's clock and Prometheus's (one machine)
SHIFT=$(sql "SELECT extract(epoch FROM finished_at) FROM effects WHERE deployment_id = :'v1'
             AND kind = 'set-weights' AND arg = 25 AND status = 'done' ORDER BY id LIMIT 1" "$L1")
RECEIVED=$(sql "SELECT extract(epoch FROM received_at) FROM alarm_receipts WHERE environment = :'v1'
                AND alarm = 'CanaryErrors' AND state = 'ALARM'" "$ENV")
# when the alert became active: ALERTS_FOR_STATE's value, read as of the webhook's receipt
ACTIVE=$(curl -fsS "$PROM_URL/api/v1/query" --data-urlencode 'query=ALERTS_FOR_STATE{alertname="CanaryErrors"}' \
  --data-urlencode "time=$RECEIVED" | jq -r '.data.result[0].value[1] // empty')
ROLLING=$(sql "SELECT extract(epoch FROM at) FROM transitions WHERE deployment_id = :'v1'
               AND to_state = 'rolling-back' ORDER BY id LIMIT 1" "$L1")
RESTORED=$(sql "SELECT extract(epoch FROM finished_at) FROM effects WHERE deployment_id = :'v1'
                AND kind = 'restore-weights' AND status = 'done'" "$L1")
check "every point of the timeline is known" test -n "$SHIFT" -a -n "$ACTIVE" -a -n "$RECEIVED" -a -n "$ROLLING" -a -n "$RESTORED"
ms() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%d", (b - a) * 1000 }'; }
{
  echo "# monitoring loop: weight shift to old weights restored $(ms "$SHIFT" "$RESTORED") ms"
  echo "#   shift -> alert active in Prometheus   $(ms "$SHIFT" "$ACTIVE") ms (1 s scrapes, a 5 s rate window, 1 s rule evaluation; the alert's activeAt has a 1 s resolution)"
  echo "#   alert active -> webhook received      $(ms "$ACTIVE" "$RECEIVED") ms (Alertmanager: group_wait 1 s, the POST)"
  echo "#   webhook received -> rolling-back      $(ms "$RECEIVED" "$ROLLING") ms (outbox, Kafka, the rollbacker)"
  echo "#   rolling-back -> old weights restored  $(ms "$ROLLING" "$RESTORED") ms (restore-weights, read back)"
} | tee "$LOGDIR/alarm-loop-timing.txt"
finish
