#!/usr/bin/env bash
# test_supervisor - cutoverd, the supervisor, on the real stack:
# 1. --help; an unknown worker, a missing binary or bad pauses exit 2 and
#    start nothing;
# 2. the six workers run as its children; a worker killed with SIGKILL is
#    replaced after a pause that doubles while it keeps dying and is short
#    again after a stable run;
# 3. a blue-green deployment completes while its validator is killed;
# 4. SIGHUP restarts every worker at once;
# 5. SIGTERM stops every worker and exits 0;
# 6. a worker that cannot start (no database) is throttled: pauses double up
#    to the cap, no start comes sooner than its pause;
# 7. a worker that does not drain within the grace gets SIGKILL;
# 8. copies of a worker (NAME=N) run, and none outlives a SIGKILLed cutoverd.
# Every cutoverd runs with short pauses, this test's topic prefix and
# consumer groups, and CUTOVER_ENVIRONMENTS scoped to its own environment.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
export CUTOVER_EFFECT_LEASE_MS=3000
export CUTOVER_SUPERVISOR_RESTART_MIN_MS=200 CUTOVER_SUPERVISOR_RESTART_MAX_MS=1600
export CUTOVER_SUPERVISOR_STABLE_MS=3000 CUTOVER_SUPERVISOR_STOP_GRACE_MS=10000
# the default children are the six workers and cutover-web, here on any free port
export CUTOVER_WEB_ADDR=127.0.0.1:0
CHILDREN=$((${#SAGA_WORKERS[@]} + 1))
BAKE=1
saga_setup sup
saga_release 2.0
export CUTOVER_ENVIRONMENTS="^$ENV\$"
[ -x "$BIN/cutoverd" ] || { not_ok "cutoverd is built" "run make first"; exit 1; }

# msgs LOG - the messages cutoverd logged, in order
msgs() { jq -Rr 'fromjson? | select(.worker == "cutoverd") | .msg' "$1"; }

# count LOG PATTERN - how many of cutoverd's messages match the regex
count() { msgs "$1" | grep -cE "$2" || true; }

# pid_of SUP NAME - the pid of SUP's child running cutover-NAME ("" when none)
pid_of() { pgrep -P "$1" -f "/cutover-$2\$" | paste -sd ' '; }

# all_up SUP - each of the six workers runs as exactly one child of SUP
all_up() {
  local name pid
  for name in "${SAGA_WORKERS[@]}"; do
    pid=$(pid_of "$1" "$name")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  done
}

# pids SUP - "name=pid" of every worker child of SUP
pids() {
  local name
  for name in "${SAGA_WORKERS[@]}"; do printf '%s=%s ' "$name" "$(pid_of "$1" "$name")"; done
}

# replaced SUP NAME OLD - SUP runs cutover-NAME again, in a process other than OLD
replaced() {
  local pid
  pid=$(pid_of "$1" "$2")
  [[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" != "$3" ]
}

# all_new SUP OLD - each of the six workers runs, none in a process of OLD ("name=pid ...")
all_new() {
  local now
  all_up "$1" || return 1
  now=$(pids "$1")
  [ -z "$(comm -12 <(tr ' ' '\n' <<< "$2" | sort) <(tr ' ' '\n' <<< "$now" | sort) | grep .)" ]
}

# runs SUP NAME... - SUP has a child running each cutover-NAME
runs() {
  local sup=$1 name
  shift
  for name in "$@"; do [ -n "$(pid_of "$sup" "$name")" ] || return 1; done
}

# ready LOG N NAME... - each worker NAME logged at least N times in LOG that it
# started (its Kafka and PostgreSQL set-up done)
ready() {
  local log=$1 n=$2 name
  shift 2
  for name in "$@"; do
    [ "$(jq -Rr --arg w "$name" 'fromjson? | select(.worker == $w and (.msg | startswith("started:"))) | .msg' \
      "$log" | grep -c .)" -ge "$n" ] || return 1
  done
}

# copies SUP LOG NAME - "N LABEL...": how many children of SUP run cutover-NAME,
# and the labels of the copies LOG says were started
copies() {
  local n labels
  n=$(pgrep -P "$1" -f "/cutover-$3\$" | grep -c .)
  labels=$(msgs "$2" | sed -n "s/^worker \($3#[0-9]*\) started: .*/\1/p" | sort | paste -sd ' ')
  echo "$n $labels"
}

# uptime_at_least PID SECONDS - the process has run that long
uptime_at_least() { [ "$(ps -o etimes= -p "$1" | tr -d ' ')" -ge "$2" ]; }

# gone PID... - each process has ended (it no longer exists, or is a zombie)
gone() {
  local p
  for p in "$@"; do [[ "$(ps -o stat= -p "$p")" =~ ^(Z.*)?$ ]] || return 1; done
}

# stop_cutoverd SIG - send SIG to cutoverd $SUP and wait up to 60 s for its
# end; RC is its exit status, or "still running"
stop_cutoverd() {
  kill "-$1" "$SUP"
  RC="still running"
  wait_for 60 gone "$SUP" && { wait "$SUP"; RC=$?; }
}

# delays LOG NAME - the restart pauses logged for worker NAME, in order
delays() { msgs "$1" | sed -n "s/^worker $2 restarting in \([0-9]*\) ms\$/\1/p" | paste -sd ' '; }

# early_starts LOG NAME - "PAIRS EARLY": pauses followed by a start of NAME, and
# how many of those starts came sooner than the pause logged before them
early_starts() {
  jq -Rr 'fromjson? | select(.worker == "cutoverd")
          | ((.ts | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) * 1000
             + (.ts | capture("\\.(?<ms>[0-9]+)Z$").ms | tonumber) | tostring) + " " + .msg' "$1" |
    awk -v name="$2" '
      $2 == "worker" && $3 == name && $4 == "restarting" { t0 = $1; pause = $6; next }
      $2 == "worker" && $3 == name && $4 == "started:" && t0 != "" {
        pairs++; if ($1 - t0 < pause) early++; t0 = "" }
      END { print pairs + 0, early + 0 }'
}

# 1. the command line: help, and refusals that start nothing
HELP=$("$BIN/cutoverd" --help); rc=$?
check_eq "--help exits 0" 0 "$rc"
check "--help prints the usage" grep -q '^usage: cutoverd .*--workers' <<< "$HELP"
ERR=$("$BIN/cutoverd" --workers scaler,nosuch 2>&1); rc=$?
check_eq "an unknown worker name exits 2" 2 "$rc"
check "... with a message naming it" grep -q 'unknown worker "nosuch"' <<< "$ERR"
check "... and starts nothing, not even the scaler named before it" \
  test "$(grep -c 'started' <<< "$ERR")" -eq 0
mkdir -p "$TMP/nobin"
ERR=$("$BIN/cutoverd" --bin-dir "$TMP/nobin" 2>&1); rc=$?
check_eq "a missing worker binary exits 2" 2 "$rc"
check "... naming the binary" grep -q "$TMP/nobin/cutover-scaler" <<< "$ERR"
ERR=$(CUTOVER_SUPERVISOR_RESTART_MIN_MS=5000 "$BIN/cutoverd" 2>&1); rc=$?
check "pauses out of order (min above max) exit 2 with the variable named" \
  test "$rc" -eq 2 -a "$(grep -c 'CUTOVER_SUPERVISOR_RESTART_MIN_MS=5000' <<< "$ERR")" -eq 1

# 2. six workers; a worker killed is replaced after a pause that doubles while it keeps dying
MAIN_LOG=$LOGDIR/cutoverd-main.log
start_cutoverd "$MAIN_LOG"
MAIN=$SUP
check "cutoverd starts the six workers as its children" wait_for 60 all_up "$MAIN"
check "... and each of them gets to work" wait_for 60 ready "$MAIN_LOG" 1 "${SAGA_WORKERS[@]}"
SCALER=$(pid_of "$MAIN" scaler)
check "each start is logged with its pid" \
  test "$(count "$MAIN_LOG" "^worker scaler started: pid $SCALER\$")" -eq 1
BEFORE=$(pids "$MAIN")
check "the scaler stays up past the stable time (3 s)" wait_for 30 uptime_at_least "$SCALER" 4
kill -9 "$SCALER"
check "a new scaler replaces the one killed" wait_for 30 replaced "$MAIN" scaler "$SCALER"
check "the exit is logged with its signal" \
  test "$(count "$MAIN_LOG" "^worker scaler \\(pid $SCALER\\) exited with signal 9 ")" -eq 1
check_eq "after a stable run the restart waits the shortest pause" 200 "$(delays "$MAIN_LOG" scaler)"
SCALER2=$(pid_of "$MAIN" scaler)
kill -9 "$SCALER2"
check "killed again at once: replaced again" wait_for 30 replaced "$MAIN" scaler "$SCALER2"
check_eq "a quick second death doubles the pause" "200 400" "$(delays "$MAIN_LOG" scaler)"
SCALER3=$(pid_of "$MAIN" scaler)
check "the third scaler stays up past the stable time" wait_for 30 uptime_at_least "$SCALER3" 4
kill -9 "$SCALER3"
check "killed after a stable run: replaced" wait_for 30 replaced "$MAIN" scaler "$SCALER3"
check_eq "... after the shortest pause again" "200 400 200" "$(delays "$MAIN_LOG" scaler)"
check_eq "the other four workers kept their processes" \
  "$(sed 's/scaler=[0-9]* //' <<< "$BEFORE")" "$(pids "$MAIN" | sed 's/scaler=[0-9]* //')"

# 3. a blue-green deployment completes while its validator is killed in the middle
check_eq "blue serves 1.0 before the deployment" "version 1.0 color blue" "$(served)"
build_ready b2 2.0
check "the deployment waits in validating (gate closed)" wait_for 180 eq validating dep_state b2
VALIDATOR=$(pid_of "$MAIN" validator)
kill -9 "$VALIDATOR"
check "the validator killed while validating is replaced" \
  wait_for 30 replaced "$MAIN" validator "$VALIDATOR"
gate_open all
check "the deployment completes" wait_for 180 eq completed dep_state b2
check_eq "it went through every state once" \
  "scaling deploying validating shifting promoted completed" "$(dep_path b2)"
check_eq "the frontend serves 2.0 from green" "version 2.0 color green" "$(served)"
check_eq "no effect done twice, no provider change made twice" "$(printf '0\n0')" "$(effects_twice)"
check "nothing is left open" wait_for 30 eq 0 effects_open

# 4. SIGHUP: every worker is restarted at once, without a pause
BEFORE=$(pids "$MAIN")
PAUSES=$(count "$MAIN_LOG" 'restarting in')
kill -HUP "$MAIN"
check "SIGHUP: six new worker processes" wait_for 60 all_new "$MAIN" "$BEFORE"
check "... each child drained cleanly (status 0) and started again without a pause" \
  test "$(count "$MAIN_LOG" 'exited with status 0 ')" -eq "$CHILDREN" -a "$(count "$MAIN_LOG" 'restarting in')" -eq "$PAUSES"

# 5. SIGTERM: every worker stops, cutoverd exits 0
wait_for 60 all_up "$MAIN"
LAST=$(pgrep -P "$MAIN" | paste -sd ' ')
EXITS=$(count "$MAIN_LOG" 'exited with status 0 ')
SUP=$MAIN
stop_cutoverd TERM
check_eq "SIGTERM: cutoverd exits 0" 0 "$RC"
check "... and none of its workers remains" gone $LAST
check_eq "... each child drained (status 0) within the grace, none SIGKILLed" "$CHILDREN 0" \
  "$(($(count "$MAIN_LOG" 'exited with status 0 ') - EXITS)) $(count "$MAIN_LOG" 'SIGKILL$')"
check_eq "the stop is logged last" stopped "$(msgs "$MAIN_LOG" | tail -1)"

# 6. a worker that cannot start (no database) is throttled: the pause doubles up to the cap
THROTTLE_LOG=$LOGDIR/cutoverd-throttle.log
CUTOVER_DATABASE_URL=postgresql://cutover@127.0.0.1:1/cutover CUTOVER_DB_CONNECT_ATTEMPTS=1 \
  start_cutoverd "$THROTTLE_LOG" --workers scaler
check "the failing scaler is paused six times" \
  wait_for 60 gt 5 count "$THROTTLE_LOG" '^worker scaler restarting in'
stop_cutoverd TERM
check_eq "the pauses double up to the cap" "200 400 800 1600 1600 1600" \
  "$(delays "$THROTTLE_LOG" scaler | cut -d' ' -f1-6)"
check "every start failed (status 1)" \
  test "$(count "$THROTTLE_LOG" 'exited with status 1 ')" -eq "$(count "$THROTTLE_LOG" 'started: pid')"
check_eq "no start came sooner than its pause" 0 "$(early_starts "$THROTTLE_LOG" scaler | cut -d' ' -f2)"
check "... over at least five pause-start pairs" \
  test "$(early_starts "$THROTTLE_LOG" scaler | cut -d' ' -f1)" -ge 5
check_eq "SIGTERM during a pause exits 0" 0 "$RC"
check_eq "... with no start after the stop" 0 \
  "$(msgs "$THROTTLE_LOG" | sed -n '/stopping/,$p' | grep -c 'started' || true)"

# 7. a worker that does not drain within the grace is SIGKILLed
GRACE_LOG=$LOGDIR/cutoverd-grace.log
CUTOVER_SUPERVISOR_STOP_GRACE_MS=1000 start_cutoverd "$GRACE_LOG" --workers validator,rollbacker
wait_for 60 runs "$SUP" validator rollbacker && wait_for 60 ready "$GRACE_LOG" 1 validator rollbacker
STUCK=$(pid_of "$SUP" validator)
OTHER=$(pid_of "$SUP" rollbacker)
kill -STOP "$STUCK"
stop_cutoverd TERM
check_eq "a stuck worker: cutoverd still exits 0" 0 "$RC"
check "... after SIGKILL to the stuck worker alone, once the grace is over" \
  test "$(count "$GRACE_LOG" "^worker validator \\(pid $STUCK\\) still running after 1000 ms: SIGKILL\$")" -eq 1 \
  -a "$(count "$GRACE_LOG" 'SIGKILL$')" -eq 1
check "... and both workers are gone" gone "$STUCK" "$OTHER"

# 8. copies of a worker; none outlives cutoverd killed with SIGKILL
ORPHAN_LOG=$LOGDIR/cutoverd-orphan.log
start_cutoverd "$ORPHAN_LOG" --workers rollbacker=2
check "rollbacker=2: two copies, each started under its own label" \
  wait_for 60 eq "2 rollbacker#1 rollbacker#2" copies "$SUP" "$ORPHAN_LOG" rollbacker
wait_for 60 ready "$ORPHAN_LOG" 2 rollbacker
ORPHANS=$(pid_of "$SUP" rollbacker)
{ stop_cutoverd KILL; } 2>/dev/null
check "the workers of a SIGKILLed cutoverd stop too" wait_for 30 gone $ORPHANS

finish
