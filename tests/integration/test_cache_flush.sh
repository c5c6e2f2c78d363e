#!/usr/bin/env bash
# test_cache_flush - the cache stage end to end, with the six workers against
# the real broker, PostgreSQL, HAProxy and the dev stack's Redis; the
# environment declares three cache actions: the object cache (a Redis
# prefix), a command on each instance of the new color (the OPcache reload
# of a WordPress install) and a command on the host (a page-cache purge,
# held by a gate so that the test sees the deployment in the stage):
# 1. after validation, flushing-caches: the keys under the prefix are gone,
#    keys outside it kept, the instance command ran once on each new
#    instance with its hooks' environment, and all the traffic is still on
#    the old color; cutover status shows the stage;
# 2. then the traffic moves: every action's outcome was recorded before the
#    first weight change, and cutover history (text and --json) shows each
#    action's outcome, instances included;
# 3. a failing action stops the next deployment before traffic moves: weights
#    untouched, the new color at zero, the outcome failed in the history;
#    also when the validator is killed right after the failed outcome was
#    recorded (the restarted one ends the flush as failed, it does not go
#    on);
# 4. SIGKILL of the validator at each crash point of the flush (an action
#    about to start, its outcome recorded, the effect about to finish): the
#    restarted validator runs the flush on (a flush is idempotent) and the
#    deployment completes, each outcome recorded once, the effect done once.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
export CUTOVER_EFFECT_LEASE_MS=3000
BAKE=1
saga_setup cache
[ -n "${CUTOVER_REDIS_PORT:-}" ] || { not_ok "the dev stack runs Redis" "CUTOVER_REDIS_* unset"; finish; }
PREFIX="cf:$ENV:"
OTHER="keep:$ENV:"

# rd ARGS... - a command to the dev stack's Redis
rd() { redis-cli -h "${CUTOVER_REDIS_HOST:-127.0.0.1}" -p "$CUTOVER_REDIS_PORT" "$@"; }

# keys_under PREFIX - how many keys the prefix holds
keys_under() { rd --scan --pattern "$1*" | grep -c . || true; }

# fill - 2500 keys under the prefix (more than one SCAN batch), 3 outside it
fill() {
  local i
  for ((i = 1; i <= 2500; i++)); do echo "SET $PREFIX$i v"; done | rd > /dev/null
  rd SET "${OTHER}a" 1 > /dev/null
  rd SET "${OTHER}b" 1 > /dev/null
  rd SET "x${PREFIX}c" 1 > /dev/null
}

