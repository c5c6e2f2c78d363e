#!/usr/bin/env bash
# test_cli - the operator CLI against the real database and broker: status
# and history (text and the --json contract, each color's health included)
# on an environment with deployments and health written straight into
# PostgreSQL; publish build-ready and the operator commands land on their
# topics with the right data (read back with kcat, an independent client);
# bad arguments exit 2 with a clear message; an invalid event is refused
# before anything is sent.
source "$(dirname "$0")/../lib.sh"

use_test_prefix
ENV=$(unique_name cli)
TMP=$(mktemp -d)
trap 'stop_workers; rm -rf "$TMP"' EXIT
CLI="$BIN/cutover"

cat > "$TMP/env.json" <<EOF
{"name": "$ENV", "provider": "local", "capacity": 2,
 "local": {"listen_port": 1, "base_port": 2}}
EOF
check "env apply registers the environment" "$CLI" env apply "$TMP/env.json"

# status_json FILTER - a jq filter over `cutover status ENV --json`
status_json() { "$CLI" status "$ENV" --json | jq -c "$1"; }
# history_json FILTER - a jq filter over `cutover history ENV --json`
history_json() { "$CLI" history "$ENV" --json "${@:2}" | jq -c "$1"; }

# 1. status of an environment without deployments
check_eq "status --json has exactly the contract's keys" \
  '["active","environment","health","last_finished","live_color","signatures","weights"]' "$(status_json 'keys')"
check_eq "no deployment: 100 % on the live color, no health read yet, nothing active or finished" \
  '{"environment":"'"$ENV"'","live_color":"blue","weights":{"blue":100,"green":0},"health":{"blue":null,"green":null},"active":null,"last_finished":null,"signatures":{"mode":"optional","production":false,"warning":null}}' \
  "$(status_json '.')"
check "status text before any health reading: a dash per color" \
  grep -q "^health         blue -, green -$" <<< "$("$CLI" status "$ENV")"
check_eq "history of an environment without deployments is empty" '[]' "$(history_json '.deployments')"

# 2. deployments written as the saga would: one completed an hour ago, one shifting now
D1=$(cat /proc/sys/kernel/random/uuid)
D2=$(cat /proc/sys/kernel/random/uuid)
sql "INSERT INTO deployments (id, environment, build_id, version, artifact, request, state,
       new_color, weight_new, step, reason, created_at, updated_at, finished_at)
     VALUES (:'v1', :'v3', 'b1', '1.0', '{}', '{}', 'completed', 'green', 100, 0, 'promoted',
       now() - interval '1 hour', now() - interval '50 minutes', now() - interval '50 minutes'),
            (:'v2', :'v3', 'b2', '2.0', '{}', '{}', 'shifting', 'blue', 30, 1, NULL,
       now() - interval '1 minute', now(), NULL)" "$D1" "$D2" "$ENV" > /dev/null
sql "UPDATE environments SET live_color = 'green' WHERE name = :'v1'" "$ENV" > /dev/null
sql "INSERT INTO transitions (deployment_id, from_state, to_state, event_type, event_id, actor, reason, epoch, at)
     VALUES (:'v1', NULL, 'received', 'cutover.build-ready', 'e1', 'ci', NULL, 1, now() - interval '60 minutes'),
            (:'v1', 'received', 'scaling', 'cutover.build-ready', 'e1', 'cutover/scaler', NULL, 1, now() - interval '59 minutes'),
            (:'v1', 'promoted', 'completed', 'timer:bake-done', NULL, 'cutover/scaler', NULL, 1, now() - interval '50 minutes'),
            (:'v1', 'completed', 'completed', 'cutover.alarm-fired', 'e9', 'monitoring', 'alarm after completed changes nothing', 1, now() - interval '40 minutes'),
            (:'v2', NULL, 'received', 'cutover.build-ready', 'e2', 'ci', NULL, 1, now() - interval '1 minute')" \
  "$D1" "$D2" > /dev/null

