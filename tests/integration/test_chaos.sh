#!/usr/bin/env bash
# test_chaos - every worker killed with SIGKILL at each of its fault points,
# on the real stack (local provider). Each round runs one deployment with
# one fault point armed in each worker (CUTOVER_FAULT_POINT); a worker that
# dies there is restarted without it, as a supervisor would. Every
# deployment must still reach the end it reaches without crashes
# (completed; failed for a broken release aborted while it deploys, so
# that its provider deployment is stopped; rolled-back after an
# operator's rollback), no effect may be done twice or change the provider twice
# (effects.provider_calls), and nothing may be left open: no effect
# pending or running, no event unsent. Points are
# "<worker>-<effect>-<before-call|after-call|before-finish>".
#
# CHAOS_SCENARIOS (default "happy failed rollback") picks the rounds to run.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
export CUTOVER_EFFECT_LEASE_MS=3000
BAKE=1
saga_setup chaos
# the broken release's deployment stays in progress until its round ends
# ($GATES/deploy-9.0), so that the abort always finds it under way: its
# ValidateService hook waits for that file, then validates as the demo's does
mkdir -p "$TMP/hold/scripts"
cp "$TOP/demo/scripts/validate_service.sh" "$TMP/hold/scripts/validate_service_demo.sh"
printf '#!/bin/bash\nuntil [ -e %q ]; do sleep 0.1; done\nexec "$RELEASE_DIR/scripts/validate_service_demo.sh"\n' \
  "$GATES/deploy-9.0" > "$TMP/hold/scripts/validate_service.sh"
chmod 0755 "$TMP/hold/scripts/"*.sh
saga_release 9.0 --broken --with "$TMP/hold"
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
gate_open all

# Fault points per worker and scenario, in the order the rounds use them.
declare -A HAPPY=(
  [scaler]="scale-new-before-call scale-new-after-call scale-new-before-finish retire-old-before-call retire-old-after-call retire-old-before-finish"
  [deployer]="deploy-new-before-call deploy-new-after-call deploy-new-before-finish"
  [validator]="open-preview-before-call open-preview-after-call validate-before-call validate-after-call close-preview-before-call close-preview-after-call"
  [shifter]="set-weights-before-call set-weights-after-call"
)
declare -A FAILED=(
  [deployer]="stop-provider-deployment-before-call stop-provider-deployment-after-call stop-provider-deployment-before-finish"
  [rollbacker]="scale-new-to-zero-before-call scale-new-to-zero-after-call"
)
declare -A ROLLBACK=(
  [rollbacker]="restore-weights-before-call restore-weights-after-call"
)
CANARY='{"kind":"canary","steps":[{"weight":50,"pause_seconds":null}],"auto_promote":true}'
declare -A ARMED=()     # worker -> "pid point" of the copy started with a fault point
declare -A DIED=()      # worker -> 1 once the armed copy is gone
ROUND=0
LAST_VERSION=1.0        # the release the live color serves

# point_of SCENARIO WORKER N - the worker's N-th point of the scenario ("" past the end)
point_of() {
  local -n table=${1^^}
  local points
  read -r -a points <<< "${table[$2]:-}"
  echo "${points[$3]:-}"
}

# round_start SCENARIO N - restart the workers, arming each with its N-th point
round_start() {
  local name point
  stop_workers
  ARMED=() DIED=()
  for name in "${SAGA_WORKERS[@]}"; do
    [ -x "$BIN/cutover-$name" ] || continue
    point=$(point_of "$1" "$name" "$2")
    if [ -n "$point" ]; then
      start_worker "$name" CUTOVER_FAULT_POINT="$name-$point"
      ARMED[$name]="$LAST_WORKER_PID $name-$point"
    else
      start_worker "$name"
    fi
  done
}

# supervise - restart, without its fault point, an armed worker that died
supervise() {
  local name pid
  for name in "${!ARMED[@]}"; do
    [ -n "${DIED[$name]:-}" ] && continue
    pid=${ARMED[$name]%% *}
    kill -0 "$pid" 2>/dev/null && continue
    DIED[$name]=1
    start_worker "$name"
  done
}

# round_over BUILD STATE - supervise; true once BUILD ended in STATE with
# every armed worker dead and nothing open
round_over() {
  supervise
  [ "$(dep_state "$1")" == "$2" ] && [ "${#DIED[@]}" -eq "${#ARMED[@]}" ] &&
    [ "$(effects_open)" == 0 ] && [ "$(outbox_unsent)" == 0 ]
}

# shifting_half BUILD - supervise; true once BUILD holds half the traffic
shifting_half() {
  supervise
  [ "$(dep_state "$1")" == shifting ] && [ "$(probe get-weights)" == "50 50" ]
}

# deploying BUILD - supervise; true while BUILD's release is being installed
deploying() {
  supervise
  [ "$(dep_state "$1")" == deploying ]
}

# killed_at POINT - a worker logged its death at POINT in this environment
killed_at() {
  grep -h "fault point $1: killing" "$LOGDIR"/worker-*.log | grep -q "\"environment\":\"$ENV\""
}

# round_check SCENARIO BUILD STATE - the round's assertions
round_check() {
  local name point desc="$1 round $ROUND (${ARMED[*]#* })"
  if wait_for 240 round_over "$2" "$3"; then ok "$desc: ends $3"; else
    not_ok "$desc: ends $3" "state $(dep_state "$2"), died ${!DIED[*]}, open $(effects_open), unsent $(outbox_unsent); effects $(dep_effects "$2")"
  fi
  for name in "${!ARMED[@]}"; do
    point=${ARMED[$name]#* }
    check "$desc: $point was reached" killed_at "$point"
  done
  check_eq "$desc: no effect done twice, no provider change made twice" \
    "$(printf '0\n0')" "$(effects_twice)"
}

# run_scenario SCENARIO ROUNDS - each round's deployment with its points armed
run_scenario() {
  local scenario=$1 rounds=$2 n build version
  for n in $(seq 0 $((rounds - 1))); do
    ROUND=$((ROUND + 1))
    build=$scenario-$n
    round_start "$scenario" "$n"
    case "$scenario" in
      happy)
        version=2.$ROUND
        saga_release "$version"
        build_ready "$build" "$version"
        round_check "$scenario" "$build" completed
        LAST_VERSION=$version ;;
      failed)
        rm -f "$GATES/deploy-9.0"
        build_ready "$build" 9.0
        wait_for 120 deploying "$build" || not_ok "$build deploys"
        shift_requested abort "$(dep_id "$build")"
        round_check "$scenario" "$build" failed
        gate_open deploy-9.0 ;; # a hook a killed deployer left waiting ends
      rollback)
        version=2.$ROUND
        saga_release "$version"
        build_ready "$build" "$version" "$CANARY"
        wait_for 180 shifting_half "$build" || not_ok "$build shifts half the traffic"
        shift_requested rollback "$(dep_id "$build")"
        round_check "$scenario" "$build" rolled-back ;;
    esac
  done
}

for scenario in ${CHAOS_SCENARIOS:-happy failed rollback}; do
  case "$scenario" in
    happy) run_scenario happy 6 ;;
    failed) run_scenario failed 3 ;;
    rollback) run_scenario rollback 2 ;;
  esac
done
check_eq "after it all, the live color serves the last completed release" \
  "version $LAST_VERSION color $(live_color)" "$(served)"

finish
