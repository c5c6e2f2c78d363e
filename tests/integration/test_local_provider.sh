#!/usr/bin/env bash
# test_local_provider - the local provider against the dev stack's real
# HAProxy: a seeded environment scales blue to 2 and serves it through the
# HAProxy frontend; green is scaled and gets a new release through appspec
# hooks; the preview header reaches green while normal traffic stays blue;
# a 50/50 split serves both colors, reads back as 50/50 and survives an
# HAProxy reload asked by someone else; a second
# deploy_start with the same id does nothing; a broken release's deploy
# fails; green scales to 0 and its processes are gone. Weights follow
# set_weights only: scaling the new color (after a failed deployment, or
# blue as the new color after green went live) moves no traffic even when
# HAProxy lost its weights, blue as the new color takes 25/75, get_weights
# reads what HAProxy holds, and another environment's configuration change
# (a reload) restores this environment's weights from its state file, also
# when it is asked while someone else's reload re-executes the master; a
# runtime change waits for a reload in progress (haproxy.lock); the
# scripts' stop of slots spares a process that got a stale pid.
#
# The provider is driven by tests/integration/provider_probe.c,
# compiled here against $BUILD/libcutover.a. Needs `make` (the library and
# the demo application) and the dev stack (tests/run starts it).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

if [ -z "${CUTOVER_HAPROXY_SOCKET:-}" ]; then
  set -a
  eval "$("$TOP/ops/devstack" env)"
  set +a
fi
TMP=$(mktemp -d)
ENV=$(unique_name lp)
PROBE="$TOP/$BUILD/tests/provider_probe"
MAX=3

# cleanup - stop the environment's instances, remove its (and the other
# environment's) HAProxy file and state
cleanup() {
  slot_processes_stop "$CUTOVER_RUN_DIR/local/$ENV"
  rm -f "$CUTOVER_HAPROXY_CONFIG_DIR/env-$ENV.cfg" "$CUTOVER_HAPROXY_CONFIG_DIR/env-$ENV-other.cfg"
  echo reload | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_MASTER_SOCKET" >/dev/null 2>&1 || true
  rm -rf "$CUTOVER_RUN_DIR/local/$ENV" "$CUTOVER_RUN_DIR/local/$ENV-other" "$TMP"
}
trap cleanup EXIT

# port_free PORT - nothing listens on 127.0.0.1:PORT
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pick_ports - LISTEN and BASE with 2 * MAX free ports after BASE
pick_ports() {
  BASE=$(port_range_pick $((2 * MAX + 1))) || return 1
  LISTEN=$((BASE + 2 * MAX))
}

# probe OP ARGS... - one provider operation on this test's environment
probe() { "$PROBE" "$TMP/env.json" "$@" 2>>"$LOGDIR/local_provider_probe.log"; }

# served [HEADER] - the body HAProxy's frontend answers for GET /
served() { curl -fsS --max-time 2 ${1:+-H "$1"} "http://127.0.0.1:$LISTEN/"; }

# colors_seen N - "blue green" counts over N requests through the frontend
colors_seen() {
  local i blue=0 green=0 body
  for i in $(seq "$1"); do
    body=$(served || true)
    case "$body" in *"color blue"*) blue=$((blue + 1)) ;; *"color green"*) green=$((green + 1)) ;; esac
  done
  echo "$blue $green"
}

# forget_weights - every server of the environment at weight 0: what HAProxy holds
# after a reload that restored no state for it (state file missing or stale)
forget_weights() {
  local c i
  for c in blue green; do
    for i in $(seq "$MAX"); do
      echo "set server $ENV/$c$i weight 0" | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_SOCKET" >/dev/null
    done
  done
}

# split_ok N BLUE_MIN GREEN_MIN - N requests see at least BLUE_MIN blue and GREEN_MIN green
split_ok() {
  local blue green
  read -r blue green < <(colors_seen "$1")
  SPLIT="$blue blue, $green green"
  [ "$blue" -ge "$2" ] && [ "$green" -ge "$3" ] && [ $((blue + green)) -eq "$1" ]
}

# haproxy_worker - the pid of HAProxy's current worker (changes with each reload)
haproxy_worker() {
  echo "show info" | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_SOCKET" | sed -n 's/^Pid: //p'
}

