#!/usr/bin/env bash
# test_rollback - the compensating path with the five workers and the local
# provider: an alarm during the second canary step rolls back to 100 % on
# the old color with the new color at zero; an alarm while a shift call is
# in flight (made slow with CUTOVER_FAULT_DELAY_POINT) still ends at 100 %
# old color once that call has returned, because the rollback waits for it
# and asserts the weights again; an alarm after completed changes nothing
# and its reason is in the history. Prints how long each rollback took.
#
# ROLLBACK_SCENARIOS picks scenarios by name, default all three:
# "canary-step in-flight completed"; they run in that order whatever the
# order of the names, e.g. ROLLBACK_SCENARIOS=in-flight tests/run rollback,
# and the check that the rollbacker and the shifter still run ends each
# selection. An unknown name fails the test before anything is set up.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

SCENARIOS="canary-step in-flight completed"
SELECTED=${ROLLBACK_SCENARIOS:-$SCENARIOS}

# in_list WORD LIST - WORD is one of the words of LIST
in_list() { [[ " $2 " == *" $1 "* ]]; }

for scenario in $SELECTED; do
  in_list "$scenario" "$SCENARIOS" ||
    { not_ok "ROLLBACK_SCENARIOS names scenarios" "'$scenario' is not one of: $SCENARIOS"; finish; }
done

use_test_prefix
saga_setup rollback
saga_release 2.0
saga_release 2.1
saga_release 3.0
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
for name in scaler deployer validator; do
  [ -x "$BIN/cutover-$name" ] && start_worker "$name"
done
start_worker rollbacker
ROLLBACKER=$LAST_WORKER_PID
start_worker shifter
SHIFTER=$LAST_WORKER_PID
gate_open all

# restart_shifter [ENV=VALUE...] - replace the shifter with one configured so
restart_shifter() {
  kill "$SHIFTER" 2>/dev/null
  wait "$SHIFTER" 2>/dev/null
  start_worker shifter "$@"
  SHIFTER=$LAST_WORKER_PID
}

# slow_shift_in_flight ID WEIGHT - the shift to WEIGHT is past its epoch check, its call not returned
slow_shift_in_flight() {
  eq 1 sql "SELECT count(*) FROM effects WHERE deployment_id = :'v1' AND kind = 'set-weights'
            AND arg = :'v2' AND status = 'running' AND handle IS NOT NULL" "$1" "$2"
}

# shift_finished ID WEIGHT - the shift to WEIGHT is no longer running
shift_finished() {
  eq 0 sql "SELECT count(*) FROM effects WHERE deployment_id = :'v1' AND kind = 'set-weights'
            AND arg = :'v2' AND status = 'running'" "$1" "$2"
}

# restored_after ID WEIGHT - the late shift returned, the weights are 100 % blue again
restored_after() { shift_finished "$1" "$2" && eq "100 0" weights; }

# 4. an alarm during the second canary step rolls back
scenario_canary_step() {
  build_ready r1 2.0 "$(canary 10:1 50:120 100:1)"
  check "the canary reaches its second step" wait_for 240 eq "10:done 50:done" shifts_of r1
  R1=$(dep_id r1)
  check_eq "HAProxy splits 50/50" "50 50" "$(weights)"
  T0=$(now_ms)
  alarm_fired ALARM
  check "the weights are back on blue" wait_for 30 eq "100 0" weights
  echo "# rollback took $(($(now_ms) - T0)) ms (alarm to 100 % blue)"
  check "the deployment is rolled back" wait_for 60 eq rolled-back dep_state r1
  check "its path" eq "scaling deploying validating shifting rolling-back rolled-back" \
    dep_path_from_scaling r1
  check_eq "100 % on the old color" "100 0" "$(weights)"
  check_eq "the new color is at zero: nothing desired, running or healthy" "0 0 0" \
    "$(probe health green)"
  check_eq "blue still serves 1.0" "version 1.0 color blue" "$(served)"
  check_eq "the live color is blue" blue "$(live_color)"
  check_eq "the alarm is the rollback's cause in the history" 1 \
    "$(sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1' AND event_type = 'cutover.alarm-fired'
            AND to_state = 'rolling-back' AND reason LIKE '%5xx-rate%'" "$R1")"
}

