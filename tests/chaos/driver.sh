# tests/chaos/driver.sh - the chaos driver of the soak (sourced by
# tests/chaos/run, bash): cutoverd and its worker copies, SIGKILLs, broker
# and database restarts, and one hang of HAProxy's Runtime API.
#
# Kills: every 0.5-2 s a random worker copy (a child of cutoverd) gets
# SIGKILL; one kill in CHAOS_SUPERVISOR_ODDS (default 10) is cutoverd's
# own, which takes its children down (PR_SET_PDEATHSIG) and is started
# again. A kill's "fault point" is what the database says the killed
# worker type had in flight at that instant: the kinds of its effects
# running ("set-weights"), or "idle". Each kill is a line of kills.tsv.
#
# Restarts: every CHAOS_RESTART_EVERY seconds (default 40) the next of
# kafka, postgres, kafka, postgres goes through `ops/devstack restart`
# (same data, same port); restarts.tsv holds its start and end.
#
# Hang: the workers reach HAProxy's Runtime API through a relay
# (relay.py, $CHAOS_DIR/haproxy-relay.sock), never the admin socket
# itself. Once, when a canary of timed steps validates or shifts, its
# environment is frozen: the relay holds that environment's commands
# (set server ENV/...) without an answer, so that the next set-weights call
# never answers and times out (the provider waits 3 s), until one was held
# and CHAOS_HANG_SECONDS (default 10) passed, at most CHAOS_HANG_MAX
# (default 120); then the relay answers again. hang.tsv holds the
# environment, start and end, held.tsv each command held. The sampler and
# the checker read the admin socket directly.

# relay_start - the Runtime API relay the workers use; sets RELAY_PID
relay_start() {
  python3 "$TOP/tests/chaos/relay.py" "$CHAOS_DIR/haproxy-relay.sock" "$CUTOVER_HAPROXY_SOCKET" \
    "$CHAOS_DIR/freeze" "$CHAOS_DIR/held.tsv" 2>>"$CHAOS_DIR/relay.log" &
  RELAY_PID=$!
  wait_for 10 test -S "$CHAOS_DIR/haproxy-relay.sock"
}

# supervisor_start - cutoverd with two copies of the saga's workers, the
# relay as their Runtime API; sets SUP
supervisor_start() {
  CUTOVER_HAPROXY_SOCKET="$CHAOS_DIR/haproxy-relay.sock" \
    "$BIN/cutoverd" --workers "${CHAOS_WORKERS:-scaler=2,deployer=2,validator=2,shifter=2,rollbacker=2,migrator}" \
    >> "$CHAOS_DIR/cutoverd.log" 2>&1 &
  SUP=$!
  echo "$SUP" > "$CHAOS_DIR/cutoverd.pid"
}

# supervisor_stop - SIGTERM cutoverd and wait for it and its workers
supervisor_stop() {
  kill "$SUP" 2>/dev/null
  wait "$SUP" 2>/dev/null
}

# worker_of PID - the worker type PID runs ("scaler"), from its command line
worker_of() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | sed -n 's|^[^ ]*/cutover-\([a-z]*\).*|\1|p'; }

