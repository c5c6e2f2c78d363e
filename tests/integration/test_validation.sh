#!/usr/bin/env bash
# test_validation - a broken release never takes traffic, with the five
# workers against the real broker, database and HAProxy (local provider).
#
# The release is the demo's broken release: its /health answers 503, and
# its own ValidateService hook only checks that it answers with its
# version, so it installs and only the validator can catch it. The
# deployment goes scaling -> deploying ->
# validating -> failed; green-validated says passed false with the health
# check's 503 (checked through the preview route, with the preview header)
# while the other checks still ran; no traffic-shifted event, and HAProxy's
# weights (sampled from its admin socket the whole time) never gave green
# any traffic; the preview is closed, green is scaled to zero, blue still
# serves 1.0 and stays the live color.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

use_test_prefix
saga_setup val
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"

# haproxy_weight COLOR - the sum of COLOR's weights in the environment's live
# backend, from HAProxy's admin socket ("-" when HAProxy did not answer)
haproxy_weight() {
  echo "show servers state $ENV" | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_SOCKET" 2>/dev/null |
    awk -v be="$ENV" -v color="$1" '$2 == be && index($4, color) == 1 { seen = 1; sum += $8 }
                                    END { print seen ? sum : "-" }'
}

# sample_weights FILE - append green's weight to FILE every 100 ms
sample_weights() { while :; do haproxy_weight green >> "$1"; sleep 0.1; done; }

# preview_closed - a request with the preview header no longer reaches green
preview_closed() { ! served "X-Cutover-Preview: green" > /dev/null 2>&1; }

# event_of TOPIC - the data of the topic's events about deployment $ID
event_of() { consume "$1" | jq -c --arg id "$ID" 'select(.data.deployment_id == $id) | .data'; }

# has_verdict - green-validated was emitted about deployment $ID
has_verdict() { [ -n "$(event_of green-validated)" ]; }

# no_traffic - the deployment's traffic never moved (event, HAProxy)
no_traffic() {
  local samples moved
  check_eq "no traffic-shifted event" "" "$(event_of traffic-shifted)"
  samples=$(grep -c '^0$' "$SAMPLES" || true)
  moved=$(grep -v '^-$' "$SAMPLES" | grep -vc '^0$' || true)
  check "HAProxy answered while it ran ($samples samples)" test "$samples" -gt 10
  check_eq "green's weight in HAProxy was 0 in every sample" 0 "$moved"
  check "blue keeps its weight in HAProxy" gt 0 haproxy_weight blue
  check "green is scaled to zero" wait_for 60 eq "0 0 0" probe health green
  check_eq "blue is still the live color" blue "$(live_color)"
  check_eq "blue still serves 1.0" "version 1.0 color blue" "$(served)"
}

saga_release 3.0 --broken
check_eq "blue serves 1.0 before the deployment" "version 1.0 color blue" "$(served)"
gate_open all
SAMPLES=$TMP/weights
sample_weights "$SAMPLES" &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null; saga_cleanup' EXIT
start_saga_workers

build_ready b3 3.0
check "the deployment fails" wait_for ${VAL_WAIT:-240} eq failed dep_state b3
ID=$(dep_id b3)
check_eq "it failed in validation" "scaling deploying validating failed" "$(dep_path b3)"
check "green-validated was emitted" wait_for 30 has_verdict
VERDICT=$(event_of green-validated | head -1)
check_eq "it says passed false" false "$(jq -r .passed <<< "$VERDICT")"
check_eq "every check ran, in order" "health gate" "$(jq -r '[.checks[].name] | join(" ")' <<< "$VERDICT")"
check_eq "the health check failed through the preview route" "false" \
  "$(jq -r '.checks[0].passed' <<< "$VERDICT")"
check "its detail names the 503" grep -q "status 503" <<< "$(jq -r '.checks[0].detail' <<< "$VERDICT")"
check_eq "the gate command passed" true "$(jq -r '.checks[1].passed' <<< "$VERDICT")"
check_eq "the event carries the deployment's epoch" 1 "$(jq -r .epoch <<< "$VERDICT")"
check_eq "the validate effect recorded the checks" "health gate" \
  "$(sql "SELECT string_agg(c->>'name', ' ') FROM effects, jsonb_array_elements(result->'checks') c
          WHERE deployment_id = :'v1' AND kind = 'validate'" "$ID")"
check "the preview is closed" wait_for 30 preview_closed
check "open-preview, validate and close-preview are done" wait_for 30 eq \
  "open-preview:done validate:done close-preview:done" \
  sql "SELECT string_agg(kind || ':' || status, ' ' ORDER BY id) FROM effects
       WHERE deployment_id = :'v1' AND owner = 'validator'" "$ID"
no_traffic

check_eq "no effect done twice, no provider change made twice" "$(printf '0\n0')" "$(effects_twice)"
check "every worker is still running" bash -c "for p in ${WORKER_PIDS[*]}; do kill -0 \$p || exit 1; done"
[ "$TEST_FAILURES" -eq 0 ] || echo "# $(echo "show servers state $ENV" | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_SOCKET" | tr '\n' '|')"

kill "$SAMPLER" 2>/dev/null
finish
