#!/usr/bin/env bash
# test_supersede - a newer build against an active deployment, with the
# five workers on the real stack (local provider). During validation (no
# traffic moved yet) it supersedes: the first deployment ends superseded,
# its new color is torn down before the newer one scales it again, and the
# newer one completes. During shifting it waits: it is queued in received
# while the first one shifts, and runs to completion once the first ends.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
saga_setup sup
for v in 2.0 3.0 4.0 5.0; do saga_release "$v"; done
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
start_saga_workers

# effect_time BUILD KIND COLUMN - when the build's effect of KIND started or finished
effect_time() {
  sql "SELECT e.$3 FROM effects e JOIN deployments d ON d.id = e.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2' AND e.kind = :'v3'
       ORDER BY e.id DESC LIMIT 1" "$ENV" "$1" "$2"
}

# state_time BUILD STATE - when the build's deployment first entered STATE
state_time() {
  sql "SELECT min(t.at) FROM transitions t JOIN deployments d ON d.id = t.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2' AND t.to_state = :'v3'
       AND t.from_state IS DISTINCT FROM t.to_state" "$ENV" "$1" "$2"
}

# undo_status - the status of the first deployment's close-preview and scale-new-to-zero
undo_status() { echo "$(effect_time s1 close-preview status) $(effect_time s1 scale-new-to-zero status)"; }

# half_shifted - the third deployment's state and the weights blue green
half_shifted() { echo "$(dep_state s3) $(probe get-weights)"; }

# before T1 T2 - timestamp T1 is not after T2
before() { [ "$(sql "SELECT :'v1'::timestamptz <= :'v2'::timestamptz" "$1" "$2")" == t ]; }

# ------------------------------------------------ a newer build during validation

build_ready s1 2.0
check "the first deployment waits in validating (its gate is closed)" \
  wait_for 120 eq running effect_time s1 validate status
build_ready s2 3.0
gate_open 3.0
check "the first deployment is superseded" wait_for 60 eq superseded dep_state s1
check_eq "it never moved traffic" "scaling deploying validating superseded" "$(dep_path s1)"
check "its preview closed and its new color scaled to zero" \
  wait_for 60 eq "done done" undo_status
check_eq "no set-weights was ever asked for it" "" \
  "$(dep_effects s1 | tr ' ' '\n' | grep '^set-weights' || true)"
check "the newer deployment completes" wait_for 180 eq completed dep_state s2
check "green was torn down before the newer build scaled it again" \
  before "$(effect_time s1 scale-new-to-zero finished_at)" "$(effect_time s2 scale-new started_at)"
check_eq "the frontend serves 3.0 from green" "version 3.0 color green" "$(served)"
check_eq "live color green" green "$(live_color)"

# ------------------------------------------------ a newer build during shifting

gate_open all
build_ready s3 4.0 '{"kind":"canary","steps":[{"weight":50,"pause_seconds":null}],"auto_promote":true}'
check "the third deployment shifts half the traffic to blue and waits" \
  wait_for 180 eq "shifting 50 50" half_shifted
build_ready s4 5.0
check "the fourth deployment is recorded" wait_for 60 eq received dep_state s4
check_eq "it is queued" t "$(sql "SELECT queued FROM deployments WHERE environment = :'v1' AND build_id = 's4'" "$ENV")"
check_eq "the shifting deployment is not superseded" shifting "$(dep_state s3)"
shift_requested promote "$(dep_id s3)"
check "the shifting deployment completes after promote" wait_for 120 eq completed dep_state s3
check "then the queued one runs to completion" wait_for 180 eq completed dep_state s4
check "it started scaling only after the first one ended" \
  before "$(state_time s3 completed)" "$(state_time s4 scaling)"
check_eq "the frontend serves 5.0 from green" "version 5.0 color green" "$(served)"
check_eq "no effect done twice, no provider change made twice" "$(printf '0\n0')" "$(effects_twice)"
check "nothing is left open" wait_for 30 eq 0 effects_open

finish
