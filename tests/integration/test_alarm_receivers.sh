#!/usr/bin/env bash
# test_alarm_receivers - cutover-web's alarm receivers on the real stack with
# the five workers and canaries on the local provider:
# 1. --check masks the receivers' secrets; a secret file that cannot be
#    read stops cutover-web at start; without credentials configured both
#    receivers answer 403; configured, a request without or with wrong
#    credentials is 401, GET is 405, and no secret reaches the log;
# 2. bad input: not JSON, not UTF-8, another Alertmanager version, missing
#    members, another detail-type are 400, a body over CUTOVER_WEB_MAX_BODY
#    413; nothing is published for any of them;
# 3. an Alertmanager firing alert naming the environment, during a canary
#    held at 30 %, rolls the deployment back; the same payload again
#    publishes nothing (Kafka, outbox and alarm_receipts); the resolved
#    alert publishes OK; an alert for no environment is skipped;
# 4. an EventBridge ALARM matched by a CloudWatch dimension rule rolls the
#    next canary back, once; INSUFFICIENT_DATA publishes nothing;
# 5. the counters moved;
# 6. PostgreSQL stopped: 503 and nothing published; started again, the
#    sender's retry is accepted and published;
# 7. a real Alertmanager (prometheus-alertmanager, state under .run/) with
#    a webhook receiver and a bearer token from a file: an alert posted to
#    its API with amtool reaches cutover-web through a match rule and rolls
#    the third canary back; its resolution publishes OK.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

use_test_prefix
saga_setup alarms
saga_release 2.0
saga_release 2.1
saga_release 2.2
[ -x "$BIN/cutover-web" ] || { not_ok "cutover-web is built" "run make first"; exit 1; }
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"

AM_DIR=$CUTOVER_RUN_DIR/alertmanager-$ENV
AM_PID=
# alarms_cleanup - stop the Alertmanager and what saga_setup set up
alarms_cleanup() {
  [ -n "$AM_PID" ] && kill "$AM_PID" 2>/dev/null && wait "$AM_PID" 2>/dev/null
  rm -rf "$AM_DIR"
  saga_cleanup
}
trap alarms_cleanup EXIT

# the environment: the receivers may send its alarm-fired, and two rules
TG="targetgroup/$ENV-green/0123456789abcdef"
jq --arg env "$ENV" --arg tg "$TG" '. + {senders: {"alarm-fired": ["cutover-web/*"]},
   alarms: [{match: {alertname: "ShopCheckoutErrors", shop: $env}}, {match: {"dimension:TargetGroup": $tg}}]}' \
  "$TMP/env.json" > "$TMP/env-alarms.json"
check_eq "env apply takes the senders and alarm rules" "environment $ENV updated (version 2)" \
  "$("$BIN/cutover" env apply "$TMP/env-alarms.json")"
start_saga_workers

AM_TOKEN=$(unique_name token)
AM_PASSWORD=$(unique_name password)
EB_KEY=$(unique_name key)
printf '%s\n' "$AM_TOKEN" > "$TMP/am-token"

