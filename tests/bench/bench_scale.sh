#!/usr/bin/env bash
# bench_scale - how cutover's cost grows with the number of environments,
# each with a deployment active: the workers' resident memory, the
# database's size and the time per transition, at each level.
#
# usage: tests/bench/bench_scale.sh   (BENCH_SCALE_LEVELS, default
#        "10 100 1000"; the full run adds 10000)
#
# Levels are cumulative: at each one the environments up to the level are
# created on the plan provider (an instant provider, so that what is
# measured is cutover) and each gets a canary held at 50 % until an
# operator acts, so every environment has a deployment active while the
# next level is added. Per level: ms per transition of the level's batch
# (wall clock over the transitions recorded), each worker's resident set,
# the database's size and its growth per environment. Linear growth shows
# as flat per-environment figures. Numbers, never pass/fail.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/bench/bench_lib.sh"

LEVELS=${BENCH_SCALE_LEVELS:-10 100 1000}
RUN=$(unique_name sc)
TMP=$(mktemp -d)
trap 'stop_workers; rm -rf "$TMP"' EXIT
HELD='{"kind":"canary","steps":[{"weight":50,"pause_seconds":null}],"auto_promote":true}'

db_kb() { sql "SELECT pg_database_size(current_database()) / 1024"; }

use_test_prefix
poll_open
saga_release 1.0 > /dev/null
CUTOVER_ENVIRONMENTS="^$RUN-" start_saga_workers
sleep 5 # the workers settle: subscribed, idle
BASE_DB=$(db_kb)
echo "scale on the plan provider (one copy of each worker; a canary held at 50 % in every environment):"
echo "  idle: database $BASE_DB KB; workers (KB) $(workers_rss)"
printf '  %8s %10s %12s %14s  %s\n' environments "ms/trans." "database KB" "KB per env." "workers' resident set (KB)"
done_envs=0
for level in $LEVELS; do
  plan_environments $((done_envs + 1)) "$level" || { echo "bench_scale: env apply failed" >&2; exit 1; }
  before=$(run_transitions)
  start=$(date +%s%N)
  publish_builds $((done_envs + 1)) "$level" held "$HELD"
  wait_for $((600 + level / 5)) eq "$level" run_deployments held shifting ||
    { echo "bench_scale: $(run_deployments held shifting) of $level held" >&2; exit 1; }
  ms=$((($(date +%s%N) - start) / 1000000))
  trans=$(($(run_transitions) - before))
  db=$(db_kb)
  awk -v n="$level" -v ms="$ms" -v t="$trans" -v db="$db" -v base="$BASE_DB" -v rss="$(workers_rss)" \
    'BEGIN { printf "  %8d %10.2f %12d %14.1f  %s\n", n, ms / t, db, (db - base) / n, rss }'
  done_envs=$level
done
