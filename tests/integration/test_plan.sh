#!/usr/bin/env bash
# test_plan - cutover plan ENV: on a local environment seeded on the real
# HAProxy it prints the blue-green path and every provider call, with the
# weights read from HAProxy, and changes nothing (weights, deployments,
# topics); a canary plan lists each step's weights; an unknown environment
# exits 1; with a database, the migrations of a local release by name
# (expand before traffic, contract after retirement), unknown for an s3://
# one; an environment on the plan provider completes a real deployment
# through the five workers, each provider call logged.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
saga_setup plan
saga_release 2.0

deployments() { sql "SELECT count(*) FROM deployments WHERE environment = :'v1'" "$ENV"; }
topic_counts() { for t in build-ready deployment-status traffic-shifted; do topic_count "$t"; done | tr '\n' ' '; }

before="$(probe get-weights) $(deployments) $(topic_counts)"
OUT=$("$BIN/cutover" plan "$ENV" --build b2 --version 2.0 --artifact "$URI_2_0" --sha256 "$SHA_2_0" 2>>"$LOGDIR/plan.log")
check_eq "cutover plan exits 0" 0 "$?"
check "it shows the current weights read from HAProxy" grep -q "live blue, current weights blue=100 green=0" <<< "$OUT"
check_eq "it prints the blue-green path" \
  "scaling deploying validating shifting promoted completed" \
  "$(sed -n 's/^[a-z-]* -> \(.*\)$/\1/p' <<< "$OUT" | uniq | tr '\n' ' ' | sed 's/ $//')"
check "it lists scaling green to capacity" grep -q "call: scale green 2" <<< "$OUT"
check "it lists the deployment of 2.0" grep -q "call: deploy_start green version=2.0" <<< "$OUT"
check "it lists the preview rule opened and closed" \
  eval 'grep -q "call: preview_open green" <<< "$OUT" && grep -q "call: preview_close" <<< "$OUT"'
check "it lists all traffic to green" grep -q "call: set_weights blue=0 green=100" <<< "$OUT"
check "it lists blue retired" grep -q "call: scale blue 0" <<< "$OUT"
check_eq "nothing changed: weights, deployments, topics" "$before" \
  "$(probe get-weights) $(deployments) $(topic_counts)"

JSON=$("$BIN/cutover" plan "$ENV" --canary 10:30,25:30,50 --json 2>>"$LOGDIR/plan.log")
check_eq "--json --canary: each step's weights, in order" \
  "blue=90 green=10,blue=75 green=25,blue=50 green=50,blue=0 green=100" \
  "$(jq -r '[.path[].calls[] | select(startswith("set_weights")) | sub("set_weights ";"")] | join(",")' <<< "$JSON")"
check_eq "--json reads the current weights" "100 0" "$(jq -r '"\(.current.blue) \(.current.green)"' <<< "$JSON")"

"$BIN/cutover" plan "no-such-env-$RANDOM" >/dev/null 2>&1
check_eq "an unknown environment exits 1" 1 "$?"
REFUSED=$("$BIN/cutover" plan "$ENV" --build b3 --version 3.0 --artifact "ftp://x/a" --sha256 "$SHA_2_0" 2>&1)
check_eq "a build refused by the build-ready schema exits 1" 1 "$?"
check "and says the schema refused it" grep -q "invalid build-ready event" <<< "$REFUSED"
"$BIN/cutover" plan >/dev/null 2>&1
check_eq "no environment is a usage error (exit 2)" 2 "$?"
check "--help says what it does" eval '"$BIN/cutover" plan --help | grep -q "plan ENV"'

# an environment with a database: the machine's migration states show up in the plan
DENV=$(unique_name plandb)
printf '{"name": "%s", "provider": "plan", "database": {"engine": "mysql", "database": "shop", "user": "shop", "password_env": "SHOP_DB_PASSWORD"}}\n' \
  "$DENV" > "$TMP/plan-db.json"
"$BIN/cutover" env apply "$TMP/plan-db.json" >/dev/null 2>>"$LOGDIR/plan.log"
check "a plan for an environment with a database goes through migrating" \
  eval '"$BIN/cutover" plan "$DENV" --json 2>>"$LOGDIR/plan.log" | jq -e "[.path[].state] | index(\"migrating\")" >/dev/null'

# its migrations by name, read from a local release: expand before the new
# color's first share, contract after the old color is retired
mkdir -p "$TMP/mig/cutover" "$TMP/mig/db"
echo 'ALTER TABLE orders ADD COLUMN note TEXT NULL;' > "$TMP/mig/db/0001_note.sql"
echo 'ALTER TABLE orders DROP COLUMN legacy;' > "$TMP/mig/db/0002_legacy.sql"
printf 'migrations:\n  - name: add-order-note\n    phase: expand\n    sql: db/0001_note.sql\n  - name: drop-legacy\n    phase: contract\n    sql: db/0002_legacy.sql\n' \
  > "$TMP/mig/cutover/migrations.yml"