# in_flight WORKER - the kinds of the soak's effects WORKER has running, or idle
in_flight() {
  local kinds
  kinds=$(sql "SELECT string_agg(DISTINCT kind, '+') FROM effects WHERE owner = :'v1'
               AND status = 'running' AND environment ~ :'v2'" "$1" "$CUTOVER_ENVIRONMENTS" 2>/dev/null)
  echo "${kinds:-idle}"
}

# kill_record WORKER POINT - one line of kills.tsv
kill_record() { printf '%s\t%s\t%s\n' "$(date +%s.%N)" "$1" "$2" >> "$CHAOS_DIR/kills.tsv"; }

# kill_worker - SIGKILL one random child of cutoverd
kill_worker() {
  local pids pid name point
  read -r -a pids <<< "$(pgrep -P "$SUP" | paste -sd ' ')"
  [ "${#pids[@]}" -gt 0 ] || return 0
  pid=${pids[$((RANDOM % ${#pids[@]}))]}
  name=$(worker_of "$pid")
  [ -n "$name" ] || return 0
  point=$(in_flight "$name")
  kill -KILL "$pid" 2>/dev/null && kill_record "$name" "$point"
}

# kill_supervisor - SIGKILL cutoverd, wait for its workers to go, start it again
kill_supervisor() {
  local children
  children=$(pgrep -P "$SUP" | paste -sd ' ')
  kill -KILL "$SUP" 2>/dev/null || return 0
  wait "$SUP" 2>/dev/null
  kill_record cutoverd "$(echo "$children" | wc -w) workers"
  # shellcheck disable=SC2086 # one pid a word
  [ -z "$children" ] || wait_for 60 bash -c "! kill -0 $children 2>/dev/null"
  supervisor_start
}

# restart_service NAME - ops/devstack restart NAME, timed in restarts.tsv
restart_service() {
  local t0
  t0=$(date +%s.%N)
  if "$TOP/ops/devstack" restart "$1" >> "$CHAOS_DIR/devstack.log" 2>&1; then
    printf '%s\t%s\t%s\tok\n' "$1" "$t0" "$(date +%s.%N)" >> "$CHAOS_DIR/restarts.tsv"
  else
    printf '%s\t%s\t%s\tfailed\n' "$1" "$t0" "$(date +%s.%N)" >> "$CHAOS_DIR/restarts.tsv"
  fi
}

# shift_due - an environment of the soak whose deployment is a canary of
# timed steps about to shift or shifting ("" when none)
shift_due() {
  sql "SELECT d.environment FROM deployments d WHERE d.state IN ('validating', 'shifting')
       AND d.environment ~ :'v1' AND d.strategy->>'kind' = 'canary'
       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(d.strategy->'steps') s
                       WHERE s->'pause_seconds' = 'null') LIMIT 1" "$CUTOVER_ENVIRONMENTS" 2>/dev/null
}

# held_since T0 - the relay held a command after time T0
held_since() { [ -s "$CHAOS_DIR/held.tsv" ] && awk -v t="$1" '$1 > t { f = 1 } END { exit !f }' "$CHAOS_DIR/held.tsv"; }

# hang_runtime_api ENV - freeze ENV's Runtime API commands until one was
# held and CHAOS_HANG_SECONDS passed (at most CHAOS_HANG_MAX seconds)
hang_runtime_api() {
  local t0 deadline=$((SECONDS + ${CHAOS_HANG_MAX:-120}))
  t0=$(date +%s.%N)
  echo "$1" > "$CHAOS_DIR/freeze"
  while ! held_since "$t0" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  sleep "${CHAOS_HANG_SECONDS:-10}"
  rm -f "$CHAOS_DIR/freeze"
  printf '%s\t%s\t%s\n' "$1" "$t0" "$(date +%s.%N)" >> "$CHAOS_DIR/hang.tsv"
}

# restart_due - start the next restart in the background when it is due
# (now, once the scripts are over) and none runs
restart_due() {
  local due=(kafka postgres kafka postgres)
  [ "$RESTARTS_DONE" -lt "${#due[@]}" ] || return 0
  [ -n "$RESTART_PID" ] && kill -0 "$RESTART_PID" 2>/dev/null && return 0
  [ $SECONDS -ge "$NEXT_RESTART" ] || [ -e "$CHAOS_DIR/stop" ] || return 0
  restart_service "${due[$RESTARTS_DONE]}" &
  RESTART_PID=$!
  RESTARTS_DONE=$((RESTARTS_DONE + 1))
  NEXT_RESTART=$((SECONDS + ${CHAOS_RESTART_EVERY:-40}))
}

# chaos_tick - one step of the driver: a kill, and a restart or the hang when due
chaos_tick() {
  if [ $((RANDOM % ${CHAOS_SUPERVISOR_ODDS:-10})) -eq 0 ]; then kill_supervisor; else kill_worker; fi
  restart_due
  local env
  [ -s "$CHAOS_DIR/hang.tsv" ] || env=$(shift_due)
  [ -z "${env:-}" ] || hang_runtime_api "$env"
}

# chaos_pending - the scripts still run, or a restart is still to do or running
chaos_pending() {
  [ ! -e "$CHAOS_DIR/stop" ] || [ "$RESTARTS_DONE" -lt 4 ] ||
    { [ -n "$RESTART_PID" ] && kill -0 "$RESTART_PID" 2>/dev/null; }
}

# chaos_driver - start cutoverd, tick every 0.5-2 s while chaos_pending,
# write $CHAOS_DIR/calm, keep cutoverd running until $CHAOS_DIR/done exists
chaos_driver() {
  RESTARTS_DONE=0 RESTART_PID=""
  NEXT_RESTART=$((SECONDS + ${CHAOS_RESTART_EVERY:-40}))
  supervisor_start
  trap 'supervisor_stop' EXIT
  while chaos_pending; do
    sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
    sleep "$(printf '0.%03d' $((500 + RANDOM % 500)))"
    chaos_tick
  done
  touch "$CHAOS_DIR/calm"
  while [ ! -e "$CHAOS_DIR/done" ]; do sleep 0.5; done
}
