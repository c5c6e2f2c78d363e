#!/usr/bin/env bash
# bench_throughput - how many deployments and transitions per second the
# saga's workers sustain, against pgbench running a transaction of the same
# shape in the same run.
#
# usage: tests/bench/bench_throughput.sh   (BENCH_ENVS, default 100;
#        BENCH_THROUGHPUT_ROUNDS, default 3; BENCH_PGBENCH_SECONDS, default 10;
#        BENCH_COPIES, copies of each worker, default 1; BENCH_SUSTAINED=1:
#        each environment's deployments back to back, not in rounds)
#
# The environments run on the plan provider, which answers every call at
# once, so what is measured is cutover itself: the real Kafka broker and
# PostgreSQL of the dev stack and BENCH_COPIES copies of each worker (the
# topics have 3 partitions; effects are shared through their claim). Each round
# publishes one blue-green build-ready per environment at once (kcat, one
# batch) and waits until every deployment of the round is completed. A
# round's last deployments leave the machine partly idle; with
# BENCH_SUSTAINED=1 there are no rounds: each environment gets its next
# build-ready as soon as its deployment before completed, so that the
# workers never wait for the slowest environment. The transitions table
# counts what was done. The baseline is pgbench with the
# workers' clients count running, for BENCH_PGBENCH_SECONDS, the skeleton
# of one transition: an inbox insert, a state update, an outbox insert, in
# tables made LIKE the real ones (and dropped after). Both are also
# measured in the machine's CPU time (bench_lib.sh, cpu_snapshot): per
# transition, and the rate the machine's cores would reach at that cost.
# Numbers, never pass/fail.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/bench/bench_lib.sh"

ENVS=${BENCH_ENVS:-100}
COPIES=${BENCH_COPIES:-1}
ROUNDS=${BENCH_THROUGHPUT_ROUNDS:-3}
SUSTAINED=${BENCH_SUSTAINED:-0}
PGBENCH_SECONDS=${BENCH_PGBENCH_SECONDS:-10}
RUN=$(unique_name tp)
TMP=$(mktemp -d)
trap 'stop_workers; sql "DROP TABLE IF EXISTS bench_inbox, bench_deployments, bench_outbox" >/dev/null 2>&1; rm -rf "$TMP"' EXIT

# pgbench_run CLIENTS - "TPS TRANSACTIONS" of one transition's skeleton
pgbench_run() {
  sql "DROP TABLE IF EXISTS bench_inbox, bench_deployments, bench_outbox;
       CREATE TABLE bench_inbox (LIKE inbox INCLUDING ALL);
       CREATE TABLE bench_outbox (LIKE outbox INCLUDING ALL);
       CREATE TABLE bench_deployments (n integer PRIMARY KEY, state text NOT NULL, epoch bigint NOT NULL,
                                       updated_at timestamptz NOT NULL DEFAULT now());
       INSERT INTO bench_deployments (n, state, epoch) SELECT g, 'received', 1 FROM generate_series(1, $ENVS) g;" \
    > /dev/null 2>&1
  cat > "$TMP/transition.sql" <<EOF
\set d random(1, $ENVS)
BEGIN;
INSERT INTO bench_inbox (source, id, type, subject, topic, partition, "offset", consumer)
  VALUES ('bench', md5(random()::text), 'cutover.scaled', 'env-:d', 'scaled', 0, :d, 'scaler');
UPDATE bench_deployments SET state = 'deploying', epoch = epoch + 1, updated_at = now() WHERE n = :d;
INSERT INTO bench_outbox (topic, key, value)
  VALUES ('deployment-status', 'env-:d', repeat('x', 600));
COMMIT;
EOF
  pgbench -n -c "$1" -j 2 -T "$PGBENCH_SECONDS" -f "$TMP/transition.sql" "$CUTOVER_DATABASE_URL" 2>/dev/null |
    awk '/^number of transactions actually processed:/ { n = $NF } /^tps = / && !tps { tps = $3 }
         END { print tps + 0, n + 0 }'
}

BLUEGREEN='{"kind":"bluegreen","auto_promote":true}'

# run_rounds - ROUNDS rounds one after another, each a build-ready in
# every environment at once, the next when all of them completed
run_rounds() {
  local round
  for round in $(seq 1 "$ROUNDS"); do
    publish_builds 1 "$ENVS" "r$round" "$BLUEGREEN"
    wait_for 900 eq "$ENVS" run_deployments "r$round" completed ||
      { echo "bench_throughput: round $round: $(run_deployments "r$round" completed) of $ENVS completed" >&2; return 1; }
  done
}

# run_completed_rounds - "N|ROUND": the last round completed in RUN-N
run_completed_rounds() {
  poll_sql "SELECT substr(environment, length(:'v1') + 2), max(substr(build_id, 2)::int) FROM deployments
            WHERE $RUN_ENVIRONMENTS AND state = 'completed' GROUP BY environment" "$RUN"
}

