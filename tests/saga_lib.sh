# tests/saga_lib.sh - helpers for the saga's end-to-end integration tests
# (sourced after tests/lib.sh, bash): an environment served by the local
# provider through the dev stack's HAProxy, its blue color seeded with
# release 1.0; demo releases; the six workers (or cutoverd); build-ready and operator
# events; reading a deployment's state, history and effects back.
#
# Validation is held per version by a gate: the environment's command check
# waits until $GATES/all or $GATES/<version> exists, so that a test decides
# how long a deployment stays in validating (gate_open VERSION).

SAGA_WORKERS=(scaler deployer validator shifter rollbacker migrator)
SAGA_MAX=2

if [ -z "${CUTOVER_HAPROXY_SOCKET:-}" ]; then
  set -a
  eval "$("$TOP/ops/devstack" env)"
  set +a
fi

# saga_cleanup - stop the workers, the environment's instances, its HAProxy file
saga_cleanup() {
  stop_workers
  slot_processes_stop "$CUTOVER_RUN_DIR/local/$ENV"
  rm -f "$CUTOVER_HAPROXY_CONFIG_DIR/env-$ENV.cfg"
  echo reload | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_MASTER_SOCKET" >/dev/null 2>&1
  rm -rf "$CUTOVER_RUN_DIR/local/$ENV" "$TMP"
}

# saga_pick_ports - LISTEN and BASE with 2 * SAGA_MAX free ports after BASE
saga_pick_ports() {
  BASE=$(port_range_pick $((2 * SAGA_MAX + 1))) || return 1
  LISTEN=$((BASE + 2 * SAGA_MAX))
}

# probe OP ARGS... - one local provider operation on this test's environment
probe() { "$TOP/$BUILD/tests/provider_probe" "$TMP/env.json" "$@" 2>>"$LOGDIR/saga_probe.log"; }

