# tests/lib.sh - helpers for cutover's integration tests (sourced, bash).
#
# Tests print TAP lines through ok/not_ok/check; tests/run counts them.
# Waiting is always polling with a deadline (wait_for), never a guessed sleep.
# Each test gets its own topic prefix, consumer groups and environment
# names (unique_name), so tests never see each other's records.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OPS_DIR=$TOP/ops
# shellcheck source=ops/lib.sh
source "$OPS_DIR/lib.sh" # port_range_pick, slot_processes_stop
BUILD=${BUILD:-build}
BIN="$TOP/$BUILD/bin"
LOGDIR=${TEST_LOGDIR:-$TOP/.run/test-logs}
mkdir -p "$LOGDIR"
TEST_FAILURES=0
WORKER_PIDS=()

# ok NAME / not_ok NAME [DETAIL] - one TAP line
ok() { echo "ok - $1"; }
not_ok() {
  echo "not ok - $1"
  [ $# -gt 1 ] && echo "# $2"
  TEST_FAILURES=$((TEST_FAILURES + 1))
  return 0
}

# check NAME CMD... - ok when CMD succeeds
check() {
  local name=$1
  shift
  if "$@"; then ok "$name"; else not_ok "$name" "command failed: $*"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
  if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "expected '$2', got '$3'"; fi
}

# eq EXPECTED CMD... - CMD prints EXPECTED (for wait_for: CMD runs on each poll)
eq() { [ "$("${@:2}")" == "$1" ]; }

# gt N CMD... - CMD prints a number greater than N
gt() { [ "$("${@:2}")" -gt "$1" ]; }

# wait_for SECONDS CMD... - poll CMD every 100 ms until it succeeds or time runs out
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  while [ $SECONDS -lt $deadline ]; do
    "$@" 2>/dev/null && return 0
    sleep 0.1
  done
  "$@"
}

# unique_name PREFIX - a name no other test run uses
unique_name() { echo "$1-$(date +%s%N | tail -c 9)$RANDOM"; }

# use_test_prefix - a fresh topic prefix and consumer group prefix for this test
use_test_prefix() {
  export CUTOVER_TOPIC_PREFIX
  CUTOVER_TOPIC_PREFIX="$(unique_name t)."
  export CUTOVER_GROUP_PREFIX="${CUTOVER_TOPIC_PREFIX%.}"
  "$BIN/cutover" topics create > /dev/null
}

# sql QUERY [ARGS...] - one value or rows, unaligned; ARGS bind as psql variables :'v1', ...
sql() {
  local query=$1 i=1 vars=()
  shift
  for a in "$@"; do vars+=(-v "v$i=$a"); i=$((i + 1)); done
  psql "$CUTOVER_DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 "${vars[@]}" <<< "$query"
}

# publish TOPIC KEY VALUE [HEADER...] - one record through kcat (an independent client)
publish() {
  local topic=$1 key=$2 value=$3 hdrs=()
  shift 3
  for h in "$@"; do hdrs+=(-H "$h"); done
  printf '%s' "$value" | kcat -P -b "$CUTOVER_KAFKA_BROKERS" -t "${CUTOVER_TOPIC_PREFIX}$topic" \
    -k "$key" "${hdrs[@]}"
}

# publish_file TOPIC KEY FILE [HEADER...] - a record whose value is a file's bytes
publish_file() {
  local topic=$1 key=$2 file=$3 hdrs=()
  shift 3
  for h in "$@"; do hdrs+=(-H "$h"); done
  kcat -P -b "$CUTOVER_KAFKA_BROKERS" -t "${CUTOVER_TOPIC_PREFIX}$topic" -k "$key" \
    "${hdrs[@]}" -X message.max.bytes=16000000 "$file"
}

# consume TOPIC - every record's value on the topic so far, one per line
consume() {
  kcat -C -b "$CUTOVER_KAFKA_BROKERS" -t "${CUTOVER_TOPIC_PREFIX}$1" -o beginning -e -q \
    -f '%s\n' 2>/dev/null
}

# topic_count TOPIC - how many records the topic holds
topic_count() { consume "$1" | grep -c . || true; }

# cloud_event TYPE SUBJECT DATA [ID] - a structured-mode CloudEvent; its
# source and time are EVENT_SOURCE and EVENT_TIME when set (a batch sets
# them once, so that an event costs no process of its own)
cloud_event() {
  local id=${4:-$(unique_name id)}
  printf '{"specversion":"1.0","id":"%s","source":"tests/%s","type":"cutover.%s","subject":"%s","time":"%s","datacontenttype":"application/json","data":%s}' \
    "$id" "${EVENT_SOURCE:-$(basename "$0" .sh)}" "$1" "$2" \
    "${EVENT_TIME:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}" "$3"
}

# start_worker NAME [ENV=VALUE...] - run cutover-NAME in the background, logging to LOGDIR;
# it performs the effects and timers of this test's environment ($ENV) only,
# so that what another test left behind is never touched
start_worker() {
  local name=$1 scope=${CUTOVER_ENVIRONMENTS:-}
  shift
  [ -z "$scope" ] && [ -n "${ENV:-}" ] && scope="^$ENV\$"
  env CUTOVER_ENVIRONMENTS="${scope:-.*}" "$@" "$BIN/cutover-$name" \
    >> "$LOGDIR/worker-$name.log" 2>&1 &
  WORKER_PIDS+=($!)
  LAST_WORKER_PID=$!
}

# stop_workers - SIGTERM every worker this test started, and wait for them
stop_workers() {
  local pid
  for pid in "${WORKER_PIDS[@]+"${WORKER_PIDS[@]}"}"; do kill "$pid" 2>/dev/null; done
  for pid in "${WORKER_PIDS[@]+"${WORKER_PIDS[@]}"}"; do wait "$pid" 2>/dev/null; done
  WORKER_PIDS=()
}

# finish - stop workers and exit with the test's status
finish() {
  stop_workers
  [ "$TEST_FAILURES" -eq 0 ]
  exit $?
}
trap stop_workers EXIT
