#!/usr/bin/env bash
# bench_rollback - how long a rollback takes on the local stack, against
# the floor: the same weight change made straight through HAProxy.
#
# usage: tests/bench/bench_rollback.sh [ROUNDS]   (default 5; BENCH_ROUNDS)
#
# Each round deploys a new release as a canary held at 50 % (a step that
# waits for an operator), then publishes alarm-fired and polls HAProxy
# until the old color has 100 % again: "alarm -> weights restored". The
# database's own timestamps give the part inside cutover: the transition
# to rolling-back -> the restore-weights effect done. The baseline, in the
# same run and polled the same way: the local provider sets 100/0 from
# 50/50 directly (one provider call, no Kafka, no saga). Prints the
# median, minimum and maximum of each; numbers, never pass/fail.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

ROUNDS=${1:-${BENCH_ROUNDS:-5}}

# until_weights W - poll HAProxy as fast as the probe runs until it applies W
until_weights() { until [ "$(weights)" == "$1" ]; do :; done; }

# stats NAME MS... - "NAME: median M ms (min A, max B, N rounds)"
stats() {
  local name=$1
  shift
  printf '%s\n' "$@" | sort -n | awk -v name="$name" '
    { v[NR] = $1 }
    END { printf "  %-44s median %5d ms  (min %d, max %d, %d rounds)\n",
                 name, v[int((NR + 1) / 2)], v[1], v[NR], NR }'
}

# inside_ms BUILD - rolling-back recorded -> restore-weights done, from the database
inside_ms() {
  sql "SELECT round(extract(epoch FROM e.finished_at - t.at) * 1000)
       FROM effects e JOIN transitions t ON t.deployment_id = e.deployment_id
       WHERE e.deployment_id = :'v1' AND e.kind = 'restore-weights' AND e.status = 'done'
         AND t.to_state = 'rolling-back' AND t.from_state IS DISTINCT FROM 'rolling-back'
       ORDER BY e.id LIMIT 1" "$(dep_id "$1")"
}

# rollback_round N - one canary held at 50 %, then an alarm; appends to the result arrays
rollback_round() {
  local build=rb$1 t0
  saga_release "2.$1"
  build_ready "$build" "2.$1" "$(canary 50:null 100:1)"
  wait_for 240 eq "50 50" weights || { echo "round $1: the canary never reached 50 %" >&2; return 1; }
  t0=$(now_ms)
  alarm_fired ALARM
  until_weights "100 0"
  OUTSIDE+=($(($(now_ms) - t0)))
  wait_for 60 eq rolled-back dep_state "$build" || { echo "round $1: not rolled back" >&2; return 1; }
  INSIDE+=("$(inside_ms "$build")")
}

# baseline_round - 50/50, then 100/0 straight through the provider
baseline_round() {
  local t0
  probe weights 50 50 > /dev/null
  t0=$(now_ms)
  probe weights 100 0 > /dev/null
  until_weights "100 0"
  BASELINE+=($(($(now_ms) - t0)))
}

use_test_prefix
saga_setup benchrb > /dev/null
start_saga_workers
gate_open all
OUTSIDE=() INSIDE=() BASELINE=()
for round in $(seq 1 "$ROUNDS"); do
  rollback_round "$round" || exit 1
done
for round in $(seq 1 "$ROUNDS"); do baseline_round; done
echo "rollback on the local stack (HAProxy polled through the provider probe):"
stats "alarm published -> 100 % old color" "${OUTSIDE[@]}"
stats "inside cutover (rolling-back -> restored)" "${INSIDE[@]}"
stats "baseline: one direct provider weight change" "${BASELINE[@]}"