# saga_release VERSION [--broken] - build a release with SAGA_BUILDER (default
# the demo app's demo/build-release); sets URI_<VERSION> and SHA_<VERSION>
saga_release() {
  local path sha key=${1//[^A-Za-z0-9]/_}
  read -r path sha < <(BUILD=$BUILD "${SAGA_BUILDER:-$TOP/demo/build-release}" "$@" --out "$TMP/releases")
  printf -v "URI_$key" '%s' "file://$path"
  printf -v "SHA_$key" '%s' "$sha"
}

# saga_env_json - the environment's document (bake and timeouts short; the
# health page SAGA_HEALTH_PATH, default /health)
saga_env_json() {
  cat <<EOF
{"name": "$ENV", "provider": "local", "capacity": 2, "bake_seconds": ${BAKE:-1},
 "timeouts": {"scale": 90, "deploy": 90, "validate": 120},
 "checks": [
   {"name": "health", "kind": "http", "path": "${SAGA_HEALTH_PATH:-/health}", "expect_status": 200, "retries": 5},
   {"name": "gate", "kind": "command", "timeout_seconds": 120,
    "command": "until [ -e $GATES/all ] || [ -e $GATES/\$CUTOVER_VERSION ]; do sleep 0.1; done"}],
 "local": {"listen_port": $LISTEN, "base_port": $BASE, "max_instances": $SAGA_MAX,
           "health_path": "${SAGA_HEALTH_PATH:-/health}",
           "initial_release": {"uri": "$URI_1_0", "sha256": "$SHA_1_0", "version": "1.0"}}}
EOF
}

# saga_env_with_database - saga_env_json with a database section: the dev
# stack's MariaDB (CUTOVER_MYSQL_*), a longer migrate timeout
saga_env_with_database() {
  saga_env_json | jq '
    .database = {engine: "mysql", host: env.CUTOVER_MYSQL_HOST,
                 port: (env.CUTOVER_MYSQL_PORT | tonumber), database: env.CUTOVER_MYSQL_DATABASE,
                 user: env.CUTOVER_MYSQL_USER, password_file: env.CUTOVER_MYSQL_PASSWORD_FILE}
    | .timeouts.migrate = 120'
}

# saga_setup - environment ENV on fresh ports, blue serving release 1.0
# (seeded as a user would: cutover env seed)
saga_setup() {
  ENV=$(unique_name "$1")
  TMP=$(mktemp -d)
  GATES=$TMP/gates
  mkdir -p "$GATES"
  trap saga_cleanup EXIT
  [ -f "$TOP/$BUILD/libcutover.a" ] && [ -x "$BIN/cutover-demo-app" ] || {
    not_ok "build present" "run make first"
    exit 1
  }
  [ -x "$TOP/$BUILD/tests/provider_probe" ] || { not_ok "the provider probe is built" "run make first"; exit 1; }
  saga_pick_ports || { not_ok "free ports" "none found"; exit 1; }
  saga_release 1.0
  saga_env_json > "$TMP/env.json"
  "$BIN/cutover" env apply "$TMP/env.json" > /dev/null || { not_ok "env apply"; exit 1; }
  # the seed waits for blue's health (90 s: a loaded machine starts slowly); a
  # reading here may come right after someone else's HAProxy reload, which
  # shows a server down until its next check
  "$BIN/cutover" env seed "$ENV" --timeout 90 >>"$LOGDIR/saga_seed.log" 2>&1 &&
    wait_for 10 eq "2 2 2" probe health blue ||
    { not_ok "cutover env seed: blue serves 1.0" "$(probe health blue)"; exit 1; }
}

# saga_workers_missing - the worker binaries not built yet
saga_workers_missing() {
  local name
  for name in "${SAGA_WORKERS[@]}"; do [ -x "$BIN/cutover-$name" ] || echo "$name"; done
}

# start_saga_workers [ENV=VALUE...] - one copy of every worker that is built
start_saga_workers() {
  local name
  for name in "${SAGA_WORKERS[@]}"; do
    [ -x "$BIN/cutover-$name" ] && start_worker "$name" "$@"
  done
  return 0
}

# start_saga_workers_armed NAME POINT - every worker, NAME's copy armed to
# die at the fault point NAME-POINT; KILLED is that copy's pid
start_saga_workers_armed() {
  local name
  for name in "${SAGA_WORKERS[@]}"; do [ "$name" == "$1" ] || start_worker "$name"; done
  start_worker "$1" CUTOVER_FAULT_POINT="$1-$2"
  KILLED=$LAST_WORKER_PID
}

# saga_crash_resumed NAME POINT BUILD - the copy of NAME armed by
# start_saga_workers_armed dies at POINT; a copy started without it resumes
# and BUILD completes
saga_crash_resumed() {
  check "$2: the $1 dies there" wait_for 240 eval "! kill -0 $KILLED 2>/dev/null"
  start_worker "$1"
  check "$2: a restarted $1 resumes and the deployment completes" \
    wait_for 240 eq completed dep_state "$3"
}

# start_cutoverd LOG [ARGS...] - run cutoverd in the background into LOG (emptied first); sets SUP
start_cutoverd() {
  local log=$1
  shift
  : > "$log"
  "$BIN/cutoverd" "$@" >> "$log" 2>&1 &
  SUP=$!
  WORKER_PIDS+=("$SUP")
}

# web_port - the port cutover-web said it serves on (its log: $WEB_LOG)
web_port() { jq -Rr 'fromjson? | select(.worker == "web") | .msg' "$WEB_LOG" | sed -n 's/^started: .*(port \([0-9]*\))$/\1/p' | tail -1; }

# start_web [ENV=VALUE...] - cutover-web on a free port; sets WEB_LOG,
# WEB_PID, PORT and URL once it tells its port (within 60 s; else 1)
start_web() {
  WEB_LOG=$LOGDIR/worker-web.log
  : > "$WEB_LOG"
  start_worker web CUTOVER_WEB_ADDR=127.0.0.1:0 "$@"
  WEB_PID=$LAST_WORKER_PID
  wait_for 60 gt 0 web_port || return 1
  PORT=$(web_port)
  URL=http://127.0.0.1:$PORT
}

# slot_targets - every slot of both colors as a Prometheus target list ("127.0.0.1:P", ...)
slot_targets() {
  local p sep=""
  for ((p = BASE; p < BASE + 2 * SAGA_MAX; p++)); do printf '%s"127.0.0.1:%d"' "$sep" "$p"; sep=,; done
}

# gate_open VERSION|all - let validation of VERSION (or of every version) pass
gate_open() { touch "$GATES/$1"; }

# build_ready BUILD VERSION [STRATEGY] - publish a build-ready for a built release
build_ready() {
  local key=${2//[^A-Za-z0-9]/_} uri sha data strategy=${3:-}
  uri=URI_$key sha=SHA_$key
  [ -n "$strategy" ] || strategy='{"kind":"bluegreen","auto_promote":true}'
  data=$(printf '{"environment":"%s","build_id":"%s","version":"%s","artifact":{"uri":"%s","sha256":"%s"},"strategy":%s}' \
    "$ENV" "$1" "$2" "${!uri}" "${!sha}" "$strategy")
  publish build-ready "$ENV" "$(cloud_event build-ready "$ENV" "$data")"
}

# shift_requested ACTION [DEPLOYMENT] - an operator's command
shift_requested() {
  local data
  data=$(printf '{"environment":"%s","action":"%s","reason":"test","requested_by":"tests"%s}' \
    "$ENV" "$1" "${2:+,\"deployment_id\":\"$2\"}")
  publish shift-requested "$ENV" "$(cloud_event shift-requested "$ENV" "$data")"
}

# dep_id BUILD - the build's deployment id ("" while none)
dep_id() { sql "SELECT id FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "$ENV" "$1"; }

# dep_state BUILD - the build's deployment state
dep_state() { sql "SELECT state FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "$ENV" "$1"; }

# dep_path BUILD - the states the deployment went through after received
dep_path() {
  sql "SELECT string_agg(to_state, ' ' ORDER BY t.id) FROM transitions t JOIN deployments d
       ON d.id = t.deployment_id WHERE d.environment = :'v1' AND d.build_id = :'v2'
       AND t.from_state IS DISTINCT FROM t.to_state AND t.to_state <> 'received'" "$ENV" "$1"
}

# dep_effects BUILD - "kind:status" of the deployment's worker effects, in order
dep_effects() {
  sql "SELECT string_agg(e.kind || ':' || e.status, ' ' ORDER BY e.id) FROM effects e
       JOIN deployments d ON d.id = e.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2'" "$ENV" "$1"
}

# effects_twice - effects of this environment done twice (same deployment,
# kind, epoch and argument: a canary's set-weights 50 then 100 are two; an
# operator may drill as often as they like) or that changed the provider twice
effects_twice() {
  sql "SELECT count(*) FROM (SELECT deployment_id, kind, epoch, arg FROM effects
       WHERE environment = :'v1' AND status = 'done' AND kind NOT LIKE 'drill-%'
       GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) x" "$ENV"
  sql "SELECT count(*) FROM effects WHERE environment = :'v1' AND provider_calls > 1" "$ENV"
}

# effects_open - effects of this environment not finished yet
effects_open() {
  sql "SELECT count(*) FROM effects WHERE environment = :'v1' AND status IN ('pending', 'running')" "$ENV"
}

# outbox_unsent - events about this environment not published yet
outbox_unsent() { sql "SELECT count(*) FROM outbox WHERE key = :'v1' AND sent_at IS NULL" "$ENV"; }

# measurements ID OUTCOME - the deployment's measurements with that outcome (history rows)
measurements() {
  sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1'
       AND event_type = 'analysis:measurement' AND reason LIKE '% ' || :'v2' || ': %'" "$1" "$2"
}

# verdicts ID - the analysis verdicts in the deployment's history, in order
verdicts() {
  sql "SELECT string_agg(event_type, ' ' ORDER BY id) FROM transitions WHERE deployment_id = :'v1'
       AND event_type IN ('analysis:passed', 'analysis:failed', 'analysis:inconclusive')" "$1"
}

# caches_of BUILD - "name:status" of the build's cache outcomes, in order
caches_of() {
  sql "SELECT string_agg(c.name || ':' || c.status, ' ' ORDER BY c.seq) FROM deployment_caches c
       JOIN deployments d ON d.id = c.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2'" "$ENV" "$1"
}

# live_color - the environment's live color
live_color() { sql "SELECT live_color FROM environments WHERE name = :'v1'" "$ENV"; }

# my SQL - one statement against the application's database (the dev stack's MariaDB), tab-separated rows
my() {
  MYSQL_PWD=$(cat "$CUTOVER_MYSQL_PASSWORD_FILE") mariadb -h "$CUTOVER_MYSQL_HOST" \
    -P "$CUTOVER_MYSQL_PORT" -u "$CUTOVER_MYSQL_USER" -N -B "$CUTOVER_MYSQL_DATABASE" -e "$1"
}

# columns TABLE - the table's columns, in order, space-separated
columns() {
  my "SELECT group_concat(column_name ORDER BY ordinal_position SEPARATOR ' ')
      FROM information_schema.columns WHERE table_schema = '$CUTOVER_MYSQL_DATABASE' AND table_name = '$1'"
}

# at KIND BUILD [started|finished] - when the build's effect of KIND started/finished
at() {
  sql "SELECT e.${3:-started}_at FROM effects e JOIN deployments d ON d.id = e.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2' AND e.kind = :'v3'
       ORDER BY e.id DESC LIMIT 1" "$ENV" "$1" "$2"
}

# before A B - timestamp A is before timestamp B
before() { [ "$(sql "SELECT :'v1'::timestamptz < :'v2'::timestamptz" "$1" "$2")" == t ]; }

# served [HEADER] - the body HAProxy's frontend answers for GET /
served() { curl -fsS --max-time 2 ${1:+-H "$1"} "http://127.0.0.1:$LISTEN/"; }

# status_states ID - the states after received that deployment-status
# announced for ID, in order, once each
status_states() {
  consume deployment-status |
    jq -r --arg id "$1" 'select(.data.deployment_id == $id and .data.state != "received") | "\(.id) \(.data.state)"' |
    awk '!seen[$1]++ { printf "%s%s", sep, $2; sep = " " }'
}