tar -czf "$TMP/shop-3.0.tar.gz" -C "$TMP/mig" .
MIG_SHA=$(sha256sum "$TMP/shop-3.0.tar.gz" | cut -d' ' -f1)
# mig_calls ARTIFACT SHA - every call of DENV's plan of ARTIFACT, one per line
mig_calls() {
  "$BIN/cutover" plan "$DENV" --build b3 --version 3.0 --artifact "$1" --sha256 "$2" --json \
    2>>"$LOGDIR/plan.log" | jq -r '.path[].calls[]'
}
# line_of PATTERN - the first line number of the calls in $MIG matching PATTERN (0: none)
line_of() { grep -n -m1 -- "$1" <<< "$MIG" | cut -d: -f1 | grep . || echo 0; }
MIG=$(mig_calls "file://$TMP/shop-3.0.tar.gz" "$MIG_SHA")
check_eq "the plan names the expand migration read from the release" 1 \
  "$(grep -cx 'migrate expand add-order-note: sql db/0001_note.sql' <<< "$MIG")"
check_eq "and the contract migration" 1 \
  "$(grep -cx 'migrate contract drop-legacy: sql db/0002_legacy.sql' <<< "$MIG")"
check "expand comes before the new color's first share" \
  test "$(line_of '^migrate expand')" -gt 0 -a "$(line_of '^migrate expand')" -lt "$(line_of '^set_weights blue=0 green=100')"
check "contract comes after the old color is retired" \
  test "$(line_of '^scale blue 0')" -gt 0 -a "$(line_of '^migrate contract')" -gt "$(line_of '^scale blue 0')"
MIG=$(mig_calls "s3://shop-releases/shop-3.0.tar.gz" "$MIG_SHA")
check "a release that is not local: its migrations are said to be unknown" \
  grep -q '^migrate expand: unknown (s3://shop-releases/shop-3.0.tar.gz is not read' <<< "$MIG"
MIG=$(mig_calls "$URI_2_0" "$SHA_2_0")
check "a local release without cutover/migrations.yml has none" \
  grep -qx 'migrate expand: none in the release' <<< "$MIG"
check_eq "the plan provider without an aws object names no AWS call" 0 \
  "$("$BIN/cutover" plan "$DENV" --json 2>>"$LOGDIR/plan.log" | jq '[.path[] | select(has("aws"))] | length')"

# an environment with cache actions: each listed in the cache stage, the
# command on the new color's instances through the provider
CENV=$(unique_name plancache)
jq -n --arg n "$CENV" '{name: $n, provider: "plan", capacity: 2, caches: [
  {name: "objects", kind: "redis-prefix", host: "127.0.0.1", port: 6379, prefix: "shop:"},
  {name: "opcache", kind: "command", on: "instances", command: "reload-fpm", timeout_seconds: 60},
  {name: "pages", kind: "command", command: "purge-pages"}]}' > "$TMP/plan-cache.json"
"$BIN/cutover" env apply "$TMP/plan-cache.json" >/dev/null 2>>"$LOGDIR/plan.log"
check_eq "the cache stage lists each action in order" \
  "flush cache objects: redis-prefix shop: on 127.0.0.1:6379 db 0 (SCAN + UNLINK)|command_start green timeout=60s: reload-fpm|command_poll green/cutover-plan-opcache (read: 2 succeeded)|flush cache pages: command on the host: purge-pages" \
  "$("$BIN/cutover" plan "$CENV" --json 2>>"$LOGDIR/plan.log" | jq -r '.path[] | select(.state == "flushing-caches") | .calls | join("|")')"

# an environment on the plan provider: a real deployment through the five workers
PENV=$(unique_name planprov)
printf '{"name": "%s", "provider": "plan", "capacity": 3, "bake_seconds": 1}\n' "$PENV" > "$TMP/plan-env.json"
check "an environment on the plan provider is accepted" \
  eval '"$BIN/cutover" env apply "$TMP/plan-env.json" >/dev/null'
ENV=$PENV start_saga_workers
ENV=$PENV build_ready p2 2.0
check "the deployment completes on the plan provider" \
  wait_for 120 eq completed sql "SELECT state FROM deployments WHERE environment = :'v1'" "$PENV"
calls() { cat "$LOGDIR"/worker-*.log | jq -Rr --arg e "$PENV" 'fromjson? | .msg | select(test("^plan call: .* environment=" + $e + "$"))'; }
check_eq "scale green 3 logged once" 1 "$(calls | grep -c '^plan call: scale green 3 ')"
check_eq "deploy_start logged once" 1 "$(calls | grep -c '^plan call: deploy_start green version=2.0 ')"
check_eq "all traffic to green logged once" 1 "$(calls | grep -c '^plan call: set_weights blue=0 green=100 ')"
check_eq "blue retired logged once" 1 "$(calls | grep -c '^plan call: scale blue 0 ')"
finish