# worker_is_not PID - a worker other than PID answers
worker_is_not() { local now; now=$(haproxy_worker); [ -n "$now" ] && [ "$now" != "$1" ]; }

# pids_alive COLOR - pids in the color's slot pid files that are alive (not zombies)
pids_alive() {
  local f pid
  for f in "$CUTOVER_RUN_DIR/local/$ENV/$1"-*/pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if [ -d "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then
      echo "$pid"
    fi
  done
}

# ---------------------------------------------------------------- set-up

[ -f "$TOP/$BUILD/libcutover.a" ] && [ -x "$BIN/cutover-demo-app" ] || {
  not_ok "build present" "run make first"
  exit 1
}
[ -x "$PROBE" ] || { not_ok "the provider probe is built" "run make first"; exit 1; }
pick_ports || { not_ok "free ports" "none found"; exit 1; }
read -r REL1 SHA1 < <(BUILD=$BUILD "$TOP/demo/build-release" 1.0 --out "$TMP")
read -r REL2 SHA2 < <(BUILD=$BUILD "$TOP/demo/build-release" 2.0 --out "$TMP")
read -r REL3 SHA3 < <(BUILD=$BUILD "$TOP/demo/build-release" 3.0 --failing-hook --out "$TMP")
cat >"$TMP/env.json" <<EOF
{"name": "$ENV", "provider": "local", "capacity": 2,
 "timeouts": {"deploy": 60},
 "local": {"listen_port": $LISTEN, "base_port": $BASE, "max_instances": $MAX,
           "initial_release": {"uri": "file://$REL1", "sha256": "$SHA1", "version": "1.0"}}}
EOF

# ---------------------------------------------------------------- blue, seeded

check "open writes env-$ENV.cfg and HAProxy loads it" probe open
check "the configuration file exists" test -f "$CUTOVER_HAPROXY_CONFIG_DIR/env-$ENV.cfg"
check "scale blue to 2 installs the initial release" probe scale blue 2
if wait_for 15 eq "2 2 2" probe health blue; then ok "blue healthy 2/2"; else not_ok "blue healthy 2/2" "$(probe health blue)"; fi
check_eq "weights of a new environment: all blue" "100 0" "$(probe get-weights)"
check_eq "the frontend serves blue 1.0" "version 1.0 color blue" "$(served)"
check_eq "the green preview has no server yet" "" "$(served 'X-Cutover-Preview: green' 2>/dev/null || true)"

# ---------------------------------------------------------------- green, deployed by hooks

check "scale green to 2" probe scale green 2
if wait_for 15 eq "2 2 2" probe health green; then ok "green healthy 2/2"; else not_ok "green healthy 2/2" "$(probe health green)"; fi
check_eq "green at weight 0 takes no traffic" "20 0" "$(colors_seen 20)"
out=$(probe deploy green dep-1 2.0 "file://$REL2" "$SHA2" 60 || true)
check_eq "deploy 2.0 to green through the hooks" "succeeded" "${out%% *}"
check_eq "green-1 runs release 2.0" "releases/2.0" "$(readlink "$CUTOVER_RUN_DIR/local/$ENV/green-1/current")"
check "the hooks ran in order" grep -q "validated: version 2.0 color green" "$CUTOVER_RUN_DIR/local/$ENV/green-2/hooks.log"
if wait_for 15 eq "2 2 2" probe health green; then ok "green healthy after deploy"; else not_ok "green healthy after deploy" "$(probe health green)"; fi
green_pids=$(pids_alive green | sort | tr '\n' ' ')
out=$(probe deploy green dep-1 2.0 "file://$REL2" "$SHA2" 10 || true)
check_eq "the same deployment id again finds it done" "succeeded" "${out%% *}"
check_eq "and restarts nothing" "$green_pids" "$(pids_alive green | sort | tr '\n' ' ')"

# ---------------------------------------------------------------- preview

url=$(probe preview-open green dep-1)
check_eq "preview url is the frontend" "http://127.0.0.1:$LISTEN" "$url"
if wait_for 10 eq "version 2.0 color green" served "X-Cutover-Preview: green"; then
  ok "the preview header reaches green"
else
  not_ok "the preview header reaches green" "$(served 'X-Cutover-Preview: green' 2>&1 || true)"
fi
check_eq "normal traffic stays blue during the preview" "20 0" "$(colors_seen 20)"
check "preview-close" probe preview-close dep-1
if wait_for 10 eq "" served "X-Cutover-Preview: green"; then ok "closed preview serves nothing"; else not_ok "closed preview serves nothing"; fi

# ---------------------------------------------------------------- weights

check "weights 50/50" probe weights 50 50
check_eq "get_weights reads back 50/50" "50 50" "$(probe get-weights)"
old_worker=$(haproxy_worker)
echo reload | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_MASTER_SOCKET" >/dev/null
if wait_for 10 worker_is_not "$old_worker"; then ok "a reload asked by someone else"; else not_ok "a reload asked by someone else"; fi
check_eq "weights survive the reload" "50 50" "$(probe get-weights)"
read -r blue green < <(colors_seen 40)
if [ "$blue" -ge 15 ] && [ "$green" -ge 15 ] && [ $((blue + green)) -eq 40 ]; then
  ok "40 requests at 50/50 see both colors ($blue blue, $green green)"
else
  not_ok "40 requests at 50/50 see both colors" "$blue blue, $green green"
fi
check "weights 10/90" probe weights 10 90
check_eq "get_weights reads back 10/90" "10 90" "$(probe get-weights)"
check "weights back to 100/0" probe weights 100 0
check_eq "all blue again" "20 0" "$(colors_seen 20)"

# ---------------------------------------------------------------- a release whose hook fails

out=$(probe deploy green dep-2 3.0 "file://$REL3" "$SHA3" 60 || true)
check_eq "the broken release's deploy fails" "failed" "${out%% *}"
case "$out" in
  *ValidateService*) ok "the failure names ValidateService" ;;
  *) not_ok "the failure names ValidateService" "$out" ;;
