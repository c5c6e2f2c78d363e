#!/usr/bin/env bash
# test_sns_receiver - POST /v1/alarms/sns of cutover-web on the real stack,
# with the five workers, a canary on the local provider, and SNS's part
# played by tests/sns_lib.sh (messages signed as SNS signs them, the
# signing certificate and the subscription confirmation served over
# verified TLS by python's http.server with a TEST-ONLY CA):
# 1. a body that is not JSON is 400; a tampered message, a message of a
#    topic not allowed and one whose certificate is on another host are
#    403; nothing is published for any of them;
# 2. a forged SubscriptionConfirmation is 403 and its SubscribeURL never
#    fetched; a valid one is confirmed (the URL fetched once);
# 3. a CloudWatch alarm (ALARM) matched by the environment's dimension rule,
#    during a canary held at 25 %, rolls the deployment back; the same
#    message delivered again publishes nothing; INSUFFICIENT_DATA and a
#    Message that is no alarm publish nothing; OK is published;
# 4. the counters moved; with no topic configured the receiver answers 403.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"
source "$TOP/tests/sns_lib.sh"

use_test_prefix
saga_setup snsrx
saga_release 2.0
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
WORK=$TMP/sns
TOPIC=arn:aws:sns:eu-west-1:123456789012:$ENV-alarms
KEY=$SNS_DATA/test-signing.key
OTHER=$SNS_DATA/test-other.key
trap 'kill "${SNS_SERVER:-}" 2>/dev/null; saga_cleanup' EXIT
sns_server_start || { not_ok "the HTTPS server starts" "$(cat "$WORK/access.log")"; finish; }

TG="targetgroup/$ENV-green/0123456789abcdef"
jq --arg tg "$TG" '. + {senders: {"alarm-fired": ["cutover-web/*"]},
   alarms: [{match: {"dimension:TargetGroup": $tg}}]}' "$TMP/env.json" > "$TMP/env-sns.json"
check "env apply takes the senders and the dimension rule" \
  eval '"$BIN/cutover" env apply "$TMP/env-sns.json" > /dev/null'
start_saga_workers
start_web CUTOVER_SNS_TOPICS="arn:aws:sns:eu-west-1:123456789012:other,$TOPIC" \
  CUTOVER_SNS_CERT_HOST_PATTERN='^localhost$' CUTOVER_SNS_CA_FILE="$SNS_DATA/test-ca.pem" ||
  { not_ok "cutover-web starts and tells its port" "$(tail -3 "$WEB_LOG")"; finish; }

# post FILE - POST the file to the SNS receiver as SNS does (text/plain); the status
post() {
  curl -s -o "$TMP/answer" -w '%{http_code}' --max-time 20 -X POST -H 'Content-Type: text/plain; charset=UTF-8' \
    -H 'x-amz-sns-message-type: Notification' --data-binary "@$1" "$URL/v1/alarms/sns"
}
# answered FIELD - a member of the last answer
answered() { jq -r ".$1" "$TMP/answer"; }
# alarm STATE [DIMENSION] - a CloudWatch alarm's Message for ENV's green target group
alarm() {
  jq -cn --arg s "$1" --arg tg "${2:-$TG}" '{AlarmName: "shop-5xx", NewStateValue: $s,
    NewStateReason: "Threshold Crossed: 5XX above 5", Trigger: {Dimensions: [{name: "TargetGroup", value: $tg}]}}'
}
# published - alarm-fired events on Kafka for ENV from the SNS receiver
published() {
  consume alarm-fired | jq -r --arg e "$ENV" 'select(.data.environment == $e and .source == "cutover-web/sns") | .id' |
    sort -u | grep -c . || true
}
# counted OUTCOME - cutover_alarm_receiver_requests_total{receiver="sns",outcome}
counted() {
  curl -fsS --max-time 5 "$URL/metrics" |
    awk -v k="cutover_alarm_receiver_requests_total{receiver=\"sns\",outcome=\"$1\"}" '$1 == k { print $2 }'
}

