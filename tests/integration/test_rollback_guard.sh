#!/usr/bin/env bash
# test_rollback_guard - the instant-rollback guarantee with the five workers
# and the local provider: an old-color instance killed during a canary makes
# the rollbacker record "rollback not instant" (row, history, status event),
# pause the canary and bring the instance back; the verdict then returns to
# ready and the canary, resumed, completes. The same while baking, where
# there is no canary to pause and the deployment still completes. And once
# more when someone else scales the old color down during a canary (its
# desired capacity drops, not its health): the guard asks it back.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

use_test_prefix
BAKE=30 saga_setup guard
saga_release 2.0
saga_release 3.0
saga_release 4.0
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
start_saga_workers CUTOVER_ROLLBACK_GUARD_MS=300

# kill_old COLOR - SIGKILL the first instance of COLOR, as a crash would
kill_old() { kill -9 "$(cat "$CUTOVER_RUN_DIR/local/$ENV/$1-1/pid")"; }

# ready ID - the recorded verdict of a deployment (true, false or empty)
ready() { sql "SELECT coalesce(rollback_ready::text, '') FROM deployments WHERE id = :'v1'" "$1"; }

# guard_rows ID KIND - history rows the guard wrote for ID
guard_rows() {
  sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1' AND event_type = :'v2'
       AND actor = 'rollbacker' AND from_state = to_state" "$1" "guard:$2"
}

# status_ready ID VALUE - deployment-status events published for ID carrying rollback_ready VALUE
status_ready() {
  consume deployment-status |
    jq -r --arg id "$1" --arg v "$2" \
      'select(.data.deployment_id == $id and (.data.rollback_ready | tostring) == $v) | .id' |
    sort -u | grep -c . || true
}

# 1. during a canary held at 25 % by an operator step
build_ready g1 2.0 "$(canary 25:null 100:1)"
gate_open all
check "the canary is received" wait_for 60 has_deployment g1
G1=$(dep_id g1)
check "the canary holds at its first step" wait_for 240 eq 25 shifted "$G1"
check "the old color is checked and ready" wait_for 30 eq true ready "$G1"
check_eq "a healthy old color wrote no history" 0 "$(guard_rows "$G1" rollback-not-ready)"
kill_old blue
check "the verdict drops to not ready" wait_for 30 eq 1 guard_rows "$G1" rollback-not-ready
check "the canary is paused" wait_for 30 eq paused dep_state g1
check_eq "the pause is the guard's, with why" 1 \
  "$(sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1' AND to_state = 'paused'
          AND event_type = 'guard:rollback-not-ready' AND reason LIKE '%blue has 1 of 2%'" "$G1")"
check "a deployment-status said rollback is not ready" wait_for 30 eq 1 status_ready "$G1" false
check "blue's capacity comes back" wait_for 60 eq "2 2 2" probe health blue
check "the verdict returns to ready" wait_for 60 eq true ready "$G1"
check_eq "ready again is in the history once" 1 "$(guard_rows "$G1" rollback-ready)"
check "cutover status says rollback ready" grep -q "rollback ready yes" <<< "$("$BIN/cutover" status "$ENV")"
check "a deployment-status said rollback is ready" wait_for 30 eq 1 status_ready "$G1" true
check_eq "the canary stays paused until an operator resumes" paused "$(dep_state g1)"
shift_requested resume
check "resumed, the canary completes" wait_for 240 eq completed dep_state g1
check_eq "green takes all the traffic" "0 100" "$(weights)"

# 2. while baking (promoted, blue-green): nothing to pause, capacity restored
build_ready g2 3.0
check "the blue-green deployment bakes" wait_for 240 eq promoted dep_state g2
G2=$(dep_id g2)
check "the old color is checked and ready" wait_for 30 eq true ready "$G2"
kill_old green
check "the verdict drops to not ready" wait_for 30 eq 1 guard_rows "$G2" rollback-not-ready
check "green's capacity comes back" wait_for 60 eq "2 2 2" probe health green
check "the verdict returns to ready" wait_for 60 eq true ready "$G2"
check_eq "still promoted: the guard changed no state" \
  "scaling deploying validating shifting promoted" "$(dep_path_from_scaling g2)"
check "the deployment completes" wait_for 120 eq completed dep_state g2

# 3. during a canary, someone else scales the old color down
build_ready g3 4.0 "$(canary 25:null 100:1)"
check "the third canary is received" wait_for 60 has_deployment g3
G3=$(dep_id g3)
check "it holds at its first step" wait_for 240 eq 25 shifted "$G3"
check "the old color (blue) is checked and ready" wait_for 30 eq true ready "$G3"
check "someone else scales blue down to 1" probe scale blue 1
check "the verdict drops to not ready" wait_for 30 eq 1 guard_rows "$G3" rollback-not-ready
check "the canary is paused" wait_for 30 eq paused dep_state g3
check_eq "the pause is the guard's, naming the desired capacity" 1 \
  "$(sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1' AND to_state = 'paused'
          AND event_type = 'guard:rollback-not-ready' AND reason LIKE '%(desired 1)%'" "$G3")"
check "blue is asked back to 2 and serves" wait_for 60 eq "2 2 2" probe health blue
check "the verdict returns to ready" wait_for 60 eq true ready "$G3"
shift_requested resume
check "resumed, the canary completes" wait_for 240 eq completed dep_state g3
check_eq "no effect done twice, no provider change made twice" "$(printf '0\n0')" "$(effects_twice)"
check "every worker is still running" bash -c "for p in ${WORKER_PIDS[*]}; do kill -0 \$p || exit 1; done"

finish