# 5. an alarm while a shift call is in flight: the rollback still wins
scenario_in_flight() {
  restart_shifter CUTOVER_FAULT_DELAY_POINT=set-weights CUTOVER_FAULT_DELAY_MS=3000
  build_ready r2 2.1 "$(canary 10:1 50:120 100:1)"
  check "the second deployment is received" wait_for 60 has_deployment r2
  R2=$(dep_id r2)
  check "the shift to 50 is in flight (slow call)" wait_for 240 slow_shift_in_flight "$R2" 50
  T0=$(now_ms)
  alarm_fired ALARM
  check "the late shift returns and the weights are 100 % blue after it" \
    wait_for 60 restored_after "$R2" 50
  echo "# rollback took $(($(now_ms) - T0)) ms (alarm to 100 % blue, shift call in flight)"
  check "the deployment is rolled back" wait_for 60 eq rolled-back dep_state r2
  check_eq "the late shift did call the provider (the race happened)" 1 \
    "$(sql "SELECT provider_calls FROM effects WHERE deployment_id = :'v1' AND kind = 'set-weights'
            AND arg = 50" "$R2")"
  check "the rollbacker found the late shift's weights and restored them again" \
    grep -q "weights are blue 50 green 50: restoring.*$R2" "$LOGDIR/worker-rollbacker.log"
  check "its SHIFTED changed nothing: the state never went back to shifting" \
    eq "scaling deploying validating shifting rolling-back rolled-back" dep_path_from_scaling r2
  check_eq "rolled-back only after the late shift had returned" t \
    "$(sql "SELECT t.at >= e.finished_at FROM transitions t, effects e
            WHERE t.deployment_id = :'v1' AND t.to_state = 'rolled-back'
            AND e.deployment_id = :'v1' AND e.kind = 'set-weights' AND e.arg = 50" "$R2")"
  check_eq "100 % on the old color" "100 0" "$(weights)"
  check_eq "the new color is at zero" "0 0 0" "$(probe health green)"
  check_eq "blue still serves 1.0" "version 1.0 color blue" "$(served)"
}

# 6. an alarm after completed changes nothing; the reason is in the history
scenario_completed() {
  restart_shifter
  build_ready r3 3.0
  check "a blue-green deployment completes" wait_for 240 eq completed dep_state r3
  R3=$(dep_id r3)
  check_eq "green takes all traffic" "0 100" "$(weights)"
  alarm_fired ALARM
  check "the alarm is recorded on the completed deployment" \
    wait_for 30 eq 1 sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1'
                          AND event_type = 'cutover.alarm-fired'" "$R3"
  check_eq "with the reason it changed nothing" \
    "completed -> completed: ignore alarm: alarm after completed changes nothing" \
    "$(transition_reason "$R3" cutover.alarm-fired | sed 's/\(changes nothing\).*/\1/')"
  check "cutover history shows the reason" \
    grep -q 'alarm after completed changes nothing' <<< "$("$BIN/cutover" history "$ENV" 2>&1)"
  check_eq "the deployment is still completed" completed "$(dep_state r3)"
  check_eq "the weights did not move" "0 100" "$(weights)"
  check_eq "green still serves 3.0" "version 3.0 color green" "$(served)"
  check_eq "no restore-weights was asked" 0 \
    "$(sql "SELECT count(*) FROM effects WHERE deployment_id = :'v1' AND kind = 'restore-weights'" "$R3")"
}

for scenario in $SCENARIOS; do
  in_list "$scenario" "$SELECTED" && "scenario_${scenario//-/_}"
done
check "the rollbacker and the shifter are still running" kill -0 "$ROLLBACKER" "$SHIFTER"

finish
