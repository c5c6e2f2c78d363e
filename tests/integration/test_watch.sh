#!/usr/bin/env bash
# test_watch - `cutover watch ENV` and `--wait` against real deployments,
# with the five workers, the real broker, database and HAProxy (local
# provider):
#   1. commands with nothing in flight: rollback --wait and pause --wait
#      print the dead letter's worker, code and reason and exit 3; with no
#      worker consuming, --wait gives up after its SECONDS (exit 6); no
#      database: nothing is sent (exit 1); watch of an unknown
#      environment exits 1.
#   2. a blue-green deployment that completes: watch, started before the
#      build, prints every transition in order, the status and each
#      color's health (healthy/desired, the new color first), and exits 0; publish build-ready --wait prints the
#      transitions the build caused; publishing it again is a duplicate.
#   3. a broken release fails validation: watch exits 3 with the checks
#      as the reason.
#   4. a canary: pause --wait (the shifter), then rollback --wait (the
#      rollbacker) print their transitions; watch on a terminal (script(1)
#      gives it a pty) redraws its status line and exits 4; cutover status
#      names the rollback as the reason the deployment ended, and shows
#      each color's health after it.
#   5. an abort without a reason while validating: the deployment fails
#      and cutover status says who aborted it, not "build-ready accepted".
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
saga_setup watch
saga_release 2.0
saga_release 3.0 --broken
saga_release 4.0
saga_release 5.0
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
start_saga_workers CUTOVER_HEALTH_CHECK_MS=500
CLI="$BIN/cutover"
export USER=tester

# run_cli OUT ARGS... - cutover ARGS, stdout and stderr into OUT; prints the exit status
run_cli() {
  local out=$1
  shift
  "$CLI" "$@" > "$out" 2>&1
  echo $?
}