check_eq "weights come from the active deployment (new color blue at 30 %)" \
  '{"blue":30,"green":70}' "$(status_json '.weights')"
check_eq "live color as the database says" '"green"' "$(status_json '.live_color')"
check_eq "active deployment: id, state, build, version, step" \
  "[\"$D2\",\"shifting\",\"b2\",\"2.0\",1]" "$(status_json '[.active.id,.active.state,.active.build_id,.active.version,.active.step]')"
check "active.updated_at is RFC 3339 UTC" \
  eq true status_json '.active.updated_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")'
check_eq "last finished deployment: id, state, build, version, reason" \
  "[\"$D1\",\"completed\",\"b1\",\"1.0\",\"promoted\"]" \
  "$(status_json '[.last_finished.id,.last_finished.state,.last_finished.build_id,.last_finished.version,.last_finished.reason]')"
check "last_finished.finished_at is set" eq true status_json '.last_finished.finished_at | type == "string"'
TEXT=$("$CLI" status "$ENV")
check "status text names the live color and the weights" \
  grep -q "blue 30 %, green 70 %" <<< "$TEXT"
check "status text shows the active deployment" grep -q "$D2 shifting" <<< "$TEXT"

# each color's health, as the rollbacker records it: counts, or the provider's error
sql "INSERT INTO color_health (environment, color, desired, healthy, error, changed_at)
     VALUES (:'v1', 'blue', 2, 2, NULL, now() - interval '5 minutes'),
            (:'v1', 'green', NULL, NULL, 'haproxy socket: connection refused', now())" "$ENV" > /dev/null
check_eq "status --json: blue's counts" '{"desired":2,"healthy":2,"error":null}' \
  "$(status_json '.health.blue | del(.changed_at)')"
check_eq "status --json: green's error without counts" \
  '{"desired":null,"healthy":null,"error":"haproxy socket: connection refused"}' \
  "$(status_json '.health.green | del(.changed_at)')"
check "health.blue.changed_at is RFC 3339 UTC" \
  eq true status_json '.health.blue.changed_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")'
check "status text shows healthy/desired per color, and the error" \
  grep -q "^health         blue 2/2, green ? (haproxy socket: connection refused)$" <<< "$("$CLI" status "$ENV")"

# 3. history: newest first, transitions in order, ignored inputs with their reason
check_eq "history lists the deployments newest first" "[\"$D2\",\"$D1\"]" "$(history_json '[.deployments[].id]')"
check_eq "transitions in the order they happened" \
  '[null,"received","promoted","completed"]' "$(history_json '[.deployments[1].transitions[].from]')"
check_eq "an ignored input is a transition from = to with its reason" \
  '{"from":"completed","to":"completed","event_type":"cutover.alarm-fired","event_id":"e9","actor":"monitoring","reason":"alarm after completed changes nothing","principal":null,"command":true}' \
  "$(history_json '.deployments[1].transitions[3] | del(.at)')"
check_eq "--limit 1 keeps the newest deployment" "[\"$D2\"]" "$(history_json '[.deployments[].id]' --limit 1)"
check "history text marks the ignored input" \
  grep -q "completed *== completed.*alarm after completed changes nothing" <<< "$("$CLI" history "$ENV")"

# 4. an unknown environment is a failure with a clear message
OUT=$("$CLI" status no-such-env-here 2>&1); RC=$?
check_eq "status of an unknown environment exits 1" 1 "$RC"
check "and says so" grep -q 'no environment "no-such-env-here"' <<< "$OUT"

# 5. publish build-ready: on the topic, keyed by the environment, with the right data
printf 'release bytes\n' > "$TMP/r.tar.gz"
SHA=$(sha256sum "$TMP/r.tar.gz" | cut -d' ' -f1)
ID=$("$CLI" publish build-ready --env "$ENV" --build b7 --version 7.0 \
  --artifact "file://$TMP/r.tar.gz" --canary 10:30,50:30,100 --commit abc123 --meta pipeline=main)