esac
check_eq "a failed deploy leaves green unhealthy" "0" "$(probe health green | cut -d' ' -f3)"
check_eq "blue still serves" "20 0" "$(colors_seen 20)"

# ---------------------------------------------------------------- scale down

check "scale green to 0" probe scale green 0
check_eq "green: nothing desired, running or healthy" "0 0 0" "$(probe health green)"
check_eq "no green process is left" "" "$(pids_alive green)"
check_eq "weights stay 100/0" "100 0" "$(probe get-weights)"

# ---------------------------------------------------------------- scaling the new color after a failure

check "scale green (new color) to 2 after the failed deployment" probe scale green 2
check_eq "scaling the new color leaves the weights at 100/0" "100 0" "$(probe get-weights)"
check_eq "and traffic on blue" "20 0" "$(colors_seen 20)"
forget_weights
check_eq "get_weights reads HAProxy: no weights held, none reported" "" "$(probe get-weights 2>/dev/null || true)"
check "scale green to 2 again while HAProxy holds no weights" probe scale green 2
check_eq "the weights set last come back: 100/0, green gets nothing" "100 0" "$(probe get-weights)"
check_eq "traffic stays on blue" "20 0" "$(colors_seen 20)"

# ---------------------------------------------------------------- blue as the new color

out=$(probe deploy green dep-3 2.0 "file://$REL2" "$SHA2" 60 || true)
check_eq "deploy 2.0 to green again" "succeeded" "${out%% *}"
if wait_for 15 eq "2 2 2" probe health green; then ok "green healthy"; else not_ok "green healthy" "$(probe health green)"; fi
check "weights 0/100: green live" probe weights 0 100
check_eq "all green" "0 20" "$(colors_seen 20)"
check "retire blue" probe scale blue 0
check_eq "weights stay 0/100 after the retirement" "0 100" "$(probe get-weights)"
forget_weights
check "scale blue (new color) to 2 while HAProxy holds no weights" probe scale blue 2
if wait_for 15 eq "2 2 2" probe health blue; then ok "blue healthy 2/2 again"; else not_ok "blue healthy 2/2 again" "$(probe health blue)"; fi
check_eq "scaling blue leaves green's share: 0/100" "0 100" "$(probe get-weights)"
check_eq "traffic stays on green" "0 20" "$(colors_seen 20)"
read -r REL4 SHA4 < <(BUILD=$BUILD "$TOP/demo/build-release" 4.0 --out "$TMP")
out=$(probe deploy blue dep-4 4.0 "file://$REL4" "$SHA4" 60 || true)
check_eq "deploy 4.0 to blue" "succeeded" "${out%% *}"
if wait_for 15 eq "2 2 2" probe health blue; then ok "blue healthy after deploy"; else not_ok "blue healthy after deploy" "$(probe health blue)"; fi
check_eq "deploying blue moves no traffic" "0 20" "$(colors_seen 20)"
check "weights 25/75 with blue new" probe weights 25 75
check_eq "get_weights reads back 25/75" "25 75" "$(probe get-weights)"
if split_ok 40 4 20; then ok "40 requests at 25/75 ($SPLIT)"; else not_ok "40 requests at 25/75" "$SPLIT"; fi

