# tests/chaos/report.sh - the chaos soak's report (sourced by tests/chaos/run,
# bash): $CHAOS_DIR/report.json and $CHAOS_DIR/SUMMARY.md from the run's
# files (expected.tsv, settled.tsv, kills.tsv, restarts.tsv, hang.tsv,
# violations.tsv) and the database.
#
# The slowest recovery is the longest time from a kill, a restart's end or
# the hang's end to the next transition any deployment of the soak made:
# how long the saga stood still after a blow.

# tsv_json FILE FIELDS... - a TSV file as a JSON array of objects with FIELDS
tsv_json() {
  local file=$1
  shift
  [ -s "$file" ] || { echo '[]'; return 0; }
  jq -R -s --args 'split("\n") | map(select(length > 0) | split("\t")) as $rows
    | $ARGS.positional as $f | [$rows[] | [$f, .] | transpose | map({(.[0]): .[1]}) | add]' "$@" < "$file"
}

# blows - "time what" of every kill, restart end and the hang's end
blows() {
  [ -s "$CHAOS_DIR/kills.tsv" ] && awk -F'\t' '{ print $1, "kill " $2 " (" $3 ")" }' "$CHAOS_DIR/kills.tsv"
  [ -s "$CHAOS_DIR/restarts.tsv" ] && awk -F'\t' '{ print $3, "restart " $1 }' "$CHAOS_DIR/restarts.tsv"
  [ -s "$CHAOS_DIR/hang.tsv" ] && awk -F'\t' '{ print $3, "Runtime API hang" }' "$CHAOS_DIR/hang.tsv"
  return 0
}

# slowest_recovery - {"seconds": S, "after": WHAT}: the longest wait for a next transition
slowest_recovery() {
  local at
  at=$(sql "SELECT string_agg(extract(epoch FROM t.at)::text, ' ' ORDER BY t.at) FROM transitions t
            JOIN deployments d ON d.id = t.deployment_id WHERE d.environment ~ :'v1'" "$CUTOVER_ENVIRONMENTS")
  blows | sort -n | awk -v at="$at" '
    BEGIN { n = split(at, t, " ") }
    { while (i < n && t[i + 1] <= $1) i++
      if (i < n && t[i + 1] - $1 > best) { best = t[i + 1] - $1; what = substr($0, index($0, " ") + 1) } }
    END { printf "{\"seconds\": %.3f, \"after\": \"%s\"}\n", best, what }'
}

# report_json - the whole report
report_json() {
  jq -n --argjson ends "$(tsv_json "$CHAOS_DIR/settled.tsv" environment build state seconds)" \
    --argjson expected "$(tsv_json "$CHAOS_DIR/expected.tsv" environment build state)" \
    --argjson kills "$(tsv_json "$CHAOS_DIR/kills.tsv" at worker point)" \
    --argjson restarts "$(tsv_json "$CHAOS_DIR/restarts.tsv" service started ended result)" \
    --argjson hang "$(tsv_json "$CHAOS_DIR/hang.tsv" environment started ended)" \
    --argjson violations "$(tsv_json "$CHAOS_DIR/violations.tsv" at invariant environment detail)" \
    --argjson recovery "$(slowest_recovery)" --argjson samples "$(wc -l < "$CHAOS_DIR/samples.log")" \
    --argjson stale "$(stale_effects)" --argjson seconds "$CHAOS_SECONDS" --arg scale "$CHAOS_SCALE" --argjson timeouts "$(hang_timeouts)" '{
      scale: ($scale | tonumber), seconds: $seconds,
      environments: ($expected | map(.environment) | unique | length),
      deployments: ($expected | length),
      by_end_state: ($ends | group_by(.state) | map({(.[0].state): length}) | add // {}),
      by_expected_state: ($expected | group_by(.state) | map({(.[0].state): length}) | add // {}),
      kills: ($kills | length),
      kills_by_worker: ($kills | group_by(.worker) | map({(.[0].worker): length}) | add // {}),
      kills_by_point: ($kills | group_by(.worker + " " + .point) | map({(.[0].worker + " " + .[0].point): length}) | add // {}),
      restarts: $restarts, runtime_api_hang: ($hang | map(. + {provider_timeouts: $timeouts})),
      invariant_samples: $samples, violations: $violations, violation_count: ($violations | length),
      stale_effects_left_running: $stale, slowest_recovery: $recovery}'
}

# hang_timeouts - how many Runtime API commands the relay held unanswered
hang_timeouts() { if [ -s "$CHAOS_DIR/held.tsv" ]; then wc -l < "$CHAOS_DIR/held.tsv"; else echo 0; fi; }

# summary_md REPORT - the Markdown summary of a report.json
summary_md() {
  jq -r '
    def rows(o): o | to_entries | sort_by(-.value) | map("| \(.key) | \(.value) |") | join("\n");
    "# Chaos soak\n",
    "\(.deployments) deployments across \(.environments) environments in \(.seconds) s (CHAOS_SCALE \(.scale)); \(.invariant_samples) invariant samples.\n",
    "**Invariant violations: \(.violation_count)**\n",
    "## Deployments by end state\n\n| state | count |\n|---|---|", rows(.by_end_state), "",
    "## Kills (\(.kills))\n\n| worker | kills |\n|---|---|", rows(.kills_by_worker), "",
    "| worker and what it had in flight | kills |\n|---|---|", rows(.kills_by_point), "",
    "## Restarts\n\n| service | took (s) | result |\n|---|---|---|",
    (.restarts | map("| \(.service) | \((.ended | tonumber) - (.started | tonumber) | . * 10 | round / 10) | \(.result) |") | join("\n")), "",
    "## Runtime API hang\n",
    (.runtime_api_hang | map("\(.environment) frozen \((.ended | tonumber) - (.started | tonumber) | round) s during a shift; \(.provider_timeouts) Runtime API calls got no answer (timed out)") | join("\n")), "",
    "Effects of an older epoch left running by a killed worker (not performed, holding nothing): \(.stale_effects_left_running)\n",
    "## Slowest recovery\n\n\(.slowest_recovery.seconds) s to the next transition after \(.slowest_recovery.after)\n",
    (if .violation_count > 0 then "## Violations\n\n" + (.violations | map("- \(.invariant) \(.environment): \(.detail)") | join("\n")) else empty end)
  ' "$1"
}

# write_report - report.json and SUMMARY.md
write_report() {
  report_json > "$CHAOS_DIR/report.json"
  summary_md "$CHAOS_DIR/report.json" > "$CHAOS_DIR/SUMMARY.md"
}
