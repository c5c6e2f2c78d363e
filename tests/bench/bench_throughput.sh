#!/usr/bin/env bash
# bench_throughput - how many deployments and transitions per second the
# saga's workers sustain, against pgbench running a transaction of the same
# shape in the same run.
#
# usage: tests/bench/bench_throughput.sh   (BENCH_ENVS, default 100;
#        BENCH_ROUNDS, default 3; BENCH_PGBENCH_SECONDS, default 10)
#
# The environments run on the plan provider, which answers every call at
# once, so what is measured is cutover itself: the real Kafka broker and
# PostgreSQL of the dev stack and one copy of each worker. Each round
# publishes one blue-green build-ready per environment at once (kcat, one
# batch) and waits until every deployment of the round is completed; the
# transitions table counts what was done. The baseline is pgbench with the
# workers' clients count running, for BENCH_PGBENCH_SECONDS, the skeleton
# of one transition: an inbox insert, a state update, an outbox insert, in
# tables made LIKE the real ones (and dropped after). Numbers, never
# pass/fail.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

ENVS=${BENCH_ENVS:-100}
ROUNDS=${BENCH_ROUNDS:-3}
PGBENCH_SECONDS=${BENCH_PGBENCH_SECONDS:-10}
RUN=$(unique_name tp)
TMP=$(mktemp -d)
trap 'stop_workers; sql "DROP TABLE IF EXISTS bench_inbox, bench_deployments, bench_outbox" >/dev/null 2>&1; rm -rf "$TMP"' EXIT

# env_names - the benchmark's environments, one per line
env_names() { seq -f "$RUN-%g" 1 "$ENVS"; }

# apply_environments - every environment on the plan provider, capacity 1, no bake
apply_environments() {
  local name
  for name in $(env_names); do
    printf '{"name": "%s", "provider": "plan", "capacity": 1, "bake_seconds": 0}\n' "$name" > "$TMP/env.json"
    "$BIN/cutover" env apply "$TMP/env.json" > /dev/null || return 1
  done
}

# publish_round N - one build-ready per environment, as one kcat batch ("key<TAB>value" lines)
publish_round() {
  local name data
  for name in $(env_names); do
    data=$(printf '{"environment":"%s","build_id":"r%s","version":"2.%s","artifact":{"uri":"%s","sha256":"%s"},"strategy":{"kind":"bluegreen","auto_promote":true}}' \
      "$name" "$1" "$1" "$URI_1_0" "$SHA_1_0")
    printf '%s\t%s\n' "$name" "$(cloud_event build-ready "$name" "$data")"
  done > "$TMP/round.txt"
  kcat -P -b "$CUTOVER_KAFKA_BROKERS" -t "${CUTOVER_TOPIC_PREFIX}build-ready" -K $'\t' -l "$TMP/round.txt"
}

# completed N - how many of round N's deployments are completed
completed() {
  sql "SELECT count(*) FROM deployments WHERE environment LIKE :'v1' || '-%' AND build_id = :'v2' AND state = 'completed'" \
    "$RUN" "r$1"
}

# transitions - every transition recorded for the benchmark's environments
transitions() {
  sql "SELECT count(*) FROM transitions t JOIN deployments d ON d.id = t.deployment_id
       WHERE d.environment LIKE :'v1' || '-%'" "$RUN"
}

# pgbench_tps CLIENTS - transactions per second of one transition's skeleton
pgbench_tps() {
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
    sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1
}

# workers_cpu_ms - CPU time (user + system) the workers used so far, in ms
workers_cpu_ms() {
  local pid total=0 tick
  tick=$(getconf CLK_TCK)
  for pid in "${WORKER_PIDS[@]}"; do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo $((total * 1000 / tick))
}

use_test_prefix
saga_release 1.0 > /dev/null
apply_environments || { echo "bench_throughput: env apply failed" >&2; exit 1; }
CUTOVER_ENVIRONMENTS="^$RUN-" start_saga_workers
START=$(date +%s%N)
START_TRANSITIONS=$(transitions)
for round in $(seq 1 "$ROUNDS"); do
  publish_round "$round"
  wait_for 600 eq "$ENVS" completed "$round" ||
    { echo "bench_throughput: round $round: $(completed "$round") of $ENVS completed" >&2; exit 1; }
done
ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
DONE=$(($(transitions) - START_TRANSITIONS))
CPU_MS=$(workers_cpu_ms)
stop_workers
TPS=$(pgbench_tps "${#SAGA_WORKERS[@]}")
awk -v envs="$ENVS" -v rounds="$ROUNDS" -v ms="$ELAPSED_MS" -v tr="$DONE" -v pg="$TPS" -v clients="${#SAGA_WORKERS[@]}" -v cpu="$CPU_MS" 'BEGIN {
  s = ms / 1000; rate = tr / s
  printf "saga throughput on the plan provider (%d environments x %d rounds, one copy of each worker):\n", envs, rounds
  printf "  %-46s %8.1f /s  (%d in %.1f s)\n", "deployments completed", envs * rounds / s, envs * rounds, s
  printf "  %-46s %8.1f /s  (%d transitions)\n", "transitions", rate, tr
  printf "  %-46s %8.2f ms  (%.1f s in all)\n", "workers'"'"' CPU time per transition", cpu / tr, cpu / 1000
  printf "  %-46s %8.1f /s  (%d clients)\n", "baseline: pgbench, one transition'"'"'s skeleton", pg, clients
  printf "  %-46s %8.2f\n", "ratio transitions / pgbench", rate / pg
}'