# env_with_caches - the saga's environment with the three cache actions; the
# host command waits for $GATES/flush-BUILD and fails when $GATES/fail exists
env_with_caches() {
  saga_env_json | jq --arg gates "$GATES" --arg prefix "$PREFIX" --arg out "$TMP/instances" '
    .timeouts.flush = 120
    | .caches = [
        {name: "object-cache", kind: "redis-prefix", host: (env.CUTOVER_REDIS_HOST // "127.0.0.1"),
         port: (env.CUTOVER_REDIS_PORT | tonumber), prefix: $prefix, timeout_seconds: 60},
        {name: "opcache", kind: "command", on: "instances", timeout_seconds: 60,
         command: ("echo \"$COLOR $VERSION $PORT $(basename $INSTANCE_DIR)\" >> " + $out)},
        {name: "page-cache", kind: "command", on: "host", timeout_seconds: 120,
         command: ("until ls " + $gates + "/flush-* >/dev/null 2>&1; do sleep 0.1; done; " +
                   "echo purged; [ ! -e " + $gates + "/fail ]")}]'
}

# reason BUILD - the deployment's reason
reason() { sql "SELECT reason FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "$ENV" "$1"; }

env_with_caches > "$TMP/env.json"
"$BIN/cutover" env apply "$TMP/env.json" > /dev/null || not_ok "env apply with caches"
saga_release 2.0
saga_release 3.0
start_saga_workers
gate_open all
fill
check_eq "before: 2500 keys under the prefix" 2500 "$(keys_under "$PREFIX")"

# 1. held in the stage by the host command's gate
build_ready b2 2.0
check "validated, the deployment flushes its caches" wait_for 240 eq flushing-caches dep_state b2
check "the object cache's outcome is recorded first" wait_for 120 eq "object-cache:ok opcache:ok" caches_of b2
check_eq "every key under the prefix is gone" 0 "$(keys_under "$PREFIX")"
check_eq "the keys outside it are kept" "1 1 1" \
  "$(rd EXISTS "${OTHER}a") $(rd EXISTS "${OTHER}b") $(rd EXISTS "x${PREFIX}c")"
check_eq "the instance command ran once on each green instance, with its hooks' environment" \
  "green 2.0 green-1|green 2.0 green-2" \
  "$(awk '{ print $1, $2, $4 }' "$TMP/instances" | sort | paste -sd'|')"
check_eq "while flushing, all the traffic is still on blue" "100 0" "$(probe get-weights)"
check_eq "and no weight was asked" "" \
  "$(sql "SELECT string_agg(kind, ' ') FROM effects e JOIN deployments d ON d.id = e.deployment_id
          WHERE d.environment = :'v1' AND d.build_id = 'b2' AND kind = 'set-weights'" "$ENV")"
check "cutover status shows the stage" eval '"$BIN/cutover" status "$ENV" | grep -q flushing-caches'

# 2. the gate opens: the flush ends, then the traffic moves
gate_open flush-b2
check "the deployment completes" wait_for 240 eq completed dep_state b2
check_eq "it went through the cache stage between validation and the first weight" \
  "scaling deploying validating flushing-caches shifting promoted completed" "$(dep_path b2)"
check_eq "the three outcomes, in order" "object-cache:ok opcache:ok page-cache:ok" "$(caches_of b2)"
ID=$(dep_id b2)
check_eq "every outcome was recorded before the first weight change" t \
  "$(sql "SELECT max(c.recorded_at) < (SELECT min(started_at) FROM effects
                WHERE deployment_id = :'v1' AND kind = 'set-weights')
          FROM deployment_caches c WHERE c.deployment_id = :'v1'" "$ID")"
check_eq "the flush-caches effect was done once" "flush-caches:done" \
  "$(sql "SELECT string_agg(kind || ':' || status, ' ') FROM effects
          WHERE deployment_id = :'v1' AND kind = 'flush-caches'" "$ID")"
HIST=$("$BIN/cutover" history "$ENV" --json)
check_eq "history --json: each action's name, kind, status and message" \
  "object-cache redis-prefix ok unlinked 2500 keys under $PREFIX|opcache command ok 2 of 2 instances succeeded|page-cache command ok exit 0" \
  "$(jq -r --arg id "$ID" '.deployments[] | select(.id == $id) | .caches[] | "\(.name) \(.kind) \(.status) \(.message)"' <<< "$HIST" | paste -sd'|')"
check_eq "history --json: the instances of the instance command" "green-1 succeeded|green-2 succeeded" \
  "$(jq -r --arg id "$ID" '.deployments[] | select(.id == $id) | .caches[1].instances[] | "\(.id) \(.state)"' <<< "$HIST" | paste -sd'|')"
check "history --json: each outcome has a duration" \
  eval "jq -e --arg id '$ID' '[.deployments[] | select(.id == \$id) | .caches[] | .duration_ms | numbers] | length == 3' <<< '$HIST' >/dev/null"
check "cutover history shows the outcomes" \
  eval '"$BIN/cutover" history "$ENV" | grep -q "cache page-cache command ok"'

# 3. a failing action: stopped before traffic moves; the validator is
# killed after the third outcome (the failed one) was recorded
fill
touch "$GATES/fail"
stop_workers
for name in "${SAGA_WORKERS[@]}"; do [ "$name" == validator ] || start_worker "$name"; done
start_worker validator CUTOVER_FAULT_POINT=validator-flush-caches-after-call CUTOVER_FAULT_SKIP=2
KILLED=$LAST_WORKER_PID
build_ready b3 3.0
check "the validator dies after the failed outcome was recorded" \
  wait_for 240 eval "! kill -0 $KILLED 2>/dev/null"
start_worker validator
check "a failed flush fails the deployment" wait_for 240 eq failed dep_state b3
check_eq "the stage ran, then failed" "scaling deploying validating flushing-caches failed" "$(dep_path b3)"
check_eq "the outcomes: the failed action last" "object-cache:ok opcache:ok page-cache:failed" "$(caches_of b3)"
check_eq "weights untouched: all the traffic on green" "0 100" "$(probe get-weights)"
check "the new color (blue) is scaled to zero" wait_for 120 eq "0 0 0" probe health blue
check_eq "no weight was ever asked for it" "" \
  "$(sql "SELECT string_agg(kind, ' ') FROM effects e JOIN deployments d ON d.id = e.deployment_id
          WHERE d.environment = :'v1' AND d.build_id = 'b3' AND kind = 'set-weights'" "$ENV")"
check "its reason names the failed action" eval '[[ "$(reason b3)" == *"cache page-cache failed"* ]]'
check "cutover history shows the failed outcome" \
  eval '"$BIN/cutover" history "$ENV" | grep -q "cache page-cache command failed"'
check_eq "green still serves 2.0" "version 2.0 color green" "$(served)"
rm -f "$GATES/fail"

# 4. the validator killed at each crash point of the flush
N=3
for point in before-call after-call before-finish; do
  N=$((N + 1))
  saga_release $N.0
  stop_workers
  start_saga_workers_armed validator flush-caches-$point
  fill
  build_ready b$N $N.0
  saga_crash_resumed validator "$point" b$N
  check_eq "$point: each action recorded once, all ok" "object-cache:ok opcache:ok page-cache:ok" \
    "$(caches_of b$N)"
  check_eq "$point: the prefix is empty" 0 "$(keys_under "$PREFIX")"
  check_eq "$point: the flush-caches effect was claimed twice (the lease ran out) and done once" \
    "2 done" \
    "$(sql "SELECT e.attempts || ' ' || e.status FROM effects e JOIN deployments d ON d.id = e.deployment_id
            WHERE d.environment = :'v1' AND d.build_id = :'v2' AND e.kind = 'flush-caches'" "$ENV" "b$N")"
done
check_eq "no effect done twice, no provider change made twice" "$(printf '0\n0')" "$(effects_twice)"
rd DEL "${OTHER}a" "${OTHER}b" "x${PREFIX}c" > /dev/null
finish