# ---------------------------------------------------------------- a reload for another environment

forget_weights
check_eq "HAProxy lost the weights: get_weights says so" "" "$(probe get-weights 2>/dev/null || true)"
LISTEN2=$((LISTEN + 1))
while ! port_free "$LISTEN2"; do LISTEN2=$((LISTEN2 + 1)); done
sed -e "s/\"$ENV\"/\"$ENV-other\"/" -e "s/\"listen_port\": $LISTEN/\"listen_port\": $LISTEN2/" \
  "$TMP/env.json" >"$TMP/other.json"
old_worker=$(haproxy_worker)
check "another environment's configuration reloads HAProxy" \
  "$PROBE" "$TMP/other.json" open 2>>"$LOGDIR/local_provider_probe.log"
if wait_for 10 worker_is_not "$old_worker"; then ok "a new HAProxy worker"; else not_ok "a new HAProxy worker"; fi
check_eq "the state file brings back 25/75" "25 75" "$(probe get-weights)"
if split_ok 40 4 20; then ok "traffic at 25/75 after the reload ($SPLIT)"; else not_ok "traffic at 25/75 after the reload" "$SPLIT"; fi
rm -f "$CUTOVER_HAPROXY_CONFIG_DIR/env-$ENV-other.cfg"
rm -rf "$CUTOVER_RUN_DIR/local/$ENV-other"

# ---------------------------------------------------------------- a reload of ours without state

# HAProxy forgot the environment (its file and state file gone, someone else
# reloaded); the next open() writes the file again and reloads with the
# servers disabled, as the file declares them: it must bring back the
# running slots and the weights
# both_colors_health - "desired running healthy" of blue, then of green
both_colors_health() { echo "$(probe health blue) / $(probe health green)"; }
# every slot serves before (a check that failed once in a full run, with
# another environment's reload just before, must not become the reference)
HEALTH_BEFORE="2 2 2 / 2 2 2"
check "before: blue and green serve, 2 of 2 each" wait_for 15 eq "$HEALTH_BEFORE" both_colors_health
rm -f "$CUTOVER_HAPROXY_CONFIG_DIR/env-$ENV.cfg" "$CUTOVER_RUN_DIR/local/$ENV/haproxy.state"
old_worker=$(haproxy_worker)
echo reload | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_MASTER_SOCKET" >/dev/null
wait_for 10 worker_is_not "$old_worker" || true
check_eq "HAProxy no longer knows the environment's backend" 0 \
  "$(echo "show backend" | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_SOCKET" | grep -cx "$ENV")"
check "open() writes its file again and reloads" probe open
check_eq "the file is back" 1 "$(ls "$CUTOVER_HAPROXY_CONFIG_DIR/env-$ENV.cfg" | wc -l)"
check "the running slots serve again: health as before ($HEALTH_BEFORE)" \
  wait_for 10 eq "$HEALTH_BEFORE" both_colors_health
check_eq "and the recorded weights are back" "25 75" "$(probe get-weights)"
if split_ok 40 4 20; then ok "traffic at 25/75 again ($SPLIT)"; else not_ok "traffic at 25/75 again" "$SPLIT"; fi

