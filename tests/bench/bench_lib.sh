# tests/bench/bench_lib.sh - helpers for the benchmarks that drive many
# environments on the plan provider (sourced after tests/lib.sh and
# tests/saga_lib.sh, bash): environments named "$RUN-N", build-ready
# batches published through kcat at once, what the run's deployments and
# transitions are, and the workers' CPU time and resident memory. Needs
# RUN, TMP and a release built with saga_release 1.0.

# plan_environments FIRST LAST - environments RUN-FIRST..RUN-LAST on the plan provider
plan_environments() {
  local i
  for i in $(seq "$1" "$2"); do
    printf '{"name": "%s-%d", "provider": "plan", "capacity": 1, "bake_seconds": 0}\n' "$RUN" "$i" \
      > "$TMP/env.json"
    "$BIN/cutover" env apply "$TMP/env.json" > /dev/null || return 1
  done
}

# publish_builds FIRST LAST BUILD STRATEGY - one build-ready per environment
# FIRST..LAST, as one kcat batch ("key<TAB>value" lines)
publish_builds() {
  local i data
  for i in $(seq "$1" "$2"); do
    data=$(printf '{"environment":"%s-%d","build_id":"%s","version":"2.0","artifact":{"uri":"%s","sha256":"%s"},"strategy":%s}' \
      "$RUN" "$i" "$3" "$URI_1_0" "$SHA_1_0" "$4")
    printf '%s-%d\t%s\n' "$RUN" "$i" "$(cloud_event build-ready "$RUN-$i" "$data")"
  done > "$TMP/batch.txt"
  kcat -P -b "$CUTOVER_KAFKA_BROKERS" -t "${CUTOVER_TOPIC_PREFIX}build-ready" -K $'\t' -l "$TMP/batch.txt"
}

# run_deployments BUILD STATE - how many of the run's deployments of BUILD are in STATE
run_deployments() {
  sql "SELECT count(*) FROM deployments WHERE environment LIKE :'v1' || '-%' AND build_id = :'v2' AND state = :'v3'" \
    "$RUN" "$1" "$2"
}

# run_transitions - every transition recorded for the run's environments
run_transitions() {
  sql "SELECT count(*) FROM transitions t JOIN deployments d ON d.id = t.deployment_id
       WHERE d.environment LIKE :'v1' || '-%'" "$RUN"
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
