#!/usr/bin/env bash
# test_zero_downtime - requests keep being answered while cutover moves
# traffic: cutover-loadgen sends a steady stream of GETs through HAProxy's
# frontend during a full canary deployment (10 -> 50 -> 100, promotion,
# bake, retirement of the old color) and during a rollback fired by an
# alarm in the middle of a canary; not one request may fail, and the
# responses show both releases while the canary runs. The events are sent
# with the operator CLI (cutover publish build-ready, cutover alarm), the
# way CI and monitoring without a Kafka client would.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

RATE=50

use_test_prefix
saga_setup zd
saga_release 2.0
saga_release 3.0
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
[ -x "$BIN/cutover-loadgen" ] || { not_ok "cutover-loadgen is built"; finish; }
trap 'kill "${LOADGEN:-}" 2>/dev/null; saga_cleanup' EXIT
start_saga_workers
gate_open all

# loadgen_start NAME - load through the frontend until $TMP/NAME.stop exists
loadgen_start() {
  "$BIN/cutover-loadgen" --url "http://127.0.0.1:$LISTEN/" --rate "$RATE" --connections 4 \
    --until-file "$TMP/$1.stop" --max-duration 600 --report "$TMP/$1.json" \
    > "$LOGDIR/loadgen-$1.log" 2>&1 &
  LOADGEN=$!
}

# loadgen_stop NAME - stop it and wait for its report
loadgen_stop() {
  touch "$TMP/$1.stop"
  wait "$LOADGEN"
}

# report NAME FILTER - a jq filter over the load generator's report
report() { jq -r "$2" "$TMP/$1.json"; }

# publish_build BUILD VERSION CANARY - build-ready through the CLI
publish_build() {
  local key=${2//[^A-Za-z0-9]/_} uri sha
  uri=URI_$key sha=SHA_$key
  "$BIN/cutover" publish build-ready --env "$ENV" --build "$1" --version "$2" \
    --artifact "${!uri}" --sha256 "${!sha}" --canary "$3" > /dev/null
}

check_eq "before: the frontend serves 1.0 from blue" "version 1.0 color blue" "$(served)"

# 9a. a full canary deployment under load
loadgen_start canary
publish_build z1 2.0 10:2,50:2,100
check "the canary completes under load" wait_for 300 eq completed dep_state z1
check "blue is retired" wait_for 60 eq "0 0 0" probe health blue
loadgen_stop canary
check "the load generator ran and wrote its report" test -s "$TMP/canary.json"
check "it sent at least ${RATE} requests per second of the run" \
  test "$(report canary '.sent')" -ge "$(report canary "(.elapsed_s | floor) * $RATE * 9 / 10 | floor")"
check_eq "not one request failed during the canary" 0 "$(report canary '.failed')"
check_eq "every request sent was answered 2xx" "$(report canary '.sent')" "$(report canary '.ok')"
check "the old release answered during the canary" \
  test "$(report canary '.responses["version 1.0 color blue"] // 0')" -gt 0
check "the new release answered during the canary" \
  test "$(report canary '.responses["version 2.0 color green"] // 0')" -gt 0
check_eq "after: the frontend serves 2.0 from green" "version 2.0 color green" "$(served)"

# 9b. a rollback under load: an alarm while the canary holds at 50 %
loadgen_start rollback
publish_build z2 3.0 10:1,50
check "the second canary reaches 50 % and holds" wait_for 300 eq "50 50" weights
T0=$(now_ms)
"$BIN/cutover" alarm "$ENV" --alarm http-5xx --reason "error rate above 5 %" > /dev/null
check "the alarm rolls the deployment back" wait_for 120 eq rolled-back dep_state z2
echo "# rollback took $(($(now_ms) - T0)) ms (alarm to rolled-back)"
check_eq "HAProxy sends everything to green, the old color" "0 100" "$(weights)"
check "blue (the new color) is scaled to zero" wait_for 60 eq "0 0 0" probe health blue
loadgen_stop rollback
check_eq "not one request failed during the rollback" 0 "$(report rollback '.failed')"
check "the canary's release answered before the rollback" \
  test "$(report rollback '.responses["version 3.0 color blue"] // 0')" -gt 0
check_eq "status: 100 % on green, nothing active" '{"blue":0,"green":100} null' \
  "$("$BIN/cutover" status "$ENV" --json | jq -c '.weights, .active' | paste -sd' ')"
check_eq "status: the last finished deployment is the rolled-back one" "rolled-back" \
  "$("$BIN/cutover" status "$ENV" --json | jq -r '.last_finished.state')"
check_eq "after: the frontend serves 2.0 from green" "version 2.0 color green" "$(served)"
check "every worker is still running" bash -c "for p in ${WORKER_PIDS[*]}; do kill -0 \$p || exit 1; done"

finish