# post RECEIVER FILE [CURL ARGS...] - POST the file to a receiver; prints the
# status, keeps the answer in $TMP/answer
post() {
  curl -s -o "$TMP/answer" -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
    --data-binary "@$2" "${@:3}" "$URL/v1/alarms/$1"
}
# answered FIELD - a member of the last answer
answered() { jq -r ".$1" "$TMP/answer"; }
# am_post FILE [CURL ARGS...] - to Alertmanager's receiver with the bearer token
am_post() { post alertmanager "$1" -H "Authorization: Bearer $AM_TOKEN" "${@:2}"; }
# eb_post FILE [CURL ARGS...] - to EventBridge's receiver with the API key
eb_post() { post eventbridge "$1" -H "x-api-key: $EB_KEY" "${@:2}"; }
# am_payload STATUS - the fixture's two alerts: the first names ENV, the second no environment
am_payload() {
  jq --arg env "$ENV" --arg s "$1" '.status = $s | .alerts[0].status = $s
     | .alerts[0].labels.environment = $env | .alerts[0].fingerprint = ("fp-" + $env)' \
    "$TOP/tests/data/alarms/alertmanager-firing.json"
}
# eb_payload ID STATE - the fixture with its id and state value, for ENV's green target group
eb_payload() {
  jq --arg id "$1" --arg s "$2" --arg tg "$TG" '.id = $id | .detail.state.value = $s
     | .detail.configuration.metrics[0].metricStat.metric.dimensions.TargetGroup = $tg' \
    "$TOP/tests/data/alarms/eventbridge-alarm.json"
}
# alarm_events [STATE [SOURCE]] - alarm-fired records on Kafka for ENV (of that state and source)
alarm_events() {
  consume alarm-fired | jq -r --arg env "$ENV" --arg s "${1:-}" --arg src "${2:-}" \
    'select(.subject == $env and ($s == "" or .data.state == $s) and ($src == "" or .source == $src))
     | .id' | grep -c . || true
}
# alarm_inputs BUILD - alarm-fired events the saga recorded for the deployment (ALARM and OK)
alarm_inputs() {
  sql "SELECT count(*) FROM transitions t JOIN deployments d ON d.id = t.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2' AND t.event_type = 'cutover.alarm-fired'" "$ENV" "$1"
}
# outbox_alarms - alarm-fired rows written for ENV
outbox_alarms() { sql "SELECT count(*) FROM outbox WHERE topic = 'alarm-fired' AND key = :'v1'" "$ENV"; }
# receipts [RECEIVER] - alarm_receipts rows of ENV
receipts() {
  sql "SELECT count(*) FROM alarm_receipts WHERE environment = :'v1' AND receiver LIKE :'v2'" "$ENV" "${1:-%}"
}
# counter RECEIVER OUTCOME [FAMILY] - one series of the receivers' counters
counter() {
  curl -fsS --max-time 10 "$URL/metrics" |
    awk -v k="cutover_alarm_receiver_${3:-requests}_total{receiver=\"$1\",outcome=\"$2\"}" '$1 == k { print $2 }'
}
# canary_held BUILD VERSION - a canary at 30 % waiting for an operator
canary_held() {
  build_ready "$1" "$2" "$(canary 30:null 100:1)"
  check "$1: the canary holds at 30 % on green" wait_for 240 eq "70 30" weights
}
# rolled_back BUILD - the deployment is rolled back and blue has all the traffic
rolled_back() { eq rolled-back dep_state "$1" && eq "100 0" weights; }

am_payload firing > "$TMP/am-firing.json"
am_payload resolved > "$TMP/am-resolved.json"
eb_payload "eb-1-$ENV" ALARM > "$TMP/eb-alarm.json"
eb_payload "eb-2-$ENV" INSUFFICIENT_DATA > "$TMP/eb-insufficient.json"
eb_payload "eb-3-$ENV" ALARM > "$TMP/eb-outage.json"

# 1. credentials: masked by --check, a secret file that cannot be read
# refused at start; none configured, then missing or wrong
# checked_config - cutover-web --check with the receivers' secrets set
checked_config() {
  CUTOVER_ALERTMANAGER_PASSWORD="$AM_PASSWORD" CUTOVER_EVENTBRIDGE_API_KEY="$EB_KEY" \
    CUTOVER_ALERTMANAGER_TOKEN_FILE="$TMP/am-token" "$BIN/cutover-web" --check
}
check_eq "cutover-web --check masks the receivers' secrets, not the file's name" \
  "CUTOVER_ALERTMANAGER_TOKEN_FILE=$TMP/am-token CUTOVER_ALERTMANAGER_PASSWORD=**** CUTOVER_EVENTBRIDGE_API_KEY=****" \
  "$(checked_config | grep -E '^CUTOVER_(ALERTMANAGER_PASSWORD|EVENTBRIDGE_API_KEY|ALERTMANAGER_TOKEN_FILE)=' | paste -sd' ')"