check "publish build-ready prints the event id" grep -Eq '^[0-9a-f-]{36}$' <<< "$ID"
# record ID - the build-ready record with that event id, as "key<TAB>value"
record() {
  kcat -C -b "$CUTOVER_KAFKA_BROKERS" -t "${CUTOVER_TOPIC_PREFIX}$2" -o beginning -e -q \
    -f '%k\t%s\n' 2>/dev/null | awk -F'\t' -v id="\"id\":\"$1\"" 'index($2, id)'
}
REC=$(record "$ID" build-ready)
check_eq "the record's key is the environment" "$ENV" "$(cut -f1 <<< "$REC")"
EV=$(cut -f2- <<< "$REC")
check_eq "a structured CloudEvent of type cutover.build-ready about the environment" \
  "[\"1.0\",\"cutover.build-ready\",\"$ENV\",\"cutover/cli\"]" \
  "$(jq -c '[.specversion,.type,.subject,.source]' <<< "$EV")"
check_eq "data: build, version, commit, metadata" \
  '["b7","7.0","abc123",{"pipeline":"main"}]' "$(jq -c '.data | [.build_id,.version,.commit,.metadata]' <<< "$EV")"
check_eq "the sha256 of a file:// artifact is computed" "$SHA" "$(jq -r '.data.artifact.sha256' <<< "$EV")"
check_eq "canary steps: weight:pause, a missing pause is null (an operator)" \
  '{"kind":"canary","steps":[{"weight":10,"pause_seconds":30},{"weight":50,"pause_seconds":30},{"weight":100,"pause_seconds":null}],"auto_promote":true}' \
  "$(jq -c '.data.strategy' <<< "$EV")"
ID2=$("$CLI" publish build-ready --env "$ENV" --build b7 --version 7.0 \
  --artifact "file://$TMP/r.tar.gz" --canary 10:30,50:30,100)
check_eq "a retried publish of the same build has the same event id (a duplicate)" "$ID" "$ID2"
ID3=$("$CLI" publish build-ready --env "$ENV" --build b8 --version 8.0 --bluegreen \
  --no-auto-promote --artifact "https://ci.example/r.tar.gz" --sha256 "$SHA")
check "another build has another id" test "$ID3" != "$ID"
check_eq "--bluegreen --no-auto-promote" '{"kind":"bluegreen","auto_promote":false}' \
  "$(record "$ID3" build-ready | cut -f2- | jq -c '.data.strategy')"

# 6. operator and monitoring commands
ID=$("$CLI" approve "$ENV" --by alice)
check_eq "approve: green-validated passed for the active deployment, approved by alice" \
  "[\"$D2\",true,[],\"alice\"]" \
  "$(record "$ID" green-validated | cut -f2- | jq -c '.data | [.deployment_id,.passed,.checks,.approved_by]')"
ID=$("$CLI" shift "$ENV" --weight 40 --reason "more canary" --by bob)
check_eq "shift: action, weight, reason, requested_by" '["shift",40,"more canary","bob"]' \
  "$(record "$ID" shift-requested | cut -f2- | jq -c '.data | [.action,.weight,.reason,.requested_by]')"
for action in promote pause resume rollback abort; do
  ID=$(USER=carol "$CLI" "$action" "$ENV" --reason "because")
  check_eq "$action: shift-requested without a weight, requested by \$USER" \
    "[\"$action\",null,\"carol\"]" \
    "$(record "$ID" shift-requested | cut -f2- | jq -c '.data | [.action,.weight,.requested_by]')"
done
ID=$("$CLI" alarm "$ENV" --alarm http-5xx --reason "error rate 7 %")
check_eq "alarm: alarm-fired in state ALARM" '["http-5xx","ALARM","critical","error rate 7 %"]' \
  "$(record "$ID" alarm-fired | cut -f2- | jq -c '.data | [.alarm,.state,.severity,.reason]')"
