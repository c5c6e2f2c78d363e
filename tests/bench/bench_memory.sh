#!/usr/bin/env bash
# bench_memory - each worker's resident set idle and as the records it has
# handled grow to BENCH_MEMORY_RECORDS, so that growth past a bound shows.
#
# usage: tests/bench/bench_memory.sh   (BENCH_MEMORY_RECORDS, default
#        10000; BENCH_MEMORY_ENVS, default 200; BENCH_MEMORY_EVERY,
#        default 1000: a line each time so many more records are handled)
#
# The environments run on the plan provider (an instant provider), one copy
# of each worker. A round publishes, to every environment at once, one
# blue-green build-ready (the scaler, deployer, validator and shifter each
# handle one record of its deployment; the rollbacker takes green-validated
# too) and one alarm-fired OK (the rollbacker records it in the
# deployment's history), and waits until each
# deployment of the round is completed and each alarm is in the
# rollbacker's inbox. The count of records handled is read from the inbox
# (one row per record a worker took). Lines: records handled by each worker,
# then each worker's resident set and its anonymous part (heap, stacks,
# arenas: what a leak would grow), in KB. The migrator consumes no topic:
# it shows what a worker holds with no records at all. Numbers, never
# pass/fail.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/bench/bench_lib.sh"

RECORDS=${BENCH_MEMORY_RECORDS:-10000}
ENVS=${BENCH_MEMORY_ENVS:-200}
EVERY=${BENCH_MEMORY_EVERY:-1000}
RUN=$(unique_name mem)
TMP=$(mktemp -d)
trap 'stop_workers; rm -rf "$TMP"' EXIT
BLUEGREEN='{"kind":"bluegreen","auto_promote":true}'

# publish_alarms_ok ROUND - one alarm-fired OK per environment, one kcat batch
publish_alarms_ok() {
  local i data
  for i in $(seq 1 "$ENVS"); do
    data=$(printf '{"environment":"%s-%d","alarm":"bench-%s","state":"OK","severity":"info","reason":"bench round %s","source":"bench"}' \
      "$RUN" "$i" "$1" "$1")
    printf '%s-%d\t%s\n' "$RUN" "$i" "$(cloud_event alarm-fired "$RUN-$i" "$data")"
  done > "$TMP/alarms.txt"
  kcat -P -b "$CUTOVER_KAFKA_BROKERS" -t "${CUTOVER_TOPIC_PREFIX}alarm-fired" -K $'\t' -l "$TMP/alarms.txt"
}

# handled NAME [TYPE] - records of the run (of TYPE, default any) that worker
# NAME took: its inbox rows
handled() {
  poll_sql "SELECT count(*) FROM inbox WHERE consumer = :'v1' AND subject LIKE :'v2' || '-%'
       AND type LIKE :'v3'" "$1" "$RUN" "${2:-%}"
}

# memory_line LABEL - the label, then each worker's "name=RSS/anonymous" in KB
memory_line() {
  local pid line="" name
  for pid in "${WORKER_PIDS[@]}"; do
    name=$(tr '\0' '\n' < "/proc/$pid/cmdline" | head -1 | sed 's|.*/cutover-||')
    line+=$(awk -v n="$name" '/^Rss:/ { r = $2 } /^Anonymous:/ { a = $2 } END { printf " %s=%d/%d", n, r, a }' \
      "/proc/$pid/smaps_rollup")
  done
  printf '  %-22s%s\n' "$1" "$line"
}

# round N - one build-ready and one alarm OK per environment, waited for
round() {
  local want=$(($1 * ENVS))
  publish_builds 1 "$ENVS" "m$1" "$BLUEGREEN"
  wait_for 900 eq "$ENVS" run_deployments "m$1" completed ||
    { echo "bench_memory: round $1: $(run_deployments "m$1" completed) of $ENVS completed" >&2; return 1; }
  publish_alarms_ok "$1"
  wait_for 900 eq "$want" handled rollbacker cutover.alarm-fired ||
    { echo "bench_memory: round $1: $(handled rollbacker cutover.alarm-fired) of $want alarms handled" >&2; return 1; }
}

use_test_prefix
poll_open
saga_release 1.0 > /dev/null
plan_environments 1 "$ENVS" || { echo "bench_memory: env apply failed" >&2; exit 1; }
CUTOVER_ENVIRONMENTS="^$RUN-" start_saga_workers
sleep 5 # the workers settle: subscribed, idle
echo "resident set of each worker (KB, resident/anonymous) as records are handled" \
  "($ENVS environments on the plan provider, one copy of each worker, load $(cut -d' ' -f1-3 /proc/loadavg)):"
memory_line "idle"
next=$EVERY
for n in $(seq 1 $(((RECORDS + ENVS - 1) / ENVS))); do
  round "$n" || exit 1
  if [ $((n * ENVS)) -ge "$next" ]; then
    memory_line "$(handled scaler) records"
    next=$((next + EVERY))
  fi
done
echo "  records handled: scaler $(handled scaler), deployer $(handled deployer)," \
  "validator $(handled validator), shifter $(handled shifter), rollbacker $(handled rollbacker);" \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"
