#!/usr/bin/env bash
# test_scale_cut_short - a rollbacker killed inside the local provider's
# scale to zero, after the count was recorded and before the new color's
# slots were stopped (fault point local-scale-before-retire, found by the
# chaos soak: the next attempt saw zero asked for and waited forever for
# instances nobody would stop). A restarted rollbacker asks again and the
# rollback ends with nothing of the new color running, its weights
# restored, the scale counted once.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
saga_setup cutshort
saga_release 2.0
for name in scaler deployer validator shifter; do start_worker "$name"; done
start_worker rollbacker CUTOVER_FAULT_POINT=local-scale-before-retire
KILLED=$LAST_WORKER_PID
gate_open all

build_ready c1 2.0 '{"kind":"canary","steps":[{"weight":50,"pause_seconds":null}],"auto_promote":true}'
check "the canary holds at 50 %" wait_for 240 eq shifting dep_state c1
check "and green takes its share" wait_for 120 eq "50 50" probe get-weights
shift_requested rollback "$(dep_id c1)"
check "the rollbacker dies inside the scale to zero" wait_for 120 eval "! kill -0 $KILLED 2>/dev/null"
check_eq "green's count is recorded as zero while its slots still run" "0" \
  "$(probe health green | cut -d' ' -f1)"
start_worker rollbacker
check "a restarted rollbacker ends the rollback" wait_for 240 eq rolled-back dep_state c1
check_eq "nothing of green is asked for, running or healthy" "0 0 0" "$(probe health green)"
check_eq "blue has all the traffic" "100 0" "$(probe get-weights)"
check_eq "the scale to zero is counted once" 1 \
  "$(sql "SELECT provider_calls FROM effects WHERE deployment_id = :'v1' AND kind = 'scale-new-to-zero'" "$(dep_id c1)")"
finish
