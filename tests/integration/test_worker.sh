#!/usr/bin/env bash
# test_worker - the worker skeleton against the real broker and database:
# a build-ready lands once; duplicates and malformed records go to
# dead-letter with their reason and the partition keeps moving; a worker
# killed between its commit and its offset commit has no second effect;
# broker and database restarts lose nothing; a worker left idle longer than
# max.poll.interval.ms stays in its consumer group; its producer holds
# records for CUTOVER_KAFKA_LINGER_MS.
source "$(dirname "$0")/../lib.sh"

use_test_prefix
ENV=$(unique_name shop)
TMP=$(mktemp -d)
trap 'stop_workers; rm -rf "$TMP"' EXIT
KEY=$ENV
# This test is about the record path: the saga's effects of its
# environment are left alone (no provider runs behind it).
export CUTOVER_ENVIRONMENTS='^$'

cat > "$TMP/env.json" <<EOF
{"name": "$ENV", "provider": "local", "capacity": 2,
 "senders": {"build-ready": ["tests*"]},
 "local": {"listen_port": 1, "base_port": 2}}
EOF
check "env apply registers the environment" "$BIN/cutover" env apply "$TMP/env.json"

# build_ready BUILD [ENVIRONMENT] - the data of a valid build-ready
build_ready() {
  printf '{"environment":"%s","build_id":"%s","version":"1.0.%s","artifact":{"uri":"file:///tmp/r.tar.gz","sha256":"%s"}}' \
    "${2:-$ENV}" "$1" "$RANDOM" "$(printf 'a%.0s' {1..64})"
}

