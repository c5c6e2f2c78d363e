#!/usr/bin/env bash
# test_db_stage - the database stage end to end, with the six workers
# against the real broker, PostgreSQL, HAProxy and the dev stack's MariaDB
# (the application's database), releases built by demo/build-release with a
# cutover/migrations.yml inside:
# 1. an expand migration is applied (the column exists) before the new color
#    is scaled, the old color's checks run on the expanded schema, and the
#    contract migration runs only after the old color is retired;
# 2. a refused expand fails the deployment with nothing changed: schema,
#    weights, no scale;
# 3. the old color failing its checks on the expanded schema fails the
#    deployment, the schema left expanded and the reason saying so;
# 4. a rollback after expand leaves the schema expanded, the old color
#    serving, and runs no contract;
# 5. a failing contract leaves completed-with-warning (status, history,
#    metric label), and `cutover migrations retry` completes it;
# 6. SIGKILL of the apply process alone (the worker lives on) in the middle
#    of a command migration: the migrator starts it again, the deployment
#    completes, and the command's work is done once;
# 7. SIGKILL of the migrator at each of its crash points (expand, the old
#    color's check, contract: before the call, after it, before the effect
#    finished): each time the restarted migrator resumes, the deployment
#    completes and each migration is applied and recorded once.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
export CUTOVER_EFFECT_LEASE_MS=3000
BAKE=1
saga_setup dbs
[ -n "${CUTOVER_MYSQL_HOST:-}" ] || { not_ok "the dev stack runs MariaDB" "CUTOVER_MYSQL_* unset"; finish; }
DB_NAME=$CUTOVER_MYSQL_DATABASE
# this run's tables and migration names (the application's database is shared)
RUN=${ENV//-/_}
T=orders_$RUN
GONE=gone_$RUN

# applied_times NAME - the executor's records of NAME applied to the end
applied_times() {
  my "SELECT count(*) FROM cutover_schema_migrations WHERE name = '$1'
      AND finished_at IS NOT NULL AND statements_done = statements_total"
}

# release VERSION PHASE:NAME:SQL... - a demo release whose manifest lists
# these migrations, in order
release() {
  local version=$1 dir=$TMP/with-$1 spec phase name stmt
  shift
  mkdir -p "$dir/cutover" "$dir/db"
  echo "migrations:" > "$dir/cutover/migrations.yml"
  for spec in "$@"; do
    IFS=: read -r phase name stmt <<< "$spec"
    name=${name}_$RUN
    echo "$stmt" > "$dir/db/$name.sql"
    printf '  - name: %s\n    phase: %s\n    sql: db/%s.sql\n' "$name" "$phase" "$name" \
      >> "$dir/cutover/migrations.yml"
  done
  saga_release "$version" --with "$dir"
}

# env_with_database - the saga's environment document with the database
# section and one more check: the old color fails it once $GATES/old-broken
# exists (the check of the database stage's rollback compatibility)
env_with_database() {
  saga_env_with_database | jq --arg gates "$GATES" '
    .checks += [{name: "old-code-on-new-schema", kind: "command", timeout_seconds: 10,
                 command: ("[ \"$CUTOVER_VERSION\" != live ] || [ ! -e " + $gates + "/old-broken ]")}]'
}

# recorded BUILD - "phase:name:status" of the build's migrations in the saga
recorded() {
  sql "SELECT string_agg(m.phase || ':' || m.name || ':' || m.status, ' ' ORDER BY m.phase DESC, m.seq)
       FROM deployment_migrations m JOIN deployments d ON d.id = m.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2'" "$ENV" "$1"
}

# reason BUILD - the deployment's reason
reason() { sql "SELECT reason FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "$ENV" "$1"; }

my "CREATE TABLE $T (id INT PRIMARY KEY AUTO_INCREMENT, total INT NOT NULL, legacy_code VARCHAR(16) NULL)" ||
  { not_ok "the application's table is created"; finish; }
trap 'my "DROP TABLE IF EXISTS $T, $GONE" >/dev/null 2>&1; saga_cleanup' EXIT
env_with_database > "$TMP/env.json"
"$BIN/cutover" env apply "$TMP/env.json" > /dev/null || { not_ok "env apply with a database section"; finish; }
gate_open all
start_saga_workers

# 1. expand before scaling, contract after retirement
release 2.0 "expand:0001_note:ALTER TABLE $T ADD COLUMN note VARCHAR(64) NULL;" \
  "contract:0002_drop_legacy:ALTER TABLE $T DROP COLUMN legacy_code;"
build_ready b2 2.0
check "the deployment with migrations completes" wait_for 240 eq completed dep_state b2
check_eq "it went through migrating first and contracting last" \
  "migrating scaling deploying validating shifting promoted contracting completed" "$(dep_path b2)"
check "the expand migration finished before the new color was scaled" \
  before "$(at b2 migrate-expand finished)" "$(at b2 scale-new)"
check "the old color's checks ran after expand and before the scale" \
  eval 'before "$(at b2 migrate-expand finished)" "$(at b2 check-old-color)" && before "$(at b2 check-old-color finished)" "$(at b2 scale-new)"'
check "the contract migration started only after the old color was retired" \
  before "$(at b2 retire-old finished)" "$(at b2 migrate-contract)"
check_eq "the schema: note added, legacy_code dropped" "id total note" "$(columns $T)"
check_eq "each migration recorded with the deployment" \
  "expand:0001_note_$RUN:applied contract:0002_drop_legacy_$RUN:applied" "$(recorded b2)"
check "cutover history lists the migrations" \
  eval '"$BIN/cutover" history "$ENV" | grep -q "migration contract 0002_drop_legacy_$RUN applied"'
check "... each with the statement's executor" \
  eval '"$BIN/cutover" history "$ENV" | grep -q "migration expand 0001_note_$RUN applied: .* executor=direct outcome=applied"'
check_eq "schema-migrated named the old color and the expand migration" "blue 0001_note_$RUN" \
  "$(consume schema-migrated | jq -r --arg id "$(dep_id b2)" 'select(.data.deployment_id == $id) | "\(.data.old_color) \(.data.migrations[0].name)"')"
check_eq "the frontend serves 2.0" "version 2.0 color green" "$(served)"

# 2. a refused expand: nothing changes
release 3.0 "expand:0003_drop_note:ALTER TABLE $T DROP COLUMN note;"
build_ready b3 3.0
check "a refused expand fails the deployment" wait_for 120 eq failed dep_state b3
check_eq "it failed straight from migrating" "migrating failed" "$(dep_path b3)"
check "the reason names the statement and why it is refused" \
  eval 'reason b3 | grep -q "refused" && reason b3 | grep -qi "drop column"'
check_eq "the schema is unchanged" "id total note" "$(columns $T)"
check_eq "no color was scaled" "" "$(at b3 scale-new)"
check_eq "the weights are unchanged: all on green" "0 100" "$(probe get-weights)"

# 3. the old color fails its checks on the expanded schema
release 4.0 "expand:0004_flag:ALTER TABLE $T ADD COLUMN flag INT NULL DEFAULT 0;"
touch "$GATES/old-broken"
build_ready b4 4.0
check "the old color's failed check fails the deployment" wait_for 120 eq failed dep_state b4
rm -f "$GATES/old-broken"
check "the reason says the expand migrations stay in place" \
  eval 'reason b4 | grep -q "old color failed its checks on the expanded schema" && reason b4 | grep -q "stay in place"'
check_eq "the schema stays expanded" "id total note flag" "$(columns $T)"
check_eq "no color was scaled" "" "$(at b4 scale-new)"

# 4. a rollback after expand
release 5.0 "expand:0005_extra:ALTER TABLE $T ADD COLUMN extra INT NULL;" \
  "contract:0006_drop_flag:ALTER TABLE $T DROP COLUMN flag;"
build_ready b5 5.0 '{"kind":"canary","steps":[{"weight":50,"pause_seconds":null}],"auto_promote":false}'
check "the canary holds at 50 for an operator" wait_for 240 eq "shifting 50" \
  sql "SELECT state || ' ' || weight_new FROM deployments WHERE environment = :'v1' AND build_id = 'b5'" "$ENV"
shift_requested rollback "$(dep_id b5)"
check "the rollback ends" wait_for 120 eq rolled-back dep_state b5
check_eq "the schema stays expanded, and no contract ran" "id total note flag extra" "$(columns $T)"
check_eq "no migrate-contract effect exists" "" "$(at b5 migrate-contract)"
check "the old color (green) serves all the traffic" wait_for 30 eq "version 2.0 color green" served

# 5. a failing contract, then retry
release 6.0 "expand:0007_more:ALTER TABLE $T ADD COLUMN more INT NULL;" \
  "contract:0008_drop_gone:ALTER TABLE $GONE DROP COLUMN x;"
build_ready b6 6.0
check "a failing contract leaves completed-with-warning" wait_for 240 eq completed-with-warning dep_state b6
check "cutover status warns about the contract migration" \
  eval '"$BIN/cutover" status "$ENV" | grep -q "migration contract 0008_drop_gone_$RUN failed (warning)"'
check_eq "the new release is live" "version 6.0 color blue" "$(served)"
start_web
check "the state metric carries completed-with-warning" \
  eval "curl -fsS $URL/metrics | grep -q 'cutover_deployment_state{environment=\"$ENV\",state=\"completed-with-warning\"} 1'"
my "CREATE TABLE $GONE (id INT PRIMARY KEY, x INT NULL)"
check "cutover migrations retry is accepted" "$BIN/cutover" migrations retry "$ENV" --by tests
check "the retried contract completes the deployment" wait_for 120 eq completed dep_state b6
check_eq "the contract ran this time" "id" "$(columns $GONE)"
check_eq "a second retry has nothing to do (exit 1)" 1 \
  "$("$BIN/cutover" migrations retry "$ENV" >/dev/null 2>&1; echo $?)"

# 6. the apply process killed under a living migrator
stop_workers
jq '.database.allow_commands = true' "$TMP/env.json" > "$TMP/env-commands.json"
"$BIN/cutover" env apply "$TMP/env-commands.json" > /dev/null
start_saga_workers
MARK=$TMP/command-ran
mkdir -p "$TMP/with-9.0/cutover"
printf 'migrations:\n  - name: backfill_%s\n    phase: expand\n    command: "sleep 3 && echo ran >> %s"\n' \
  "$RUN" "$MARK" > "$TMP/with-9.0/cutover/migrations.yml"
saga_release 9.0 --with "$TMP/with-9.0"
build_ready b9 9.0
# apply_pid - the migrator's apply process for b9's expand, if one runs
apply_pid() { local id; id=$(dep_id b9); [ -n "$id" ] && pgrep -f -- "cutover-migrator --apply expand $id" | head -1; }
check "the apply process runs the command migration" wait_for 120 eval 'test -n "$(apply_pid)"'
APPLY=$(apply_pid)
kill -KILL "$APPLY"
check "the killed apply process is gone" wait_for 10 eval "! kill -0 $APPLY 2>/dev/null"
check "the migrator starts the apply again and the deployment completes" wait_for 240 eq completed dep_state b9
check_eq "the command's work was done once (the killed run died in its sleep)" 1 "$(grep -c ran "$MARK")"
check "the migrator logged the restart" grep -q "apply process killed by signal 9: starting it again" \
  "$LOGDIR/worker-migrator.log"


# 7. every crash point of the migrator
stop_workers
"$BIN/cutover" env apply "$TMP/env.json" > /dev/null
N=10
for point in migrate-expand-before-call migrate-expand-after-call migrate-expand-before-finish \
  check-old-color-before-call check-old-color-after-call check-old-color-before-finish \
  migrate-contract-before-call migrate-contract-after-call migrate-contract-before-finish; do
  N=$((N + 1))
  start_saga_workers_armed migrator "$point"
  release $N.0 "expand:00${N}_add_c$N:ALTER TABLE $T ADD COLUMN c$N INT NULL;" \
    "contract:00${N}_drop_c$N:ALTER TABLE $T DROP COLUMN c$N;"
  build_ready b$N $N.0
  saga_crash_resumed migrator "$point" b$N
  check_eq "$point: each migration applied once" "1 1" \
    "$(applied_times 00${N}_add_c${N}_$RUN) $(applied_times 00${N}_drop_c${N}_$RUN)"
  check_eq "$point: each recorded once in the saga" \
    "expand:00${N}_add_c${N}_$RUN:applied contract:00${N}_drop_c${N}_$RUN:applied" "$(recorded b$N)"
  [ "$point" != migrate-expand-after-call ] ||
    check_eq "$point: the expand effect was claimed twice (the lease ran out) and done once" "2 done" \
      "$(sql "SELECT e.attempts || ' ' || e.status FROM effects e JOIN deployments d ON d.id = e.deployment_id
              WHERE d.environment = :'v1' AND d.build_id = :'v2' AND e.kind = 'migrate-expand'" "$ENV" "b$N")"
  stop_workers
done
check_eq "the schema after them all" "id total note flag extra more" "$(columns $T)"

finish
