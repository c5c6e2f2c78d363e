# tests/chaos/scenario.sh - the deployments of one environment of the chaos
# soak (sourced by tests/chaos/run after tests/lib.sh, tests/saga_lib.sh and
# tests/traffic_lib.sh, bash).
#
# Each environment runs in a subshell of its own (its ENV, TMP, ports and
# gates are saga_lib's globals) and plays a script: a list of deployment
# kinds taken in turn from CHAOS_KINDS, shifted by the environment's index,
# one after the other. The end each deployment must reach is written to
# $CHAOS_DIR/expected.tsv (environment, build, state) before its first event
# is published, so the checker knows it even when the script dies.
#
#   bluegreen  all at once, auto promote            -> completed
#   canary     three timed steps (20, 50, 100)      -> completed
#   rollback   canary held at 50 %, operator rollback -> rolled-back
#   alarm      canary held at 50 %, alarm-fired     -> rolled-back
#   broken     a release whose /health answers 503  -> failed
#   supersede  a build held in validating, then a newer one
#                                                   -> superseded, completed
# An environment whose index is CHAOS_APPROVAL_ENV requires an approval
# (approval.required): its script approves each deployment that waits.

CHAOS_KINDS=(bluegreen canary rollback alarm broken supersede)
CHAOS_HELD_STEP='{"kind":"canary","steps":[{"weight":50,"pause_seconds":null},{"weight":100,"pause_seconds":1}],"auto_promote":true}'
CHAOS_TIMED_STEPS='{"kind":"canary","steps":[{"weight":20,"pause_seconds":1},{"weight":50,"pause_seconds":1},{"weight":100,"pause_seconds":1}],"auto_promote":true}'
CHAOS_TERMINAL="completed failed rolled-back superseded completed-with-warning"

# publish TOPIC KEY VALUE - lib.sh's publish (publish_once here), tried again
# until the broker takes it: kcat gives up while the broker restarts. A
# second copy of a record that did get through is a duplicate the workers
# drop (same source and id), or a build-ready of a known build.
eval "$(declare -f publish | sed '1s/^publish/publish_once/')"
publish() { wait_for 600 publish_once "$@" > /dev/null 2>&1; }

# chaos_env_json APPROVAL - the environment's document: saga_lib's, with a
# gate that waits long (a held build must still be validating when its
# successor arrives, whatever the chaos) and an approval when APPROVAL is 1
chaos_env_json() {
  saga_env_json | jq --argjson approval "$1" '
    .timeouts = {scale: 600, deploy: 600, validate: 900}
    | .checks[1].timeout_seconds = 900
    | if $approval == 1 then .approval = {required: true} else . end'
}

# chaos_env_setup INDEX - saga_setup's environment, serialized with the other
# environments' (port picking), with the releases of every kind
chaos_env_setup() {
  local lock
  exec {lock}> "$CHAOS_DIR/setup.lock"
  flock "$lock"
  saga_setup "${CUTOVER_ENVIRONMENTS#^}$1"
  saga_release 2.0
  saga_release 3.0
  saga_release 8.0 --broken
  saga_release 7.0
  chaos_env_json "$([ "$1" == "${CHAOS_APPROVAL_ENV:-2}" ] && echo 1 || echo 0)" > "$TMP/env.json"
  "$BIN/cutover" env apply "$TMP/env.json" > /dev/null
  flock -u "$lock"
  # 7.0 is the held version: its gate stays closed
  gate_open 2.0; gate_open 3.0; gate_open 8.0
  trap - EXIT # tests/chaos/run cleans up once every check is done
  printf '%s\t%s\n' "$ENV" "$TMP" >> "$CHAOS_DIR/environments"
}

# expect BUILD STATE - record the end BUILD must reach
expect() { printf '%s\t%s\t%s\n' "$ENV" "$1" "$2" >> "$CHAOS_DIR/expected.tsv"; }

