#!/usr/bin/env bash
# test_effect_wakeup - the database wakes the worker that owns an effect
# (migration 0016, saga_worker.h): with the workers' poll set to ten
# minutes, blue-green deployments on the plan provider still complete,
# each effect claimed at its first attempt, because each owner is woken
# by a notification when its effect is written or its predecessor ends;
# the trigger sends one; and when the listening connections are cut, the
# workers listen again (the sweeper reconnects them) and the next
# deployment completes too.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
saga_release 1.0 > /dev/null
ENV=$(unique_name wake)
printf '{"name": "%s", "provider": "plan", "capacity": 1, "bake_seconds": 0}\n' "$ENV" > "$TMP/env.json"
"$BIN/cutover" env apply "$TMP/env.json" > /dev/null 2>>"$LOGDIR/wakeup.log"
check_eq "the environment is applied" 0 "$?"

# listeners - the workers' connections that LISTEN for effects
listeners() {
  sql "SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN \"cutover_effects\"' AND application_name LIKE 'cutover-%'"
}
deploy() {
  build_ready "$1" 1.0
  wait_for 120 eq completed dep_state "$1"
}

CUTOVER_TIMER_POLL_MS=600000 start_saga_workers
check "each worker listens for its effects" wait_for 60 eq "${#SAGA_WORKERS[@]}" listeners
check "a deployment completes with the poll ten minutes away" deploy w1
check_eq "each of its effects was claimed at the first attempt" \
  "$(sql "SELECT count(*) FROM effects WHERE deployment_id = :'v1'" "$(dep_id w1)")" \
  "$(sql "SELECT count(*) FROM effects WHERE deployment_id = :'v1' AND attempts = 1 AND status = 'done'" "$(dep_id w1)")"

# the trigger itself: a notification names the owner of a new effect
NOTIFIED=$(psql "$CUTOVER_DATABASE_URL" -qAt 2>&1 <<SQL
LISTEN cutover_effects;
BEGIN;
INSERT INTO effects (deployment_id, environment, epoch, kind, owner)
  SELECT id, environment, epoch - 1, 'validate', 'validator' FROM deployments WHERE id = '$(dep_id w1)';
ROLLBACK;
BEGIN;
INSERT INTO effects (deployment_id, environment, epoch, kind, owner, status)
  SELECT id, environment, epoch - 1, 'validate', 'validator', 'cancelled' FROM deployments WHERE id = '$(dep_id w1)';
COMMIT;
SELECT 1;
SQL
)
check "a rolled-back or finished effect notifies nobody" eval '! grep -q "notification" <<< "$NOTIFIED"'
NOTIFIED=$(psql "$CUTOVER_DATABASE_URL" -qAt 2>&1 <<SQL
LISTEN cutover_effects;
BEGIN;
INSERT INTO effects (deployment_id, environment, epoch, kind, owner, status)
  SELECT id, environment, epoch - 1, 'validate', 'validator', 'pending' FROM deployments WHERE id = '$(dep_id w1)';
UPDATE effects SET status = 'cancelled' WHERE deployment_id = '$(dep_id w1)' AND epoch < (SELECT epoch FROM deployments WHERE id = '$(dep_id w1)') AND status = 'pending';
COMMIT;
SELECT 1;
SQL
)
check "a committed pending effect names its owner" grep -q 'notification "cutover_effects" with payload "validator"' <<< "$NOTIFIED"

sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
     WHERE query = 'LISTEN \"cutover_effects\"' AND application_name LIKE 'cutover-%'" > /dev/null
check "the listening connections cut, each worker listens again" wait_for 60 eq "${#SAGA_WORKERS[@]}" listeners
check "and the next deployment completes with the poll ten minutes away" deploy w2
finish
