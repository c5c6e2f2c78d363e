#!/usr/bin/env bash
# test_canary - canary deployments end to end with the five workers and the
# local provider: a canary 10 -> 50 -> 100 with short automatic pauses
# reaches completed, and HAProxy's weights follow the steps in order (as do
# the traffic-shifted events); an operator's promote while validating is
# rejected onto dead-letter with the saga's reason; a step without a pause
# (pause_seconds null) holds its weight, arms no timer, and moves on only
# when an operator publishes resume.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

use_test_prefix
saga_setup canary
saga_release 2.0
saga_release 3.0
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
start_saga_workers

# 1. an operator's promote during validation is not allowed: dead-letter with the reason
build_ready c1 2.0 "$(canary 10:2 50:2 100:1)"
check "the canary waits in validating (gate closed)" wait_for 120 eq validating dep_state c1
C1=$(dep_id c1)
PROMOTE_ID=$(unique_name promote)
publish shift-requested "$ENV" "$(cloud_event shift-requested "$ENV" \
  "$(printf '{"environment":"%s","action":"promote","reason":"too early","requested_by":"tests"}' "$ENV")" \
  "$PROMOTE_ID")"
check "promote while validating is dead-lettered as not-allowed" \
  wait_for 30 eq not-allowed dead_letter_code "$PROMOTE_ID"
check "its dead letter carries the saga's reason" \
  grep -q 'promote while validating' <<< "$(dead_letter_message "$PROMOTE_ID")"
check_eq "the deployment is still validating" validating "$(dep_state c1)"

# 2. canary 10 -> 50 -> 100 with automatic pauses: weights follow the steps
sampler_start
gate_open 2.0
check "the canary completes" wait_for 240 eq completed dep_state c1
SEEN=$(sampler_stop)
check "it went through every state once" \
  eq "scaling deploying validating shifting promoted completed" dep_path_from_scaling c1
check_eq "HAProxy's weights (blue green) followed the steps" "100 0,90 10,50 50,0 100" "$SEEN"
check_eq "traffic-shifted announced 10, 50, 100 in order" "10 50 100" "$(shifted "$C1")"
check_eq "set-weights done once per step, one provider call each" \
  "10:done:1 50:done:1 100:done:1" \
  "$(sql "SELECT string_agg(arg || ':' || status || ':' || provider_calls, ' ' ORDER BY id)
          FROM effects WHERE deployment_id = :'v1' AND kind = 'set-weights'" "$C1")"
check_eq "the frontend serves 2.0 from green" "version 2.0 color green" "$(served)"
check_eq "blue is retired" "0 0 0" "$(probe health blue)"

# 3. a step with pause_seconds null waits for an operator's resume
build_ready c2 3.0 "$(canary 25:null 100:1)"
check "the second canary is received" wait_for 60 has_deployment c2
C2=$(dep_id c2)
gate_open 3.0
check "the first step takes effect" wait_for 240 eq 25 shifted "$C2"
check_eq "HAProxy sends 25 % to blue, the new color" "25 75" "$(weights)"
check_eq "it holds in shifting" shifting "$(dep_state c2)"
check_eq "no step timer is armed: it waits for an operator" 0 \
  "$(sql "SELECT count(*) FROM timers WHERE deployment_id = :'v1' AND kind = 'step-due'
          AND fired_at IS NULL AND cancelled_at IS NULL" "$C2")"
shift_requested resume
check "after resume the canary completes" wait_for 120 eq completed dep_state c2
check_eq "traffic-shifted announced 25 then 100" "25 100" "$(shifted "$C2")"
check_eq "the operator's resume is in the history" 1 \
  "$(sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1'
          AND event_type = 'cutover.shift-requested' AND actor = 'tests'" "$C2")"
check_eq "blue takes all traffic" "100 0" "$(weights)"
check_eq "the frontend serves 3.0 from blue" "version 3.0 color blue" "$(served)"
check "every worker is still running" bash -c "for p in ${WORKER_PIDS[*]}; do kill -0 \$p || exit 1; done"

finish
