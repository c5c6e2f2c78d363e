#!/usr/bin/env bash
# test_scheduler - WordPress cron runs on the live color only, run by
# cutover-scheduler (the environment's "scheduler" section), across a
# promotion and a rollback of the WordPress shop on the local provider.
# Every release carries the cron probe (demo/wordpress/plugin/
# cutover-cron-probe: a recurring event every 5 s, each run recorded in
# MariaDB with the scheduled occurrence, the color that ran it and the
# scheduler's run id). The environment's command asks the live color's
# first instance for wp-cron.php every second; two copies of the scheduler
# run at once. Deployments: 2.0 blue-green to green (promoted, completed),
# then 3.0 to blue, promoted and rolled back while baking (live: blue,
# green, blue, green). Checks that:
# 1. both copies ran the command, never two runs at once (in the command
#    itself and in scheduler_runs), every run ended ok;
# 2. the live color of the runs follows the saga's flips: blue, green,
#    blue, green, each change after its flip was recorded;
# 3. every occurrence of the probe's event from the first to the last ran
#    exactly once (none twice, none skipped), and each ran on the color the
#    scheduler found live for its run;
# 4. each run is logged and counted in the scheduler's /metrics;
# 5. cutover-scheduler --once runs the command once, beside no other run.
# Skips when the Debian packages (ops/bootstrap) are missing.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

MISSING=$(for tool in nginx php-fpm8.2 php redis-cli; do command -v "$tool" >/dev/null || printf '%s ' "$tool"; done)
[ -z "$MISSING" ] || { echo "ok - SKIP ${MISSING}missing: run ops/bootstrap"; finish; }
check "the dev stack runs MariaDB and Redis" test -n "${CUTOVER_REDIS_PORT:-}" -a -n "${CUTOVER_MYSQL_PORT:-}"
check "cutover-scheduler is built" test -x "$BIN/cutover-scheduler"
[ "$TEST_FAILURES" -eq 0 ] || finish

use_test_prefix
PROBE_INTERVAL=5
# this run's site: its own tables, Redis prefix and shared directory
SITE=cron$(date +%s%N | tail -c 9)
export CUTOVER_WORDPRESS_TABLE_PREFIX=${SITE}_ CUTOVER_WORDPRESS_REDIS_PREFIX=$SITE:
export CUTOVER_WORDPRESS_SHARED_DIR=$CUTOVER_RUN_DIR/wordpress-$SITE
PROBE=${SITE}_cutover_cron_probe
WORK=$(mktemp -d)
# every release is built with the probe as a must-use plugin
mkdir -p "$WORK/with/wp-content/mu-plugins"
cp "$TOP/demo/wordpress/plugin/cutover-cron-probe/cutover-cron-probe.php" "$WORK/with/wp-content/mu-plugins/"
printf '#!/bin/bash\nexec "%s" "$@" --with "%s"\n' "$TOP/demo/wordpress/build-release" "$WORK/with" > "$WORK/build"
chmod +x "$WORK/build"
SAGA_BUILDER=$WORK/build
SAGA_HEALTH_PATH=/shop/health

# scheduler_cleanup - the saga's cleanup, then this run's tables, cache keys and directories
scheduler_cleanup() {
  saga_cleanup
  my "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()
      AND table_name LIKE '${SITE}\\_%'" | while read -r table; do my "DROP TABLE $table"; done
  redis-cli -h "$CUTOVER_REDIS_HOST" -p "$CUTOVER_REDIS_PORT" --scan --pattern "$SITE:*" |
    xargs -r redis-cli -h "$CUTOVER_REDIS_HOST" -p "$CUTOVER_REDIS_PORT" del >/dev/null
  rm -rf "$CUTOVER_WORDPRESS_SHARED_DIR" "$WORK"
}