check "... and shows none of them" bash -c "! CUTOVER_ALERTMANAGER_TOKEN='$AM_TOKEN' '$BIN/cutover-web' --check | grep -qe '$AM_TOKEN' -e '$AM_PASSWORD' -e '$EB_KEY'"
# unreadable_secret - cutover-web refuses to start when a secret file cannot be read
unreadable_secret() {
  ! CUTOVER_WEB_ADDR=127.0.0.1:0 CUTOVER_ALERTMANAGER_TOKEN_FILE="$TMP/no-such-file" \
    timeout 60 "$BIN/cutover-web" 2> "$TMP/unreadable.log" &&
    grep -q "CUTOVER_ALERTMANAGER_TOKEN_FILE=$TMP/no-such-file: No such file" "$TMP/unreadable.log"
}
check "a secret file that cannot be read: cutover-web refuses to start, naming it" unreadable_secret
start_web || { not_ok "cutover-web starts without receiver credentials" "$(tail -3 "$WEB_LOG")"; finish; }
check_eq "no credentials configured: Alertmanager's receiver refuses (403)" 403 \
  "$(am_post "$TMP/am-firing.json")"
check_eq "... and EventBridge's (403)" 403 "$(eb_post "$TMP/eb-alarm.json")"
kill "$WEB_PID" && wait "$WEB_PID"
start_web CUTOVER_ALERTMANAGER_TOKEN_FILE="$TMP/am-token" CUTOVER_ALERTMANAGER_USERNAME=alertmanager \
  CUTOVER_ALERTMANAGER_PASSWORD="$AM_PASSWORD" CUTOVER_EVENTBRIDGE_API_KEY="$EB_KEY" \
  CUTOVER_WEB_MAX_BODY=65536 ||
  { not_ok "cutover-web starts with the receivers' credentials" "$(tail -3 "$WEB_LOG")"; finish; }
ok "cutover-web starts with the receivers' credentials"
check_eq "Alertmanager without credentials: 401" 401 "$(post alertmanager "$TMP/am-firing.json")"
check_eq "... with a wrong bearer token: 401" 401 "$(post alertmanager "$TMP/am-firing.json" -H "Authorization: Bearer x$AM_TOKEN")"
check_eq "... with a wrong password: 401" 401 "$(post alertmanager "$TMP/am-firing.json" -u "alertmanager:x$AM_PASSWORD")"
check_eq "... and the answer says why" "wrong credentials" "$(answered error)"
check_eq "EventBridge without its API key: 401" 401 "$(post eventbridge "$TMP/eb-alarm.json")"
check_eq "... with a wrong one: 401" 401 "$(post eventbridge "$TMP/eb-alarm.json" -H "x-api-key: x$EB_KEY")"
check_eq "GET on a receiver: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/alarms/alertmanager")"
check "no secret reached the log" bash -c "! grep -qe '$AM_TOKEN' -e '$AM_PASSWORD' -e '$EB_KEY' '$WEB_LOG'"