# 1. refused before anything is published
printf 'not json' > "$TMP/junk"
check_eq "a body that is not JSON: 400" 400 "$(post "$TMP/junk")"
check_eq "a tampered message: 403" 403 "$(post "$(signed tampered Notification 2 "$KEY" "Message=$(alarm ALARM)" "Message:=$(alarm OK)")")"
check "... saying why" grep -q "signature" "$TMP/answer"
foreign=$(TOPIC_OVERRIDE=arn:aws:sns:eu-west-1:123456789012:nope signed foreign Notification 2 "$KEY" "Message=$(alarm ALARM)")
check_eq "a topic not on the list: 403" 403 "$(post "$foreign")"
elsewhere=$(CERT_URL=https://127.0.0.1:$(cat "$WORK/port")/signing.pem signed elsewhere Notification 2 "$KEY" "Message=$(alarm ALARM)")
check_eq "a certificate on another host: 403" 403 "$(post "$elsewhere")"
check_eq "nothing published" 0 "$(published)"

# 2. subscription confirmations
forged=$(signed forged SubscriptionConfirmation 2 "$OTHER" "Token=forged" \
  "SubscribeURL=$BASE/confirm?Action=ConfirmSubscription&Token=forged")
check_eq "a forged confirmation: 403" 403 "$(post "$forged")"
check_eq "... its SubscribeURL never fetched" 0 "$(sns_requests 'Token=forged')"
confirm=$(signed confirm SubscriptionConfirmation 1 "$KEY" \
  "SubscribeURL=$BASE/confirm?Action=ConfirmSubscription&Token=good")
check_eq "a valid confirmation: 200" 200 "$(post "$confirm")"
check_eq "... confirmed" "subscription confirmed" "$(answered note)"
check_eq "... its SubscribeURL fetched once" 1 \
  "$(sns_requests '"GET /confirm?Action=ConfirmSubscription&Token=good HTTP/1.1" 200')"

# 3. an alarm during a canary
gate_open all
build_ready s1 2.0 "$(canary 25:null 100:1)"
check "the canary is received" wait_for 60 has_deployment s1
S1=$(dep_id s1)
check "it holds at 25 %" wait_for 240 eq 25 shifted "$S1"
firing=$(signed firing Notification 2 "$KEY" "Message=$(alarm ALARM)")
check_eq "the ALARM notification: 200" 200 "$(post "$firing")"
check_eq "... one alarm published" 1 "$(answered published)"
check "the canary rolls back" wait_for 120 eq rolled-back dep_state s1
check_eq "the old color has all the traffic" "100 0" "$(weights)"
check_eq "the rollback names the SNS alarm" 1 \
  "$(sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1' AND to_state = 'rolling-back'
          AND reason LIKE '%shop-5xx ALARM%'" "$S1")"
check_eq "the same message delivered again: 200" 200 "$(post "$firing")"
check_eq "... a duplicate, nothing published" "0 1" "$(answered published) $(answered duplicates)"
check "one alarm-fired on Kafka" wait_for 30 eq 1 published
check_eq "INSUFFICIENT_DATA: ignored" "200 1" \
  "$(post "$(signed insufficient Notification 2 "$KEY" "Message=$(alarm INSUFFICIENT_DATA)")") $(answered ignored)"
check_eq "a Message that is no alarm: ignored" "200 1" \
  "$(post "$(signed plain Notification 1 "$KEY" "Message=hello")") $(answered ignored)"
check_eq "OK: published" "200 1" \
  "$(post "$(signed resolved Notification 2 "$KEY" "Message=$(alarm OK)")") $(answered published)"
check "two alarm-fired on Kafka now (ALARM, OK)" wait_for 30 eq 2 published
check_eq "an alarm on another target group matches no environment" "200 1" \
  "$(post "$(signed other-tg Notification 2 "$KEY" "Message=$(alarm ALARM targetgroup/x/1)")") $(answered unmatched)"

# 4. counters, and no topic configured
check_eq "refusals counted (403s)" 4 "$(counted refused)"
check_eq "bad requests counted" 1 "$(counted bad-request)"
stop_workers
start_web ||
  { not_ok "cutover-web starts again without SNS topics" "$(tail -3 "$WEB_LOG")"; finish; }
check_eq "with no topic configured: 403" 403 "$(post "$firing")"
check "... saying so" grep -q "no SNS topic is configured" "$TMP/answer"
finish