# the scheduled command: note an overlap with a run in flight, ask the live
# color's WordPress to run its cron, hold a moment so that an overlap would show
cat > "$WORK/cron" <<CRON
#!/bin/bash
mkdir "$WORK/running" 2>/dev/null || echo "\$CUTOVER_SCHEDULER_RUN" >> "$WORK/overlaps"
curl -fsS --max-time 20 -o /dev/null "\$CUTOVER_LIVE_URL/wp-cron.php?doing_wp_cron&cutover_run=\$CUTOVER_SCHEDULER_RUN"
status=\$?
sleep 0.2
echo "\$CUTOVER_SCHEDULER_RUN \$CUTOVER_LIVE_COLOR \$CUTOVER_LIVE_PORT \$status" >> "$WORK/runs"
rmdir "$WORK/running"
exit \$status
CRON
chmod +x "$WORK/cron"

# env_apply - the environment's document with the scheduler section (BAKE as set)
env_apply() {
  saga_env_json | jq --arg cron "$WORK/cron" \
    '.scheduler = {command: $cron, interval_seconds: 1, timeout_seconds: 60}' > "$TMP/env.json"
  "$BIN/cutover" env apply "$TMP/env.json" > /dev/null
}

# probe_rows [WHERE] - rows of the probe table (matching WHERE)
probe_rows() { my "SELECT count(*) FROM $PROBE WHERE ${1:-true}" 2>/dev/null || echo 0; }

# runs_sql SELECT - a query over this environment's scheduler runs (FROM runs)
runs_sql() {
  sql "WITH runs AS (SELECT * FROM scheduler_runs WHERE environment = :'v1') $1" "$ENV"
}

# flip_at BUILD STATE - when the build's deployment entered STATE
flip_at() {
  sql "SELECT t.at FROM transitions t JOIN deployments d ON d.id = t.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2' AND t.to_state = :'v3'
       AND t.from_state IS DISTINCT FROM t.to_state ORDER BY t.id LIMIT 1" "$ENV" "$1" "$2"
}

saga_setup cron
trap scheduler_cleanup EXIT
env_apply || { not_ok "env apply with a scheduler section"; finish; }

METRICS_PORT=$(port_range_pick 1)
start_worker scheduler CUTOVER_SCHEDULER_TICK_MS=200 CUTOVER_METRICS_ADDR=127.0.0.1:$METRICS_PORT
SCHEDULER_1=$LAST_WORKER_PID
start_worker scheduler CUTOVER_SCHEDULER_TICK_MS=200
SCHEDULER_2=$LAST_WORKER_PID
check "the probe's event runs on blue" wait_for 120 gt 1 probe_rows "color = 'blue'"

# 2.0 blue-green to green, promoted and completed
gate_open all
start_saga_workers
saga_release 2.0
build_ready b2 2.0
check "the deployment of 2.0 completes" wait_for 300 eq completed dep_state b2
check_eq "green is live" green "$(live_color)"
check "the probe's event runs on green" wait_for 60 gt 1 probe_rows "color = 'green'"

# 3.0 to blue, promoted, rolled back while the old color bakes
BAKE=600
env_apply || not_ok "env apply with a long bake"
saga_release 3.0
build_ready b3 3.0
check "the deployment of 3.0 is promoted" wait_for 300 eq promoted dep_state b3
check "the probe's event runs on blue with 3.0" wait_for 60 gt 1 probe_rows "version = '3.0'"
shift_requested rollback "$(dep_id b3)"
check "the deployment of 3.0 is rolled back" wait_for 300 eq rolled-back dep_state b3
check_eq "green is live again" green "$(live_color)"
AFTER=$(probe_rows "color = 'green'")
check "the probe's event runs on green after the rollback" wait_for 60 gt $((AFTER + 1)) probe_rows "color = 'green'"

# 4. metrics, read while the copy runs
curl -fsS --max-time 10 "http://127.0.0.1:$METRICS_PORT/metrics" > "$WORK/metrics"
check "the runs are counted in the scheduler's metrics" \
  grep -qE "^cutover_scheduler_runs_total\\{environment=\"$ENV\",color=\"green\",outcome=\"ok\"\\} [1-9]" "$WORK/metrics"
kill "$SCHEDULER_1" "$SCHEDULER_2"
wait "$SCHEDULER_1" "$SCHEDULER_2"

