#!/usr/bin/env bash
# test_many_environments - one copy of each worker serves more environments
# than it keeps providers open (48): 60 environments on the plan provider,
# one blue-green deployment each, published at once, all complete, and no
# step failed for want of a provider.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

COUNT=60
use_test_prefix
RUN=$(unique_name many)
TMP=$(mktemp -d)
trap 'stop_workers; rm -rf "$TMP"' EXIT
saga_release 1.0

for i in $(seq 1 $COUNT); do
  printf '{"name": "%s-%d", "provider": "plan", "capacity": 1, "bake_seconds": 0}\n' "$RUN" "$i" > "$TMP/env.json"
  "$BIN/cutover" env apply "$TMP/env.json" > /dev/null || not_ok "env apply $RUN-$i"
done
for i in $(seq 1 $COUNT); do
  data=$(printf '{"environment":"%s-%d","build_id":"b1","version":"2.0","artifact":{"uri":"%s","sha256":"%s"},"strategy":{"kind":"bluegreen","auto_promote":true}}' \
    "$RUN" "$i" "$URI_1_0" "$SHA_1_0")
  printf '%s-%d\t%s\n' "$RUN" "$i" "$(cloud_event build-ready "$RUN-$i" "$data")"
done > "$TMP/events.txt"
CUTOVER_ENVIRONMENTS="^$RUN-" start_saga_workers
kcat -P -b "$CUTOVER_KAFKA_BROKERS" -t "${CUTOVER_TOPIC_PREFIX}build-ready" -K $'\t' -l "$TMP/events.txt"

# count_in STATES - how many of the run's deployments are in one of STATES ("{a,b}")
count_in() {
  sql "SELECT count(*) FROM deployments WHERE environment LIKE :'v1' || '-%' AND state = ANY (:'v2')" \
    "$RUN" "$1"
}
check "all $COUNT deployments finish" wait_for 600 eq $COUNT count_in "{completed,failed,rolled-back}"
check_eq "all $COUNT deployments completed" $COUNT "$(count_in "{completed}")"
check_eq "no step of the run failed opening its provider" 0 \
  "$(sql "SELECT count(*) FROM transitions t JOIN deployments d ON d.id = t.deployment_id
          WHERE d.environment LIKE :'v1' || '-%' AND t.reason LIKE 'opening the provider%'" "$RUN")"
finish
