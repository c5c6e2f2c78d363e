#!/usr/bin/env bash
# test_bluegreen - a blue-green deployment end to end, with the five workers
# against the real broker, database and HAProxy (local provider): a
# build-ready for release 2.0 goes received -> scaling -> deploying ->
# validating -> shifting -> promoted -> completed; the frontend then serves
# 2.0 from green and the live color is green; blue is retired only after
# the environment's bake time; every worker effect is done exactly once
# and every provider change is made once.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
BAKE=3
saga_setup bg
saga_release 2.0
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
start_saga_workers

check_eq "blue serves 1.0 before the deployment" "version 1.0 color blue" "$(served)"
check_eq "after cutover env seed: all the traffic on blue" "100 0" "$(probe get-weights)"
check "seeding again changes nothing and succeeds" \
  eval '"$BIN/cutover" env seed "$ENV" >>"$LOGDIR/saga_seed.log" 2>&1 && [ "$(probe health blue) $(probe get-weights)" == "2 2 2 100 0" ]'
build_ready b2 2.0
check "the deployment waits in validation for its gate" wait_for 120 eq validating dep_state b2
SEED_OUT=$("$BIN/cutover" env seed "$ENV" 2>&1)
check_eq "cutover env seed is refused while a deployment is in flight (exit 1)" 1 "$?"
check "and says which deployment" grep -qE "deployment $(dep_id b2) is validating" <<< "$SEED_OUT"
gate_open all
check "the deployment completes" wait_for 180 eq completed dep_state b2
ID=$(dep_id b2)
check_eq "it went through every state once" \
  "scaling deploying validating shifting promoted completed" "$(dep_path b2)"
check_eq "the live color flipped to green" green "$(live_color)"
check_eq "the frontend serves 2.0 from green" "version 2.0 color green" "$(served)"
check_eq "weights read back all green" "0 100" "$(probe get-weights)"
check_eq "blue is retired: nothing desired, running or healthy" "0 0 0" "$(probe health blue)"
check_eq "green runs at capacity" "2 2 2" "$(probe health green)"

baked=$(sql "SELECT extract(epoch FROM c.at - p.at) >= :'v2' FROM transitions p, transitions c
             WHERE p.deployment_id = :'v1' AND c.deployment_id = :'v1'
             AND p.from_state = 'shifting' AND p.to_state = 'promoted'
             AND c.to_state = 'completed'" "$ID" "$BAKE")
check_eq "completed no sooner than the bake time after promoted" t "$baked"
retired=$(sql "SELECT e.started_at >= p.at + make_interval(secs => :'v2') FROM effects e, transitions p
               WHERE e.deployment_id = :'v1' AND e.kind = 'retire-old'
               AND p.deployment_id = :'v1' AND p.from_state = 'shifting'
               AND p.to_state = 'promoted'" "$ID" "$BAKE")
check_eq "retire-old started only after the bake" t "$retired"

check_eq "each worker effect done once, in order" \
  "scale-new:done deploy-new:done open-preview:done validate:done close-preview:done set-weights:done retire-old:done" \
  "$(dep_effects b2)"
check_eq "no effect done twice, no provider change made twice" "$(printf '0\n0')" "$(effects_twice)"
check_eq "scale-new, deploy-new and retire-old each changed the provider once" "1 1 1" \
  "$(sql "SELECT string_agg(provider_calls::text, ' ' ORDER BY id) FROM effects
          WHERE deployment_id = :'v1' AND kind IN ('scale-new', 'deploy-new', 'retire-old')" "$ID")"
check_eq "green-scaled names the new color at capacity" "green 2 2" \
  "$(consume green-scaled | jq -r --arg id "$ID" 'select(.data.deployment_id == $id) | "\(.data.color) \(.data.capacity) \(.data.healthy)"')"
check_eq "green-deployed carries the provider deployment id" "green $ID" \
  "$(consume green-deployed | jq -r --arg id "$ID" 'select(.data.deployment_id == $id) | "\(.data.color) \(.data.provider_deployment_id)"')"
check "every state change was announced on deployment-status" wait_for 30 eq \
  "scaling deploying validating shifting promoted completed" status_states "$ID"
check "the outbox is drained" wait_for 30 eq 0 outbox_unsent
check_eq "nothing is left open" 0 "$(effects_open)"
check "every worker is still running" bash -c "for p in ${WORKER_PIDS[*]}; do kill -0 \$p || exit 1; done"

finish