# 2. bad input
printf 'not json' > "$TMP/not-json"
printf '{"version": "4", "receiver": "\xff", "alerts": []}' > "$TMP/not-utf8"
jq '.version = "3"' "$TMP/am-firing.json" > "$TMP/am-v3.json"
jq 'del(.alerts[0].fingerprint)' "$TMP/am-firing.json" > "$TMP/am-no-fingerprint.json"
jq '."detail-type" = "EC2 Instance State-change Notification"' "$TMP/eb-alarm.json" > "$TMP/eb-type.json"
jq --arg pad "$(head -c 70000 /dev/zero | tr '\0' a)" '.commonAnnotations.pad = $pad' "$TMP/am-firing.json" > "$TMP/am-big.json"
check_eq "not JSON: 400" 400 "$(am_post "$TMP/not-json")"
check_eq "... with a JSON error" "the body is not JSON" "$(answered error)"
check_eq "not UTF-8: 400" 400 "$(am_post "$TMP/not-utf8")"
check_eq "Alertmanager version 3: 400" 400 "$(am_post "$TMP/am-v3.json")"
check_eq "... saying so" "version \"3\" is not Alertmanager's webhook version 4" "$(answered error)"
check_eq "an alert without fingerprint: 400" 400 "$(am_post "$TMP/am-no-fingerprint.json")"
check_eq "EventBridge, another detail-type: 400" 400 "$(eb_post "$TMP/eb-type.json")"
check_eq "a body over CUTOVER_WEB_MAX_BODY (64 KB): 413" 413 "$(am_post "$TMP/am-big.json")"
check_eq "nothing was written for any of them" "0 0" "$(receipts) $(outbox_alarms)"

# 3. Alertmanager during a canary
gate_open all
canary_held a1 2.0
check_eq "a firing alert naming the environment: 200" 200 "$(am_post "$TMP/am-firing.json")"
check_eq "... one event published, the alert for no environment skipped" "1 1 0" \
  "$(answered published) $(answered unmatched) $(answered duplicates)"
check "the deployment rolls back, blue takes all the traffic" wait_for 60 rolled_back a1
check "one alarm-fired on Kafka, from cutover-web/alertmanager" wait_for 20 eq 1 alarm_events ALARM
check_eq "... with the alert's name, severity, reason and receiver" \
  '{"alarm":"CheckoutErrors","severity":"page","reason":"checkout answers 5xx","source":"cutover"}' \
  "$(consume alarm-fired | jq -c --arg env "$ENV" 'select(.subject == $env and .source == "cutover-web/alertmanager")
     | {alarm: .data.alarm, severity: .data.severity, reason: .data.reason, source: .data.source}' | head -1)"
check_eq "... whose id is the receipt's" \
  "$(sql "SELECT event_id FROM alarm_receipts WHERE environment = :'v1'" "$ENV")" \
  "$(consume alarm-fired | jq -r --arg env "$ENV" 'select(.subject == $env) | .id' | head -1)"
check_eq "the same payload again (basic auth this time): 200, a duplicate" "200 0 1" \
  "$(post alertmanager "$TMP/am-firing.json" -u "alertmanager:$AM_PASSWORD") $(answered published) $(answered duplicates)"
check_eq "... nothing more in the outbox or alarm_receipts" "1 1" "$(outbox_alarms) $(receipts)"
check "... nor on Kafka once the outbox is sent" wait_for 20 eq 0 outbox_unsent
check_eq "... one alarm-fired in all" 1 "$(alarm_events)"
check_eq "the resolved alert: 200, published" "200 1" "$(am_post "$TMP/am-resolved.json") $(answered published)"
check "... as an OK alarm-fired" wait_for 20 eq 1 alarm_events OK
check "the rollbacker recorded the alarm and its OK in the deployment's history" wait_for 20 eq 2 alarm_inputs a1

# 4. EventBridge during the next canary
canary_held a2 2.1
check_eq "a CloudWatch ALARM matched by its target group dimension: 200, published" "200 1" \
  "$(eb_post "$TMP/eb-alarm.json") $(answered published)"
check "the deployment rolls back" wait_for 60 rolled_back a2
check_eq "the same event again: a duplicate" "200 1" "$(eb_post "$TMP/eb-alarm.json") $(answered duplicates)"
check_eq "INSUFFICIENT_DATA: 200, ignored" "200 1 0" \
  "$(eb_post "$TMP/eb-insufficient.json") $(answered ignored) $(answered published)"
check_eq "EventBridge wrote one receipt, and one alarm-fired in the outbox" "1 3" \
  "$(receipts eventbridge) $(outbox_alarms)"
