#!/usr/bin/env bash
# test_static_membership - a worker that cutoverd restarts takes its Kafka
# partitions back at once (static membership, group.instance.id), not
# after its killed predecessor's session expired: with a session timeout
# of 120 s, a canary is held at 50 %, the rollbacker is SIGKILLed and
# replaced, and an alarm then rolls the deployment back well before the
# dead consumer's session could have ended (a consumer without a stable
# instance id would wait for it). Also: each child has its own instance
# id, the same across a restart of that child, and the same again for the
# children of a cutoverd started again after it was SIGKILLed (the run
# directory's lock names them); a second cutoverd of the same directory
# gives its children ids of its own, with its pid.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

use_test_prefix
export CUTOVER_KAFKA_SESSION_TIMEOUT_MS=120000
export CUTOVER_SUPERVISOR_RESTART_MIN_MS=200 CUTOVER_WEB_ADDR=127.0.0.1:0
saga_setup static
saga_release 2.0
export CUTOVER_ENVIRONMENTS="^$ENV\$"
gate_open all

# pid_of NAME - the pid of cutoverd's child running cutover-NAME
pid_of() { pgrep -P "$SUP" -f "/cutover-$1\$"; }

# instance_id PID - the CUTOVER_KAFKA_INSTANCE_ID a process was started with
instance_id() { tr '\0' '\n' < "/proc/$1/environ" | sed -n 's/^CUTOVER_KAFKA_INSTANCE_ID=//p'; }

# lock_tag - the run directory's lock as cutoverd names it: device and inode in hexadecimal
lock_tag() { printf '%s-%x' "$(stat -c %D "$CUTOVER_RUN_DIR/cutoverd.lock")" "$(stat -c %i "$CUTOVER_RUN_DIR/cutoverd.lock")"; }

# worker_ids - the instance ids of cutoverd's children, one per line, sorted
worker_ids() { for name in "${SAGA_WORKERS[@]}"; do instance_id "$(pid_of "$name")"; done | sort; }

# replaced OLD - cutoverd runs the rollbacker again, in another process
replaced() { local pid; pid=$(pid_of rollbacker); [ -n "$pid" ] && [ "$pid" != "$1" ]; }

start_cutoverd "$LOGDIR/cutoverd-static.log" --workers "$(IFS=,; echo "${SAGA_WORKERS[*]}")"
check "the six workers run" wait_for 60 eq 6 eval 'pgrep -P "$SUP" | wc -l'
IDS=$(worker_ids)
check_eq "each child has its own instance id" 6 "$(sort -u <<< "$IDS" | grep -c .)"
check "... naming the host, the run directory's lock and the worker" \
  grep -qx "$(hostname | tr -c 'A-Za-z0-9._\n-' -)-$(lock_tag)-rollbacker" <<< "$IDS"

build_ready c2 2.0 "$(canary 50:null 100:1)"
check "the canary holds at 50 %" wait_for 240 eq "50 50" weights
OLD=$(pid_of rollbacker)
OLD_ID=$(instance_id "$OLD")
kill -9 "$OLD"
check "the rollbacker killed with SIGKILL is replaced" wait_for 30 replaced "$OLD"
check_eq "... under the same instance id" "$OLD_ID" "$(instance_id "$(pid_of rollbacker)")"
KILLED_AT=$SECONDS
alarm_fired ALARM
check "the alarm rolls the canary back before the dead consumer's 120 s session could end" \
  wait_for 60 eq rolled-back dep_state c2
echo "# rolled back $((SECONDS - KILLED_AT)) s after the kill"
check_eq "all the traffic is back on blue" "100 0" "$(weights)"

FIRST=$SUP
FIRST_KIDS=$(pgrep -P "$FIRST" | tr '\n' ' ')
kill -9 "$FIRST"
check "the SIGKILLed cutoverd's workers go" wait_for 60 eval "! kill -0 $FIRST_KIDS 2>/dev/null"
start_cutoverd "$LOGDIR/cutoverd-static-2.log" --workers "$(IFS=,; echo "${SAGA_WORKERS[*]}")"
check "a cutoverd started again runs the six workers" wait_for 60 eq 6 eval 'pgrep -P "$SUP" | wc -l'
check_eq "... under the instance ids its predecessor's workers had" "$IDS" "$(worker_ids)"
AGAIN=$SUP
start_cutoverd "$LOGDIR/cutoverd-static-3.log" --workers scaler
check "a second cutoverd of the same run directory runs its worker" wait_for 60 eq 1 eval 'pgrep -P "$SUP" | wc -l'
check "... under an instance id with its own pid" \
  grep -qx "$(hostname | tr -c 'A-Za-z0-9._\n-' -)-$SUP-scaler" <<< "$(instance_id "$(pid_of scaler)")"
check "... and says why" grep -q "another cutoverd holds it" "$LOGDIR/cutoverd-static-3.log"
kill "$SUP" "$AGAIN"
finish