# run_sustained - ROUNDS deployments in each environment back to back:
# an environment's next build-ready goes out once its deployment before
# completed (sooner, it would supersede it: DESIGN.md 4), with no wait
# for the other environments
run_sustained() {
  local -A published=() due=()
  local i n round finished=0 deadline=$((SECONDS + 900))
  publish_builds 1 "$ENVS" r1 "$BLUEGREEN"
  for i in $(seq 1 "$ENVS"); do published[$i]=1; done
  while [ "$finished" -lt "$ENVS" ]; do
    [ $SECONDS -lt $deadline ] ||
      { echo "bench_throughput: $finished of $ENVS environments completed $ROUNDS rounds" >&2; return 1; }
    sleep 0.1
    finished=0
    due=()
    while IFS='|' read -r n round; do
      [ -n "$n" ] || continue
      [ "$round" -lt "$ROUNDS" ] || { finished=$((finished + 1)); continue; }
      if [ "$round" -eq "${published[$n]}" ]; then
        published[$n]=$((round + 1))
        due[$((round + 1))]+=" $n"
      fi
    done <<< "$(run_completed_rounds)"
    for round in "${!due[@]}"; do
      publish_builds_for "r$round" "$BLUEGREEN" ${due[$round]}
    done
  done
}

use_test_prefix
poll_open
saga_release 1.0 > /dev/null
plan_environments 1 "$ENVS" || { echo "bench_throughput: env apply failed" >&2; exit 1; }
for _ in $(seq 1 "$COPIES"); do CUTOVER_ENVIRONMENTS="^$RUN-" start_saga_workers; done
sleep 5 # the workers settle: subscribed, idle
IDLE_RSS=$(workers_rss)
START=$(date +%s%N)
START_TRANSITIONS=$(run_transitions)
cpu_snapshot > "$TMP/cpu.before"
CPU_MS_BEFORE=$(workers_cpu_ms)
if [ "$SUSTAINED" = 1 ]; then run_sustained || exit 1; else run_rounds || exit 1; fi
ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
cpu_snapshot > "$TMP/cpu.after"
DONE=$(($(run_transitions) - START_TRANSITIONS))
CPU_MS=$(($(workers_cpu_ms) - CPU_MS_BEFORE)) # during the run, not their start
SAGA_CPU=$(cpu_per_item "$TMP/cpu.before" "$TMP/cpu.after" "$DONE")
BUSY_RSS=$(workers_rss)
CLIENTS=${#WORKER_PIDS[@]} # pgbench gets as many clients as there are workers
stop_workers
cpu_snapshot > "$TMP/cpu.before"
read -r TPS PGBENCH_DONE <<< "$(pgbench_run "$CLIENTS")"
cpu_snapshot > "$TMP/cpu.after"
PGBENCH_CPU=$(cpu_per_item "$TMP/cpu.before" "$TMP/cpu.after" "$((PGBENCH_DONE > 0 ? PGBENCH_DONE : 1))")
CORES=$(nproc)
awk -v sustained="$SUSTAINED" -v cores="$CORES" -v saga_cpu="$SAGA_CPU" -v pg_cpu="$PGBENCH_CPU" -v envs="$ENVS" -v rounds="$ROUNDS" -v ms="$ELAPSED_MS" -v tr="$DONE" -v pg="$TPS" -v clients="$CLIENTS" -v cpu="$CPU_MS" -v copies="$COPIES" 'BEGIN {
  s = ms / 1000; rate = tr / s
  printf "saga throughput on the plan provider (%d environments x %d %s, %d cop%s of each worker):\n", envs, rounds, sustained ? "deployments back to back" : "rounds", copies, copies == 1 ? "y" : "ies"
  printf "  %-46s %8.1f /s  (%d in %.1f s)\n", "deployments completed", envs * rounds / s, envs * rounds, s
  printf "  %-46s %8.1f /s  (%d transitions)\n", "transitions", rate, tr
  printf "  %-46s %8.2f ms  (%.1f s in all)\n", "workers'"'"' CPU time per transition", cpu / tr, cpu / 1000
  printf "  %-46s %8.1f /s  (%d clients)\n", "baseline: pgbench, one transition'"'"'s skeleton", pg, clients
  printf "  %-46s %8.2f\n", "ratio transitions / pgbench", rate / pg
  split(saga_cpu, sc, /[ =]/); split(pg_cpu, pc, /[ =]/)
  printf "  machine CPU per transition (ms, all processes):  %s\n", saga_cpu
  printf "  machine CPU per pgbench transaction (ms):        machine=%s (its backends come and go: only the machine counts them)\n", pc[2]
  if (sc[2] > 0 && pc[2] > 0)
    printf "  %-46s %8.1f /s  (pgbench at its cost: %.1f /s)\n", "ceiling of " cores " cores at that cost", cores * 1000 / sc[2], cores * 1000 / pc[2]
}'
echo "  resident set of each worker, idle (KB):            $IDLE_RSS"
echo "  resident set after $DONE transitions (KB): $BUSY_RSS"