ID=$("$CLI" alarm "$ENV" --alarm http-5xx --ok --severity warning --source grafana)
check_eq "alarm --ok: state OK" '["OK","warning","grafana"]' \
  "$(record "$ID" alarm-fired | cut -f2- | jq -c '.data | [.state,.severity,.source]')"

# 7. bad usage: exit 2 and a message that says what is wrong
# exits_with STATUS PATTERN ARGS... - cutover ARGS exits STATUS and its stderr matches PATTERN
exits_with() {
  local err rc
  err=$("$CLI" "${@:3}" 2>&1 >/dev/null); rc=$?
  [ "$rc" -eq "$1" ] && grep -q -- "$2" <<< "$err"
}
# usage_error PATTERN ARGS... - cutover ARGS exits 2 and its stderr matches PATTERN
usage_error() { exits_with 2 "$@"; }
check "publish build-ready without --build: exit 2" \
  usage_error "are required" publish build-ready --env "$ENV" --version 1 --artifact file:///x
check "an unknown option: exit 2" usage_error "unrecognized option" publish build-ready --bogus
check "--canary that is not WEIGHT[:PAUSE]: exit 2" \
  usage_error "--canary wants" publish build-ready --env "$ENV" --build x --version 1 \
  --artifact "file://$TMP/r.tar.gz" --canary 10:abc
check "--canary and --bluegreen together: exit 2" \
  usage_error "not both" publish build-ready --env "$ENV" --build x --version 1 \
  --artifact "file://$TMP/r.tar.gz" --canary 10 --bluegreen
check "https artifact without --sha256: exit 2" \
  usage_error "sha256 is required" publish build-ready --env "$ENV" --build x --version 1 \
  --artifact https://ci.example/r.tar.gz
check "shift without --weight: exit 2" usage_error "needs --weight" shift "$ENV"
check "promote with --weight: exit 2" usage_error "not allowed here" promote "$ENV" --weight 5
check "alarm without --alarm: exit 2" usage_error "needs --alarm" alarm "$ENV"
check "status without ENV: exit 2" usage_error "missing ENV" status
check "history --limit 0: exit 2" usage_error "limit" history "$ENV" --limit 0
check "status ENV ENV: exit 2" usage_error "unexpected argument" status "$ENV" other
check "env seed without ENV: exit 2" usage_error "which environment" env seed
check "env seed --timeout 0: exit 2" usage_error "seconds in 1..3600" env seed "$ENV" --timeout 0
check "env seed of an unknown environment: exit 1, says so" \
  exits_with 1 "no environment \"$ENV-none\"" env seed "$ENV-none"
for cmd in "status" "history" "publish build-ready" "approve" "shift" "rollback" "alarm" "env seed" \
           "env apply" "env list" "migrate" "topics create" "migrations retry" "plan" "audit" "watch"; do
  # shellcheck disable=SC2086
  check "$cmd --help exits 0 with its usage" bash -c "'$CLI' $cmd --help | grep -q '^usage: cutover'"
done

# 8. invalid events are refused before anything is sent
BEFORE=$(topic_count build-ready)
check "--canary 150 fails the schema: exit 2" \
  usage_error "maximum 100" publish build-ready --env "$ENV" --build bad1 --version 1 \
  --artifact "file://$TMP/r.tar.gz" --canary 150
check "falling canary weights fail the saga's rules: exit 2" \
  usage_error "does not rise" publish build-ready --env "$ENV" --build bad2 --version 1 \
  --artifact "file://$TMP/r.tar.gz" --canary 50:10,20
check "an upper-case environment name fails the schema: exit 2" \
  usage_error "invalid build-ready" publish build-ready --env Shop --build bad3 --version 1 \
  --artifact "file://$TMP/r.tar.gz"
check "shift --weight 101 fails the schema: exit 2" usage_error "invalid shift-requested" shift "$ENV" --weight 101
check_eq "nothing invalid reached the topic" "$BEFORE" "$(topic_count build-ready)"

finish
