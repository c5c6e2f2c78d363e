#!/usr/bin/env bash
# test_drill - `cutover drill ENV` and cutover_rollback_duration_seconds with
# the five workers, cutover-web and the local provider:
# 1. before traffic moved a drill is refused (--wait exits 3, with why);
# 2. during a canary held at 25 %: the drill is accepted, the old color's
#    weights are set and read back once, the canary's come back, the history
#    says how long it took, the state, step and weight are unchanged, and
#    cutover-web counts it under trigger "drill"; the canary then completes;
# 3. while baking (promoted) the same, then a real alarm rolls back and is
#    counted under trigger "alarm", an operator's rollback under "command";
# 4. with nothing in flight a drill is dead-lettered (--wait exits 3);
# promtool accepts /metrics with the histogram filled.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

use_test_prefix
BAKE=120 saga_setup drill
saga_release 2.0
saga_release 3.0
saga_release 4.0
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
start_saga_workers
start_web || { not_ok "cutover-web starts and tells its port" "$(tail -3 "$WEB_LOG")"; finish; }

# drill [ARGS...] - cutover drill ENV --wait 60; prints the output, then "exit N"
drill() {
  local rc=0
  "$BIN/cutover" drill "$ENV" --wait 60 "$@" 2>&1 || rc=$?
  echo "exit $rc"
}

# drill_notes ID - the drill results in ID's history
drill_notes() {
  sql "SELECT reason FROM transitions WHERE deployment_id = :'v1'
       AND event_type = 'effect:drill-return' ORDER BY id" "$1"
}

# drill_calls ID - "restore return": provider calls of the deployment's drill effects
drill_calls() {
  sql "SELECT string_agg(provider_calls::text, ' ' ORDER BY id) FROM effects
       WHERE deployment_id = :'v1' AND kind IN ('drill-restore', 'drill-return')" "$1"
}

# row ID - "state step weight_new epoch" of a deployment
row() { sql "SELECT state || ' ' || step || ' ' || weight_new || ' ' || epoch FROM deployments WHERE id = :'v1'" "$1"; }

# rollbacks TRIGGER - cutover_rollback_duration_seconds_count of ENV for TRIGGER (0 when absent)
rollbacks() {
  curl -fsS --max-time 5 "$URL/metrics" |
    awk -v s="cutover_rollback_duration_seconds_count{environment=\"$ENV\",trigger=\"$1\"}" \
      '$1 == s { v = $2 } END { print v + 0 }'
}

# 1. before traffic moved
build_ready d1 2.0 "$(canary 25:null 100:1)"
check "the canary is received" wait_for 60 has_deployment d1
D1=$(dep_id d1)
check "it waits in validation (gate closed)" wait_for 120 eq validating dep_state d1
OUT=$(drill)
check_eq "a drill before traffic moved exits 3" "exit 3" "$(tail -1 <<< "$OUT")"
check "it says why" grep -q "traffic has not moved" <<< "$OUT"
gate_open all

# 2. during a canary held at 25 %
check "the canary holds at its first step" wait_for 240 eq 25 shifted "$D1"
check_eq "weights before the drill" "75 25" "$(weights)"
BEFORE=$(row "$D1")
OUT=$(drill --reason "quarterly drill")
check_eq "cutover drill --wait exits 0" "exit 0" "$(tail -1 <<< "$OUT")"
check "it prints the accepted drill" grep -q "shifting  *== shifting  *cutover.shift-requested" <<< "$OUT"
check "the history says how long the old weights took and that the canary's came back" \
  wait_for 30 eval '[[ "$(drill_notes "$D1")" =~ ^drill:\ the\ old\ color.s\ weights\ were\ confirmed\ [0-9]+\.[0-9]{3}\ s\ after\ the\ command\;\ weights\ back\ to\ blue\ 75\ green\ 25$ ]]'
check_eq "the canary's weights are back" "75 25" "$(weights)"
check_eq "state, step, weight and epoch unchanged" "$BEFORE" "$(row "$D1")"
check_eq "each drill effect called the provider once" "1 1" "$(drill_calls "$D1")"
check "cutover-web counts it under trigger drill" wait_for 30 eq 1 rollbacks drill
check_eq "no real rollback counted" 0 "$(rollbacks alarm)"
shift_requested resume
check "resumed, the canary completes" wait_for 240 eq completed dep_state d1
check_eq "green takes all the traffic" "0 100" "$(weights)"

# 3. while baking, then a real alarm; then an operator's rollback
build_ready d2 3.0
check "the blue-green deployment bakes" wait_for 240 eq promoted dep_state d2
D2=$(dep_id d2)
OUT=$(drill)
check_eq "a drill while baking exits 0" "exit 0" "$(tail -1 <<< "$OUT")"
check "its result names the baking weights" wait_for 30 eval \
  '[[ "$(drill_notes "$D2")" == *"weights back to blue 100 green 0" ]]'
check_eq "blue (new) has all the traffic again" "100 0" "$(weights)"
check_eq "still promoted" promoted "$(dep_state d2)"
check "two drills counted" wait_for 30 eq 2 rollbacks drill
alarm_fired ALARM
check "the alarm rolls the deployment back" wait_for 120 eq rolled-back dep_state d2
check_eq "green has all the traffic" "0 100" "$(weights)"
check "cutover-web counts the rollback under trigger alarm" wait_for 30 eq 1 rollbacks alarm
build_ready d3 4.0 "$(canary 50:null 100:1)"
check "the next canary is received" wait_for 60 has_deployment d3
check "the next canary holds at 50 %" wait_for 240 eq 50 shifted "$(dep_id d3)"
"$BIN/cutover" rollback "$ENV" --reason "drill over" > /dev/null
check "an operator's rollback rolls it back" wait_for 120 eq rolled-back dep_state d3
check "cutover-web counts it under trigger command" wait_for 30 eq 1 rollbacks command
check "promtool accepts /metrics with the histogram filled" eval \
  'curl -fsS --max-time 5 "$URL/metrics" | promtool check metrics'

# 4. nothing in flight
OUT=$(drill)
check_eq "a drill with nothing in flight exits 3" "exit 3" "$(tail -1 <<< "$OUT")"
check "it is dead-lettered as not-allowed" grep -q "dead-lettered by cutover/rollbacker: not-allowed" <<< "$OUT"
check_eq "no provider change made twice" 0 "$(effects_twice | tail -1)"
check "every worker is still running" bash -c "for p in ${WORKER_PIDS[*]}; do kill -0 \$p || exit 1; done"

finish