check "... on Kafka from cutover-web/eventbridge" wait_for 20 eq 1 alarm_events ALARM cutover-web/eventbridge

# 5. the counters
check_eq "requests counted: Alertmanager accepted, unauthorized, bad-request" "3 3 4" \
  "$(counter alertmanager accepted) $(counter alertmanager unauthorized) $(counter alertmanager bad-request)"
check_eq "... EventBridge accepted, unauthorized, bad-request" "3 2 1" \
  "$(counter eventbridge accepted) $(counter eventbridge unauthorized) $(counter eventbridge bad-request)"
check_eq "alerts counted: published, duplicate, unmatched (Alertmanager)" "2 1 3" \
  "$(counter alertmanager published alerts) $(counter alertmanager duplicate alerts) $(counter alertmanager unmatched alerts)"
check_eq "... published, duplicate, ignored (EventBridge)" "1 1 1" \
  "$(counter eventbridge published alerts) $(counter eventbridge duplicate alerts) $(counter eventbridge ignored alerts)"
check "promtool check metrics passes" bash -c "curl -fsS '$URL/metrics' | promtool check metrics"

# 6. PostgreSQL stopped, then started again
"$TOP/ops/devstack" stop postgres > /dev/null
check_eq "PostgreSQL stopped: 503" 503 "$(eb_post "$TMP/eb-outage.json")"
check_eq "... twice (still down)" 503 "$(eb_post "$TMP/eb-outage.json")"
check_eq "... counted as unavailable" 2 "$(counter eventbridge unavailable)"
"$TOP/ops/devstack" start postgres > /dev/null
check_eq "... nothing was published meanwhile" 3 "$(alarm_events)"
# retry_accepted - the sender's retry is answered 200
retry_accepted() { [ "$(eb_post "$TMP/eb-outage.json")" == 200 ]; }
check "PostgreSQL back: the retry is accepted" wait_for 30 retry_accepted
check "... and published" wait_for 20 eq 4 alarm_events

# 7. a real Alertmanager
AM_PORT=$(port_range_pick 1)
mkdir -p "$AM_DIR/data"
cat > "$AM_DIR/alertmanager.yml" <<EOF
route:
  receiver: cutover
  group_by: [alertname, shop]
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
            credentials_file: $TMP/am-token
EOF
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager)
if [ -z "$AM_BIN" ]; then
  not_ok "prometheus-alertmanager is installed (ops/bootstrap)"
  finish
fi
"$AM_BIN" --config.file="$AM_DIR/alertmanager.yml" --storage.path="$AM_DIR/data" \
  --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >> "$LOGDIR/alertmanager.log" 2>&1 &
AM_PID=$!
AM_URL=http://127.0.0.1:$AM_PORT
check "Alertmanager is ready" wait_for 30 curl -fs -o /dev/null "$AM_URL/-/ready"
canary_held a3 2.2
# am_alert [ARGS...] - amtool adds (or, with --end, resolves) ENV's checkout alert
am_alert() {
  amtool alert add --alertmanager.url="$AM_URL" alertname=ShopCheckoutErrors "shop=$ENV" \
    --annotation=summary="checkout errors on $ENV" "$@" >> "$LOGDIR/alertmanager.log" 2>&1
}
check "amtool posts an alert to Alertmanager's API" am_alert
check "Alertmanager's webhook reaches cutover-web and the deployment rolls back" wait_for 60 rolled_back a3
check_eq "... through the alertname and shop rule: one receipt" 1 \
  "$(sql "SELECT count(*) FROM alarm_receipts WHERE environment = :'v1' AND alarm = 'ShopCheckoutErrors'" "$ENV")"
check "the alert resolved in Alertmanager" am_alert --end="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
check "... publishes an OK alarm-fired" wait_for 60 eq 2 alarm_events OK

finish
