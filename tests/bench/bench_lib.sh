# tests/bench/bench_lib.sh - helpers for the benchmarks that drive many
# environments on the plan provider (sourced after tests/lib.sh and
# tests/saga_lib.sh, bash): environments named "$RUN-N", build-ready
# batches published through kcat at once, what the run's deployments and
# transitions are (read through one psql session, poll_open), and the
# workers' and the machine's CPU time and resident memory. Needs RUN, TMP
# and a release built with saga_release 1.0.

# plan_environments FIRST LAST - environments RUN-FIRST..RUN-LAST on the plan provider
plan_environments() {
  local i
  for i in $(seq "$1" "$2"); do
    printf '{"name": "%s-%d", "provider": "plan", "capacity": 1, "bake_seconds": 0}\n' "$RUN" "$i" \
      > "$TMP/env.json"
    "$BIN/cutover" env apply "$TMP/env.json" > /dev/null || return 1
  done
}

# publish_builds_for BUILD STRATEGY N... - one build-ready for each
# environment RUN-N, as one kcat batch ("key<TAB>value" lines). The batch
# is written without a process per event: the date, basename and
# subshells of one cloud_event call per event took 22 % of this 2-core
# machine's samples in a profile, and 29 % of its CPU per transition,
# from what the benchmark measures.
publish_builds_for() {
  local build=$1 strategy=$2 i data
  local EVENT_SOURCE EVENT_TIME
  EVENT_SOURCE=$(basename "$0" .sh)
  EVENT_TIME=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  shift 2
  for i in "$@"; do
    printf -v data '{"environment":"%s-%d","build_id":"%s","version":"2.0","artifact":{"uri":"%s","sha256":"%s"},"strategy":%s}' \
      "$RUN" "$i" "$build" "$URI_1_0" "$SHA_1_0" "$strategy"
    printf '%s-%d\t' "$RUN" "$i"
    cloud_event build-ready "$RUN-$i" "$data" "$RUN-$i-$build"
    printf '\n'
  done > "$TMP/batch.txt"
  kcat -P -b "$CUTOVER_KAFKA_BROKERS" -t "${CUTOVER_TOPIC_PREFIX}build-ready" -K $'\t' -l "$TMP/batch.txt"
}

# publish_builds FIRST LAST BUILD STRATEGY - one build-ready per environment
# FIRST..LAST, as one kcat batch
publish_builds() {
  publish_builds_for "$3" "$4" $(seq "$1" "$2")
}

# poll_open - one psql session for the polls of a run (poll_sql). A psql
# started for each poll cost about 33 ms of CPU here (its start, its
# login, a backend's fork): at 10 polls a second, a sixth of this 2-core
# machine, taken from what the benchmark measures. A query in the open
# session costs about 0.2 ms. The session ends with the script.
poll_open() {
  coproc POLL_PSQL { psql "$CUTOVER_DATABASE_URL" -X -q -A -t 2>&1; }
  exec {POLL_IN}>&"${POLL_PSQL[1]}" {POLL_OUT}<&"${POLL_PSQL[0]}"
}

# RUN_ENVIRONMENTS - a condition on environment: one of the run's ("$RUN-N",
# RUN bound as :'v1'). A range, not LIKE: the deployments' indexes on
# environment answer it (LIKE with a prefix needs the C collation), where
# LIKE read the whole table, every run's deployments: at 60,000 rows the
# poll took 90 ms ten times a second, half a core taken from what the
# benchmark measures, and more with every run.
RUN_ENVIRONMENTS="environment >= :'v1' || '-' AND environment < :'v1' || '.'"

# poll_sql QUERY [VALUE...] - QUERY's output in the poll session (psql's
# unaligned rows), the values bound as :'v1', :'v2'... as sql() binds
# them; an error prints its message, never a number
poll_sql() {
  local query=$1 i=1 a line
  shift
  for a in "$@"; do
    printf "\\set v%d '%s'\n" "$i" "${a//\'/\'\'}" >&"$POLL_IN"
    i=$((i + 1))
  done
  printf '%s;\n\\echo poll-end\n' "$query" >&"$POLL_IN"
  while read -r -t 60 line <&"$POLL_OUT"; do
    [ "$line" = poll-end ] && break
    echo "$line"
  done
}

# run_deployments BUILD STATE - how many of the run's deployments of BUILD are in STATE
run_deployments() {
  poll_sql "SELECT count(*) FROM deployments WHERE $RUN_ENVIRONMENTS AND build_id = :'v2' AND state = :'v3'" \
    "$RUN" "$1" "$2"
}

# run_transitions - every transition recorded for the run's environments
run_transitions() {
  poll_sql "SELECT count(*) FROM transitions t JOIN deployments d ON d.id = t.deployment_id
       WHERE d.$RUN_ENVIRONMENTS" "$RUN"
}

# workers_cpu_ms - CPU time (user + system) the workers used so far, in ms
workers_cpu_ms() {
  local pid total=0
  for pid in "${WORKER_PIDS[@]}"; do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo $((total * 1000 / $(getconf CLK_TCK)))
}

# workers_rss - "name=KB" of each worker's resident set, on one line
workers_rss() {
  local pid
  for pid in "${WORKER_PIDS[@]}"; do
    printf '%s=%s ' "$(tr '\0' '\n' < "/proc/$pid/cmdline" | head -1 | sed 's|.*/cutover-||')" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")"
  done
  echo
}

# cpu_snapshot - "name ticks" lines: the machine's busy CPU time ("machine",
# user + nice + system + irq + softirq, from /proc/stat) and the CPU time of
# the processes alive now, summed by name ("postgres", "java" for the
# broker; the workers' own is workers_cpu_ms, by pid). A process that
# starts and exits between two snapshots (pgbench's backends, kcat) is
# counted only in "machine".
cpu_snapshot() {
  awk '/^cpu / { print "machine", $2 + $3 + $4 + $7 + $8 }' /proc/stat
  cat /proc/[0-9]*/stat 2> /dev/null | # cat reads on past a process gone since the glob
    awk '{ line = $0; sub(/^[^(]*\(/, "", line); name = line; sub(/\).*/, "", name)
           sub(/^.*\) /, "", line); split(line, f, " "); cpu[name] += f[12] + f[13] }
         END { for (n in cpu) print n, cpu[n] }'
}

# cpu_per_item BEFORE AFTER ITEMS - from two cpu_snapshot files, ms of CPU
# per item: "machine=X postgres=Y broker=Z", the machine's figure counting
# everything that ran, the benchmark's own polls included
cpu_per_item() {
  awk -v items="$3" -v hz="$(getconf CLK_TCK)" '
    FNR == NR { before[$1] = $2; next }
    { used = $2 - before[$1]; if (used < 0) used = 0
      if ($1 == "machine") m += used; else if ($1 == "postgres") pg += used
      else if ($1 == "java") broker += used }
    END { k = 1000 / hz / items
          printf "machine=%.2f postgres=%.2f broker=%.2f\n", m * k, pg * k, broker * k }' "$1" "$2"
}