# 1. one run at a time, by both copies
check_eq "both copies ran the command" 2 "$(runs_sql 'SELECT count(DISTINCT holder) FROM runs')"
check_eq "the command never ran beside another run" "" "$(cat "$WORK/overlaps" 2>/dev/null)"
check_eq "no two runs overlap in scheduler_runs" 0 "$(runs_sql 'SELECT count(*) FROM runs a JOIN runs b
  ON a.id < b.id AND a.started_at < coalesce(b.finished_at, now()) AND b.started_at < coalesce(a.finished_at, now())')"
check_eq "every run ended ok (the last: interrupted at shutdown at most)" 0 \
  "$(runs_sql "SELECT count(*) FROM runs WHERE outcome IS DISTINCT FROM 'ok' AND id < (SELECT max(id) FROM runs)")"
check_eq "every run the command saw succeeded" "" "$(awk '$4 != 0' "$WORK/runs")"
check "each run's end is logged with its live color" \
  grep -q "scheduled run [0-9]* on the live color green: ok, exit status 0" "$LOGDIR/worker-scheduler.log"

# 2. the runs' live color follows the flips
check_eq "the runs' live color went blue, green, blue, green" "blue green blue green" \
  "$(runs_sql 'SELECT color FROM runs ORDER BY id' | uniq | paste -sd ' ')"
mapfile -t CHANGE < <(runs_sql "SELECT started_at FROM (SELECT color, started_at,
  lag(color) OVER (ORDER BY id) AS previous FROM runs) x
  WHERE previous IS DISTINCT FROM color AND previous IS NOT NULL ORDER BY started_at")
check "the runs moved to green after 2.0's promotion was recorded" before "$(flip_at b2 promoted)" "${CHANGE[0]:-}"
check "... to blue after 3.0's promotion" before "$(flip_at b3 promoted)" "${CHANGE[1]:-}"
check "... back to green after 3.0's rollback" before "$(flip_at b3 rolling-back)" "${CHANGE[2]:-}"
check_eq "each run went to its live color's first instance" "" \
  "$(awk -v blue="$BASE" -v green=$((BASE + SAGA_MAX)) '($2 == "blue" && $3 != blue) || ($2 == "green" && $3 != green)' "$WORK/runs")"

# 3. every occurrence once, on the color live for its run
read -r FIRST LAST ROWS OCCURRENCES < <(my "SELECT min(scheduled_at), max(scheduled_at), count(*),
  count(DISTINCT scheduled_at) FROM $PROBE")
check_eq "no occurrence ran twice" "$ROWS" "$OCCURRENCES"
check_eq "no occurrence was skipped (every ${PROBE_INTERVAL} s from the first to the last)" \
  "$(((LAST - FIRST) / PROBE_INTERVAL + 1))" "$OCCURRENCES"
check "the occurrences span both deployments" \
  before "$(sql "SELECT to_timestamp($FIRST)")" "$(flip_at b2 promoted)"
check "... up to after the rollback" before "$(flip_at b3 rolled-back)" "$(sql "SELECT to_timestamp($LAST)")"
my "SELECT run_id, color FROM $PROBE" | LC_ALL=C sort -t $'\t' -k1,1 > "$WORK/probe-colors"
runs_sql "SELECT id || ' ' || color FROM runs" | tr ' ' '\t' | LC_ALL=C sort -t $'\t' -k1,1 > "$WORK/run-colors"
check_eq "each occurrence ran on the color live for the run that ran it" "" \
  "$(LC_ALL=C join -t $'\t' -a1 "$WORK/probe-colors" "$WORK/run-colors" | awk -F'\t' '$2 != $3')"

# 5. the one-shot
BEFORE=$(runs_sql 'SELECT count(*) FROM runs')
rmdir "$WORK/running" 2>/dev/null # left by the run the last copy's shutdown interrupted
check "cutover-scheduler --once runs the command on the live color" \
  env CUTOVER_ENVIRONMENTS="^$ENV\$" "$BIN/cutover-scheduler" --once "$ENV" 2>>"$LOGDIR/worker-scheduler.log"
check_eq "... once, recorded" "$((BEFORE + 1)) green ok" \
  "$(runs_sql "SELECT count(*) || ' ' || (SELECT color || ' ' || outcome FROM runs ORDER BY id DESC LIMIT 1) FROM runs")"
finish