# publish_build BUILD VERSION [OPTION...] - publish build-ready --wait for a built release
publish_build() {
  local key=${2//[^A-Za-z0-9]/_} uri sha
  uri=URI_$key sha=SHA_$key
  "$CLI" publish build-ready --env "$ENV" --build "$1" --version "$2" --artifact "${!uri}" \
    --sha256 "${!sha}" "${@:3}"
}

# watch_bg OUT - cutover watch in the background, its exit status into OUT.rc at the end
watch_bg() {
  ("$CLI" watch "$ENV" --timeout 400 > "$1" 2>&1; echo $? > "$1.rc") &
}

# ended FILE - a background command has written its exit status
ended() { [ -s "$1.rc" ]; }

# to_states FILE - the states entered in a watch output, in order ("->" lines)
to_states() { awk '$3 == "->" { printf "%s%s", sep, $4; sep = " " }' "$1"; }

# dep_weight BUILD - the new color's share the saga asked for
dep_weight() { sql "SELECT weight_new FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "$ENV" "$1"; }

# 1. commands with nothing in flight
RC=$(run_cli "$TMP/rollback.out" rollback "$ENV" --reason "nothing to roll back" --wait 60)
check_eq "rollback --wait with nothing in flight exits 3 (dead-lettered)" 3 "$RC"
check_eq "and prints the dead letter: worker, code, the saga's reason" \
  "dead-lettered by cutover/rollbacker: not-allowed: rollback: environment $ENV has no deployment in flight" \
  "$(tail -1 "$TMP/rollback.out")"
check "the event id comes first, as without --wait" grep -Eq '^[0-9a-f-]{36}$' <<< "$(head -1 "$TMP/rollback.out")"
RC=$(run_cli "$TMP/pause.out" pause "$ENV" --wait=30)
check_eq "pause --wait=30 with nothing in flight exits 3" 3 "$RC"
check "its dead letter comes from the shifter" \
  grep -q "^dead-lettered by cutover/shifter: not-allowed: pause: environment $ENV has no deployment in flight" "$TMP/pause.out"
RC=$(CUTOVER_TOPIC_PREFIX="$(unique_name idle)." bash -c '"$0" topics create > /dev/null && "$0" "$@"' \
  "$CLI" resume "$ENV" --wait 2 2>"$TMP/timeout.err" >/dev/null; echo $?)
check_eq "--wait 2 with no worker consuming exits 6" 6 "$RC"
check "and says which worker did not answer" grep -q "cutover-shifter has not handled event .* within 2 s" "$TMP/timeout.err"
NODB="postgresql://cutover@127.0.0.1:1/none?connect_timeout=1"
BEFORE=$(topic_count shift-requested)
RC=$(CUTOVER_DATABASE_URL=$NODB CUTOVER_DB_CONNECT_ATTEMPTS=1 run_cli "$TMP/nodb.out" abort "$ENV" --wait)
check_eq "--wait without a database exits 1" 1 "$RC"
check "says nothing was sent" grep -q "nothing was sent" "$TMP/nodb.out"
check_eq "and nothing was" "$BEFORE" "$(topic_count shift-requested)"
RC=$(CUTOVER_DATABASE_URL=$NODB CUTOVER_DB_CONNECT_ATTEMPTS=1 run_cli "$TMP/nodb.out" watch "$ENV")
check_eq "watch without a database exits 1" 1 "$RC"
check "says the database is unreachable" grep -q "database unreachable" "$TMP/nodb.out"
RC=$(run_cli "$TMP/unknown.out" watch "$ENV-none")
check_eq "watch of an unknown environment exits 1" 1 "$RC"
check "and says so" grep -q "no environment \"$ENV-none\"" "$TMP/unknown.out"
check "watch --help exits 0 with its usage and exit codes" \
  bash -c "'$CLI' watch --help | grep -q '0 completed, 3 failed, 4 rolled-back'"
check "watch --timeout 0 is bad usage (exit 2)" eq 2 run_cli /dev/null watch "$ENV" --timeout 0

# 2. a blue-green deployment that completes, watched from before it starts
watch_bg "$TMP/w1.out"
check "watch waits for the next deployment" wait_for 30 grep -q "waiting for the next deployment" "$TMP/w1.out"
gate_open 2.0
publish_build w1 2.0 --bluegreen --wait 120 > "$TMP/w1.wait" 2>&1
check_eq "publish build-ready --wait exits 0 (a transition)" 0 "$?"
check "it prints the deployment and the transitions the build caused" \
  eval "grep -q '^deployment $(dep_id w1)\$' '$TMP/w1.wait' && grep -q ' received *-> scaling .*cutover.build-ready' '$TMP/w1.wait'"
check "watch ends when the deployment ends" wait_for 240 ended "$TMP/w1.out"
check_eq "the deployment completed" completed "$(dep_state w1)"
check_eq "watch of a completed deployment exits 0" 0 "$(cat "$TMP/w1.out.rc")"
check_eq "it printed every transition, in order" \
  "received scaling deploying validating shifting promoted completed" "$(to_states "$TMP/w1.out")"
check "the status lines are plain (stdout is not a terminal)" \
  eval "grep -q '^status completed  blue 0 % green 100 %' '$TMP/w1.out' && ! grep -q $'\\r' '$TMP/w1.out'"
check "the new color's health as the rollbacker read it" grep -q "health green 2/2" "$TMP/w1.out"
check "the status lines carry both colors' health, the new color first" \
  grep -Eq '^status .*  health green [0-9]+/[0-9]+ blue [0-9]+/[0-9]+$' "$TMP/w1.out"
check "the last line names the deployment, its end and the reason" \
  grep -q "^deployment $(dep_id w1) completed: the old color was retired after the bake" <<< "$(tail -1 "$TMP/w1.out")"
RC=$(publish_build w1 2.0 --bluegreen --wait 60 > "$TMP/w1.dup" 2>&1; echo $?)
check_eq "the same build published again with --wait exits 0" 0 "$RC"
check "and is reported as a duplicate with what it did then" \
  eval "grep -q '^duplicate: scaler had this event' '$TMP/w1.dup' && grep -q '> scaling' '$TMP/w1.dup'"

# 3. a broken release fails validation
gate_open 3.0
publish_build w2 3.0 --wait 60 > /dev/null 2>&1
check_eq "the broken build is accepted" 0 "$?"
RC=$(run_cli "$TMP/w2.out" watch "$ENV" --timeout 300)
check_eq "watch of a deployment that fails validation exits 3" 3 "$RC"
check_eq "its transitions" "received scaling deploying validating failed" "$(to_states "$TMP/w2.out")"
check "the last line gives the failed check" \
  grep -q "^deployment $(dep_id w2) failed: validation failed: health: status 503" <<< "$(tail -1 "$TMP/w2.out")"

# 4. a canary paused, then rolled back, watched on a terminal
gate_open 4.0
publish_build w3 4.0 --canary 10:600,100 --wait 60 > /dev/null 2>&1
(script -qfec "'$CLI' watch '$ENV' --timeout 400" /dev/null > "$TMP/w3.out" 2>&1; echo $? > "$TMP/w3.out.rc") &
check "the canary takes its first step" wait_for 240 eq "shifting 10" \
  eval 'echo "$(dep_state w3) $(dep_weight w3)"'
check "watch shows the canary's step and the weights" \
  wait_for 30 grep -q "shifting  step 1/2  blue 10 % green 90 %" "$TMP/w3.out"
RC=$(run_cli "$TMP/pause.out" pause "$ENV" --reason "look at the graphs" --wait 60)
check_eq "pause --wait during the canary exits 0" 0 "$RC"
check "and prints the transition with who asked and why" \
  grep -q "shifting *-> paused .*(tester): pause requested by tester: look at the graphs" "$TMP/pause.out"
RC=$(run_cli "$TMP/rb.out" rollback "$ENV" --reason "checkout errors" --wait 60)
check_eq "rollback --wait exits 0" 0 "$RC"
check "and prints the transition" grep -q "paused *-> rolling-back .*rollback requested by tester: checkout errors" "$TMP/rb.out"
check "the watch on a terminal ends" wait_for 240 ended "$TMP/w3.out"
check_eq "watch of a rolled-back deployment exits 4" 4 "$(cat "$TMP/w3.out.rc")"
check "on a terminal the status line is redrawn in place (ANSI erase-line)" grep -q $'\r\033\\[K' "$TMP/w3.out"
check "and the end" grep -q "deployment $(dep_id w3) rolled-back: rollback requested by tester: checkout errors" "$TMP/w3.out"
check "its status line puts the new color's health (blue) first" \
  grep -Eq "  health blue [0-9]+/[0-9]+ green [0-9]+/[0-9]+" "$TMP/w3.out"
# health_line - the health line of cutover status
health_line() { "$CLI" status "$ENV" | grep '^health '; }
check "cutover status shows each color's health: blue back to zero, green whole" \
  wait_for 30 eq "health         blue 0/0, green 2/2" health_line
check_eq "cutover status gives the rollback as the reason it ended" \
  "rolled-back rollback requested by tester: checkout errors" \
  "$("$CLI" status "$ENV" --json | jq -r '.last_finished | "\(.state) \(.reason)"')"

# 5. an abort without a reason while validating
publish_build w4 5.0 --wait 60 > /dev/null 2>&1
check "the next deployment waits in validation for its gate" wait_for 120 eq validating dep_state w4
RC=$(run_cli "$TMP/abort.out" abort "$ENV" --wait 60)
check_eq "abort --wait exits 0" 0 "$RC"
check "it failed the deployment" grep -q "validating *-> failed .*abort requested by tester" "$TMP/abort.out"
check_eq "cutover status names the abort, not the build's acceptance" \
  "failed abort requested by tester" \
  "$("$CLI" status "$ENV" --json | jq -r '.last_finished | "\(.state) \(.reason)"')"
check "every worker is still running" bash -c "for p in ${WORKER_PIDS[*]}; do kill -0 \$p || exit 1; done"

finish
