#!/usr/bin/env bash
# test_local_provider - the local provider against the dev stack's real
# HAProxy: a seeded environment scales blue to 2 and serves it through the
# HAProxy frontend; green is scaled and gets a new release through appspec
# hooks; the preview header reaches green while normal traffic stays blue;
# a 50/50 split serves both colors, reads back as 50/50 and survives an
# HAProxy reload asked by someone else; a second
# deploy_start with the same id does nothing; a broken release's deploy
# fails; green scales to 0 and its processes are gone.
#
# The provider is driven by tests/integration/local_provider_probe.c,
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
PROBE="$TMP/local_provider_probe"
MAX=3

# cleanup - stop the environment's instances, remove its HAProxy file and state
cleanup() {
  local pidfile
  for pidfile in "$CUTOVER_RUN_DIR/local/$ENV"/*/pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  rm -f "$CUTOVER_HAPROXY_CONFIG_DIR/env-$ENV.cfg"
  echo reload | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_MASTER_SOCKET" >/dev/null 2>&1 || true
  rm -rf "$CUTOVER_RUN_DIR/local/$ENV" "$TMP"
}
trap cleanup EXIT

# port_free PORT - nothing listens on 127.0.0.1:PORT
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pick_ports - LISTEN and BASE with 2 * MAX free ports after BASE
pick_ports() {
  local try p ok
  for try in $(seq 50); do
    BASE=$((20000 + RANDOM % 20000))
    LISTEN=$((BASE + 2 * MAX))
    ok=1
    for p in $(seq "$BASE" "$LISTEN"); do port_free "$p" || { ok=0; break; }; done
    [ "$ok" -eq 1 ] && return 0
  done
  return 1
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
sanitize=()
if nm "$TOP/$BUILD/libcutover.a" 2>/dev/null | grep __asan_ >/dev/null; then
  sanitize=(-g -fsanitize=address,undefined -fno-omit-frame-pointer)
fi
pkgs=$(sed -n 's/^PKGS *:= *//p' "$TOP/Makefile")
# shellcheck disable=SC2046,SC2086
cc -std=c11 -D_GNU_SOURCE -I"$TOP/common" $(pkg-config --cflags libcjson) -Wall -Wextra -Werror \
  "${sanitize[@]+"${sanitize[@]}"}" -o "$PROBE" "$TOP/tests/integration/local_provider_probe.c" \
  "$TOP/$BUILD/libcutover.a" $(pkg-config --libs $pkgs) -lm
pick_ports || { not_ok "free ports" "none found"; exit 1; }
read -r REL1 SHA1 < <(BUILD=$BUILD "$TOP/demo/build-release" 1.0 --out "$TMP")
read -r REL2 SHA2 < <(BUILD=$BUILD "$TOP/demo/build-release" 2.0 --out "$TMP")
read -r REL3 SHA3 < <(BUILD=$BUILD "$TOP/demo/build-release" 3.0 --broken --out "$TMP")
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

# ---------------------------------------------------------------- a broken release

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
check "a capacity above max_instances is refused" bash -c "! '$PROBE' '$TMP/env.json' scale blue $((MAX + 1)) 2>/dev/null"
check "scale blue to 0" probe scale blue 0
check_eq "no blue process is left" "" "$(pids_alive blue)"

[ "$TEST_FAILURES" -eq 0 ]