# ---------------------------------------------------------------- a reload of ours during someone else's

# HAProxy's master refuses connections while a reload re-executes it; a
# reload asked for at that moment (here: another environment's open(),
# right after someone else's reload) must wait for the master, not fail
races_won=0
for round in 1 2 3 4 5; do
  rm -f "$CUTOVER_HAPROXY_CONFIG_DIR/env-$ENV-other.cfg"
  echo reload | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_MASTER_SOCKET" >/dev/null 2>&1 || true
  "$PROBE" "$TMP/other.json" open 2>>"$LOGDIR/local_provider_probe.log" && races_won=$((races_won + 1))
done
check_eq "5 reloads asked during someone else's reload all succeed" 5 "$races_won"
check_eq "the environment's weights are still 25/75" "25 75" "$(probe get-weights)"
rm -f "$CUTOVER_HAPROXY_CONFIG_DIR/env-$ENV-other.cfg"
rm -rf "$CUTOVER_RUN_DIR/local/$ENV-other"

# ---------------------------------------------------------------- a change during someone else's reload

# A reload holds haproxy.lock exclusively from the state dump before it until
# its new worker serves; a runtime change by a provider already open (as a
# worker keeps it) waits for it, so that the change reaches the new worker
# and the state file it loads, not only the old worker. Here a holder of the
# lock stands for the reload: the probe opens, the lock is taken for 2 s,
# then the probe sets 40/60.
PAUSE="$TMP/pause"
mkdir -p "$PAUSE"
PROBE_PAUSE="$PAUSE" probe weights 40 60 &
PROBER=$!
wait_for 10 test -e "$PAUSE/opened"
flock -x "$CUTOVER_RUN_DIR/local/haproxy.lock" -c "touch '$PAUSE/held'; sleep 2" &
HOLDER=$!
wait_for 10 test -e "$PAUSE/held"
T0=$(date +%s%N)
touch "$PAUSE/go"
wait "$PROBER"
PROBE_RC=$?
WAITED=$((($(date +%s%N) - T0) / 1000000))
wait "$HOLDER"
check_eq "set_weights during a reload succeeds" 0 "$PROBE_RC"
check "... once the reload let go of the lock (${WAITED} ms; held 2000)" test "$WAITED" -ge 1500
check_eq "... and took effect" "40 60" "$(probe get-weights)"

# ---------------------------------------------------------------- the scripts' stop of slots

# slot_processes_stop (ops/lib.sh, the tests' and ops/demo's clean-up) stops
# a slot's own process, and leaves alone a process that got a stale pid file's
# pid from the kernel: here two slot directories, one whose pid file names a
# process started with the slot's INSTANCE_DIR, one naming a stranger
SLOTS="$TMP/slots"
mkdir -p "$SLOTS/green-1" "$SLOTS/green-2"
(INSTANCE_DIR=$(realpath "$SLOTS/green-1") exec sleep 60) &
OWN=$!
sleep 60 &
STRANGER=$!
echo "$OWN" > "$SLOTS/green-1/pid"
echo "$STRANGER" > "$SLOTS/green-2/pid"
slot_processes_stop "$SLOTS"
OWN_STATUS=0
wait "$OWN" || OWN_STATUS=$? # 60 s and status 0 when it was left running
check_eq "slot_processes_stop stops the slot's own process (SIGTERM: 143)" 143 "$OWN_STATUS"
sleep 0.5 # time for a SIGTERM sent to the stranger to end it
check "... and leaves alone the process a stale pid file names" kill -0 "$STRANGER"
kill "$STRANGER" 2>/dev/null
wait "$STRANGER" 2>/dev/null || true

# ---------------------------------------------------------------- the end

check "weights back to 100/0" probe weights 100 0
check "a capacity above max_instances is refused" bash -c "! '$PROBE' '$TMP/env.json' scale blue $((MAX + 1)) 2>/dev/null"
check "scale green to 0 again" probe scale green 0
check_eq "no green process is left at the end" "" "$(pids_alive green)"
check "scale blue to 0" probe scale blue 0
check_eq "no blue process is left" "" "$(pids_alive blue)"

[ "$TEST_FAILURES" -eq 0 ]