# approve_if_waiting BUILD - approve BUILD when it awaits an approval (once per epoch)
approve_if_waiting() {
  local id
  [ "$(dep_state "$1")" == awaiting-approval ] || return 0
  id=$(dep_id "$1")
  [ -e "$TMP/approved-$id" ] && return 0
  "$BIN/cutover" approve "$ENV" --deployment "$id" --by chaos > /dev/null 2>&1 &&
    touch "$TMP/approved-$id"
}

# reached BUILD STATES... - approve when asked; true once BUILD is in one of STATES
reached() {
  local build=$1 state
  shift
  approve_if_waiting "$build"
  state=$(dep_state "$build")
  [[ " $* " == *" $state "* ]]
}

# held_at_half BUILD - BUILD shifts and its record says 50 % (or it ended)
held_at_half() {
  approve_if_waiting "$1"
  [ "$(sql "SELECT state || ' ' || weight_new FROM deployments WHERE environment = :'v1'
            AND build_id = :'v2'" "$ENV" "$1")" == "shifting 50" ] ||
    reached "$1" $CHAOS_TERMINAL
}

# settle BUILD - wait until BUILD is terminal; log its end and how long it
# took (the end read again until it answers: PostgreSQL may be restarting)
settle() {
  local t0=$SECONDS state=""
  wait_for "${CHAOS_WAIT:-900}" reached "$1" $CHAOS_TERMINAL
  for _ in $(seq 60); do
    state=$(dep_state "$1" 2>/dev/null) && [ -n "$state" ] && break
    sleep 1
  done
  printf '%s\t%s\t%s\t%s\n' "$ENV" "$1" "$state" $((SECONDS - t0)) >> "$CHAOS_DIR/settled.tsv"
}

# version_next - alternate 2.0 and 3.0, so that each completed deployment changes what is served
version_next() { if [ "$((DEPLOYED % 2))" -eq 0 ]; then echo 2.0; else echo 3.0; fi; }

# run_bluegreen BUILD / run_canary BUILD - deployments that complete
run_bluegreen() { expect "$1" completed; build_ready "$1" "$(version_next)"; settle "$1"; }
run_canary() { expect "$1" completed; build_ready "$1" "$(version_next)" "$CHAOS_TIMED_STEPS"; settle "$1"; }

# run_held BUILD ACTION - a canary held at 50 %, then ACTION (rollback or alarm)
run_held() {
  expect "$1" rolled-back
  build_ready "$1" "$(version_next)" "$CHAOS_HELD_STEP"
  wait_for "${CHAOS_WAIT:-900}" held_at_half "$1"
  if [ "$2" == alarm ]; then alarm_fired ALARM; else shift_requested rollback "$(dep_id "$1")"; fi
  settle "$1"
}
run_rollback() { run_held "$1" rollback; }
run_alarm() { run_held "$1" alarm; }

# run_broken BUILD - a release that fails its health check
run_broken() { expect "$1" failed; build_ready "$1" 8.0; settle "$1"; }

# run_supersede BUILD - BUILD held in validating, superseded by BUILD-next
run_supersede() {
  expect "$1" superseded
  expect "$1-next" completed
  build_ready "$1" 7.0
  wait_for "${CHAOS_WAIT:-900}" reached "$1" validating $CHAOS_TERMINAL
  build_ready "$1-next" "$(version_next)"
  settle "$1"
  settle "$1-next"
}

# chaos_env_script INDEX COUNT - set up environment INDEX and run COUNT deployments
chaos_env_script() {
  local index=$1 count=$2 n=0 kind
  DEPLOYED=0
  chaos_env_setup "$index"
  while [ "$DEPLOYED" -lt "$count" ]; do
    kind=${CHAOS_KINDS[$(((n + index) % ${#CHAOS_KINDS[@]}))]}
    [ "$kind" == supersede ] && [ $((count - DEPLOYED)) -lt 2 ] && kind=bluegreen
    "run_$kind" "d$n"
    DEPLOYED=$((DEPLOYED + $([ "$kind" == supersede ] && echo 2 || echo 1)))
    n=$((n + 1))
  done
}
