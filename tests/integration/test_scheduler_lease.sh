#!/usr/bin/env bash
# test_scheduler_lease - cutover-scheduler's bounds, with a command that
# sleeps past its timeout_seconds (3 s) every second (no WordPress needed:
# an environment document with a scheduler section is enough). The command
# notes each run's sleeping process and whether an earlier run's still runs
# (zombies left to a slow init run nothing). Checks that:
# 1. a run that outlives its timeout is recorded timeout, after at least
#    timeout_seconds, and its whole process group is gone;
# 2. a scheduler SIGKILLed during a run: the run's process group still ends
#    (coreutils' timeout gets SIGTERM when its parent dies), a second copy
#    (under cutoverd --workers scheduler) runs the command again only once
#    the first run's lease has expired
#    (never beside it), and records the abandoned run interrupted;
# 3. the document's section is refused by cutover env apply when malformed.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

check "cutover-scheduler is built" test -x "$BIN/cutover-scheduler"
use_test_prefix
ENV=$(unique_name sched)
WORK=$(mktemp -d)
trap 'stop_workers; rm -rf "$WORK"' EXIT

cat > "$WORK/command" <<CMD
#!/bin/bash
for pid in \$(cat "$WORK/pids" 2>/dev/null); do
  grep -qs '^State:[[:space:]]*[^Z[:space:]]' "/proc/\$pid/status" &&
    echo "run \$CUTOVER_SCHEDULER_RUN beside pid \$pid" >> "$WORK/overlaps"
done
sleep 30 &
echo "\$!" >> "$WORK/pids"
wait
CMD
chmod +x "$WORK/command"

# env_doc SCHEDULER - the environment's document with that scheduler section
env_doc() {
  printf '{"name": "%s", "provider": "local", "local": {"listen_port": 1, "base_port": 2,
   "max_instances": 1}, "scheduler": %s}' "$ENV" "$1" > "$WORK/env.json"
  "$BIN/cutover" env apply "$WORK/env.json" > /dev/null 2>>"$LOGDIR/scheduler_lease.log"
}

# run_field ID FIELD - a field of the environment's IDth run (from 1)
run_field() {
  sql "SELECT $2 FROM scheduler_runs WHERE environment = :'v1' ORDER BY id OFFSET :'v2'::int - 1 LIMIT 1" "$ENV" "$1"
}

# started - how many runs the command began
started() { grep -c . "$WORK/pids" 2>/dev/null || echo 0; }

# gone PID - the process no longer runs (a zombie runs nothing)
gone() { ! grep -qs '^State:[[:space:]]*[^Z[:space:]]' "/proc/$1/status"; }

check "an environment with scheduled work is applied" \
  env_doc "{\"command\": \"$WORK/command\", \"interval_seconds\": 1, \"timeout_seconds\": 3}"

# 1. the timeout
start_worker scheduler CUTOVER_SCHEDULER_TICK_MS=100
FIRST=$LAST_WORKER_PID
check "the first run times out" wait_for 60 eq timeout run_field 1 outcome
check "... after its timeout_seconds" eq t \
  run_field 1 "finished_at - started_at >= interval '3 seconds'"
check "... and its process group is gone" wait_for 10 gone "$(sed -n 1p "$WORK/pids")"

# 2. a scheduler killed during a run
check "a second run starts" wait_for 60 gt 1 started
RUNS=$(started)
KILLED_PID=$(sed -n "${RUNS}p" "$WORK/pids")
kill -KILL "$FIRST"
export CUTOVER_ENVIRONMENTS="^$ENV\$" CUTOVER_SCHEDULER_TICK_MS=100
start_cutoverd "$LOGDIR/cutoverd-scheduler.log" --workers scheduler
check "the killed scheduler's run ends all the same" wait_for 30 gone "$KILLED_PID"
check "the second copy runs the command once the lease expired" wait_for 90 gt "$RUNS" started
check_eq "never beside a run in flight" "" "$(cat "$WORK/overlaps" 2>/dev/null)"
check_eq "the abandoned run is recorded interrupted" interrupted "$(run_field "$RUNS" outcome)"
check "the next run started after the abandoned run's lease" eq t run_field $((RUNS + 1)) \
  "started_at >= (SELECT started_at FROM scheduler_runs WHERE environment = '$ENV' ORDER BY id OFFSET $((RUNS - 1)) LIMIT 1) + interval '18 seconds'"

# 3. malformed sections
check "a section without a command is refused" eval '! env_doc "{\"interval_seconds\": 5}"'
check "an interval of 0 is refused" eval "! env_doc '{\"command\": \"true\", \"interval_seconds\": 0}'"
finish