# deployments BUILD - how many deployments the build has
deployments() { sql "SELECT count(*) FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "$ENV" "$1"; }

# dead_letter_codes - "offset code" for each dead letter of this test's key
dead_letter_codes() {
  consume dead-letter | jq -r --arg k "$KEY" 'select(.data.key == $k) | "\(.data.offset) \(.data.error.code)"'
}

# has_dead_letter CODE - a dead letter of this test's key carries CODE
has_dead_letter() { dead_letter_codes | grep -q " $1\$"; }

# log_count PATTERN - lines of the scaler's log matching PATTERN
log_count() { grep -c "$1" "$LOGDIR/worker-scaler.log" || true; }

# status_events BUILD - distinct deployment-status events of the build's start (received -> scaling)
status_events() {
  local id
  id=$(sql "SELECT id FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "$ENV" "$1")
  consume deployment-status | jq -r --arg id "$id" \
    'select(.data.deployment_id == $id and .data.previous == "received") | .id' | sort -u | wc -l
}

start_worker scaler
SCALER=$LAST_WORKER_PID

# 1. a build-ready published by kcat lands once, and once only when published twice
EVENT=$(cloud_event build-ready "$ENV" "$(build_ready b1)" "ev-b1-$ENV")
publish build-ready "$KEY" "$EVENT" "content-type=application/cloudevents+json"
check "build-ready lands in PostgreSQL" wait_for 30 eq 1 deployments b1
check_eq "its history: received, then its saga started (scaling)" "-received received-scaling" \
  "$(sql "SELECT coalesce(t.from_state, '') || '-' || t.to_state FROM transitions t JOIN deployments d ON d.id = t.deployment_id WHERE d.build_id = 'b1' AND d.environment = :'v1' ORDER BY t.id LIMIT 2" "$ENV" | paste -sd ' ')"
check "deployment-status emitted through the outbox" wait_for 30 eq 1 status_events b1
publish build-ready "$KEY" "$EVENT" "content-type=application/cloudevents+json"
OTHER_ID=$(cloud_event build-ready "$ENV" "$(build_ready b1)" "ev-b1-again-$ENV")
publish build-ready "$KEY" "$OTHER_ID"
check "same (source, id) again: dead-lettered as duplicate" wait_for 30 has_dead_letter duplicate
check "same build_id under a new event id: handled" \
  wait_for 30 eq 1 sql "SELECT count(*) FROM inbox WHERE id = :'v1'" "ev-b1-again-$ENV"
check_eq "still one deployment for the build" 1 "$(deployments b1)"

# 2. malformed records: each lands on dead-letter with its reason
head -c 2097152 /dev/zero | tr '\0' 'x' > "$TMP/big"
printf '\xff\xfe\x00\x01garbage\x80\x81' > "$TMP/garbage"
GOOD_TIME=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ce() { printf '{"specversion":"1.0","id":"%s","source":"tests","type":"cutover.build-ready","subject":"%s","time":"%s","data":%s}' "$1" "$ENV" "$GOOD_TIME" "$(build_ready "$1")"; }
declare -a EXPECT=()
bad() { EXPECT+=("$1"); publish build-ready "$KEY" "$2" "${@:3}"; }
bad not-json 'hello world'
bad not-json '{"specversion":"1.0","id":'
bad not-cloudevent '[1,2,3]'
bad not-cloudevent '{"hello":"world"}'
bad unknown-type "$(ce m5 | sed 's/cutover.build-ready/cutover.no-such-thing/')"
bad bad-specversion "$(ce m6 | sed 's/"specversion":"1.0"/"specversion":"0.3"/')"
bad missing-attribute "$(ce m7 | sed 's/"subject":"[^"]*",//')"
bad missing-attribute "$(ce m8 | sed 's/"id":"m8",//')"
bad missing-attribute "$(ce m9 | sed 's/"source":"tests",//')"
bad missing-attribute "$(ce m10 | sed 's/"time":"[^"]*",//')"
bad bad-time "$(ce m11 | sed "s/$GOOD_TIME/yesterday/")"
bad bad-time "$(ce m12 | sed "s/$GOOD_TIME/2026-02-30T10:00:00Z/")"
bad bad-attribute "$(ce m13 | sed 's/"id":"m13"/"id":13/')"
EXPECT+=(too-large); publish_file build-ready "$KEY" "$TMP/big"
EXPECT+=(not-utf8); publish_file build-ready "$KEY" "$TMP/garbage"
bad missing-attribute "$(build_ready m16)" ce_specversion=1.0 ce_source=tests \
  ce_type=cutover.build-ready ce_subject="$ENV" ce_time="$GOOD_TIME" content-type=application/json
bad not-json 'not json at all' ce_specversion=1.0 ce_id=m17 ce_source=tests \
  ce_type=cutover.build-ready ce_subject="$ENV" ce_time="$GOOD_TIME" content-type=application/json
bad unknown-environment "$(ce m18 | sed "s/$ENV/no-such-env/g")"
bad schema "$(ce m19 | sed 's/,"artifact":{[^}]*}//')"
bad schema "$(ce m20 | sed 's/"sha256":"a*"/"sha256":"not-hex"/')"
bad schema "$(ce m21 | sed 's/"data":{/"data":{"strategy":{"kind":"canary","steps":[{"weight":150,"pause_seconds":1}]},/')"
bad wrong-topic "$(ce m22 | sed 's/cutover.build-ready/cutover.alarm-fired/')"
bad bad-attribute "$(ce m23 | sed "s/\"environment\":\"$ENV\"/\"environment\":\"other-env\"/")"
bad not-cloudevent '"just a string"'
bad not-allowed "$(ce m24 | sed 's/"source":"tests"/"source":"intruder"/')"
bad not-cloudevent 'null'
VALID=$(cloud_event build-ready "$ENV" "$(build_ready after-bad)")
publish build-ready "$KEY" "$VALID"
check "a valid record after the malformed ones is handled" wait_for 60 eq 1 deployments after-bad
GOT=$(dead_letter_codes | sort -n | awk '{print $2}' | grep -v '^duplicate$' | tr '\n' ' ')
WANT="${EXPECT[*]} "
check_eq "each of ${#EXPECT[@]} malformed records dead-lettered with its reason, in order" "$WANT" "$GOT"
check "the 2 MiB value is kept whole in its dead letter" \
  test "$(consume dead-letter | jq -r 'select(.data.error.code == "too-large") | .data.value | length' | head -1)" = 2097152
check "the binary garbage is kept as base64" \
  test "$(consume dead-letter | jq -r 'select(.data.error.code == "not-utf8") | .data.value_base64' | head -1 | base64 -d | cmp - "$TMP/garbage" && echo same)" = same
check "the scaler is still running" kill -0 "$SCALER"

# 3. killed after its transaction commits, before its offset is stored
stop_workers
start_worker scaler CUTOVER_FAULT_POINT=after-commit
CRASHER=$LAST_WORKER_PID
publish build-ready "$KEY" "$(cloud_event build-ready "$ENV" "$(build_ready crash1)")"
check "the worker dies at the fault point" wait_for 60 bash -c "! kill -0 $CRASHER"
check_eq "its transaction committed" 1 "$(deployments crash1)"
LOG_BEFORE=$(log_count 'seen before at this offset')
start_worker scaler
check "after restart the record comes again and is recognised" \
  wait_for 60 gt "$LOG_BEFORE" log_count 'seen before at this offset'
check_eq "no second deployment" 1 "$(deployments crash1)"
check "the status event left in the outbox is sent exactly once" wait_for 30 eq 1 status_events crash1

# 4. the broker stops and starts again while the worker runs
"$TOP/ops/devstack" stop kafka > /dev/null
"$TOP/ops/devstack" start kafka > /dev/null
publish build-ready "$KEY" "$(cloud_event build-ready "$ENV" "$(build_ready after-kafka)")"
check "records published after a broker restart are handled" wait_for 90 eq 1 deployments after-kafka

# 5. PostgreSQL restarts while a record is in flight
DL_BEFORE=$(dead_letter_codes | wc -l)
# holds - how often the worker said it keeps a record for retry or waits
# for the database: whichever of its statements meets the outage first
# (the record's handler, or a tick's query, which then reconnects before
# the next record is taken)
holds() { echo $(( $(log_count 'kept for retry') + $(log_count 'database reconnect attempt') )); }
HOLDS_BEFORE=$(holds)
"$TOP/ops/devstack" stop postgres > /dev/null
publish build-ready "$KEY" "$(cloud_event build-ready "$ENV" "$(build_ready during-pg)")"
check "the worker holds the record while the database is away" \
  wait_for 60 gt "$HOLDS_BEFORE" holds
"$TOP/ops/devstack" start postgres > /dev/null
check "the record in flight is handled once the database is back" \
  wait_for 90 eq 1 deployments during-pg
check_eq "nothing was dead-lettered for the outage" "$DL_BEFORE" "$(dead_letter_codes | wc -l)"
check "the worker is still running" kill -0 "$LAST_WORKER_PID"

# 6. quiet for longer than max.poll.interval.ms (10 s here): the worker keeps
# polling while no record comes, so it neither leaves its group nor rebalances
stop_workers
start_worker scaler CUTOVER_KAFKA_MAX_POLL_INTERVAL_MS=10000
publish build-ready "$KEY" "$(cloud_event build-ready "$ENV" "$(build_ready idle1)")"
check "a worker with a 10 s poll interval takes records" wait_for 60 eq 1 deployments idle1
LEFT_BEFORE=$(log_count 'maximum poll interval')
sleep 15 # the quiet spell under test, half again the interval
publish build-ready "$KEY" "$(cloud_event build-ready "$ENV" "$(build_ready idle2)")"
check "a record after 15 s of quiet is handled" wait_for 60 eq 1 deployments idle2
check_eq "the idle worker never exceeded its poll interval" "$LEFT_BEFORE" \
  "$(log_count 'maximum poll interval')"

# 7. the worker's producer holds its records for CUTOVER_KAFKA_LINGER_MS:
# with the longest linger allowed (1 s), the status event of a build's start
# is acknowledged (its outbox row marked sent) a second after its row was
# written; a worker that ignored the setting sends it within milliseconds
stop_workers
start_worker scaler CUTOVER_KAFKA_LINGER_MS=1000
publish build-ready "$KEY" "$(cloud_event build-ready "$ENV" "$(build_ready linger1)")"
check "a worker with a 1 s linger takes records" wait_for 60 eq 1 deployments linger1
# status_sent_ms BUILD - ms from the build's first status row to its acknowledgement; empty until sent
status_sent_ms() {
  sql "SELECT round(extract(epoch FROM o.sent_at - o.created_at) * 1000) FROM outbox o
       JOIN deployments d ON d.id::text = o.value::jsonb #>> '{data,deployment_id}'
       WHERE o.key = :'v1' AND d.environment = :'v1' AND d.build_id = :'v2' AND o.topic = 'deployment-status'
         AND o.sent_at IS NOT NULL ORDER BY o.id LIMIT 1" "$ENV" "$1"
}
# status_sent BUILD - the build's first status row is marked sent
status_sent() { [ -n "$(status_sent_ms "$1")" ]; }
check "its status event is sent" wait_for 30 status_sent linger1
LINGERED=$(status_sent_ms linger1)
check "the status event waited out the linger (>= 900 ms; $LINGERED ms)" test "${LINGERED:-0}" -ge 900

finish
