# tests/traffic_lib.sh - helpers for the canary and rollback tests (sourced
# after tests/lib.sh and tests/saga_lib.sh, bash): canary strategies,
# alarms, the weights HAProxy applies, the traffic-shifted events of a
# deployment, and a sampler that records every weight change it sees.

# canary STEP... - a canary strategy; each STEP is WEIGHT:PAUSE (PAUSE "null": an operator)
canary() {
  local step steps="" sep=""
  for step in "$@"; do
    steps+=$(printf '%s{"weight":%s,"pause_seconds":%s}' "$sep" "${step%%:*}" "${step#*:}")
    sep=,
  done
  printf '{"kind":"canary","steps":[%s],"auto_promote":true}' "$steps"
}

# alarm_fired STATE - monitoring reports an alarm (ALARM or OK) for ENV
alarm_fired() {
  local data
  data=$(printf '{"environment":"%s","alarm":"5xx-rate","state":"%s","severity":"critical","reason":"error rate above 5 %%","source":"tests"}' \
    "$ENV" "$1")
  publish alarm-fired "$ENV" "$(cloud_event alarm-fired "$ENV" "$data")"
}

# weights - "blue green" as HAProxy applies them now
weights() { probe get-weights; }

# shifted ID - the new color's share in each traffic-shifted event of ID, in order
shifted() {
  consume traffic-shifted | jq -r --arg id "$1" 'select(.data.deployment_id == $id) | "\(.id) \(.data.weights[.data.color])"' |
    awk '!seen[$1]++ { printf "%s%s", sep, $2; sep = " " }'
}

# now_ms - wall clock milliseconds
now_ms() { date +%s%3N; }

# sampler_start - record HAProxy's weights every 100 ms into $TMP/weights.log
sampler_start() {
  (while :; do weights; sleep 0.1; done) > "$TMP/weights.log" 2>/dev/null &
  SAMPLER=$!
}

# sampler_stop - stop the sampler; print the distinct weights seen, in order
sampler_stop() {
  kill "$SAMPLER" 2>/dev/null
  wait "$SAMPLER" 2>/dev/null
  grep -E '^[0-9]+ [0-9]+$' "$TMP/weights.log" | uniq | paste -sd, -
}

# transition_reason ID EVENT_TYPE - the reasons recorded for an event type, one a line
transition_reason() {
  sql "SELECT from_state || ' -> ' || to_state || ': ' || coalesce(reason, '') FROM transitions
       WHERE deployment_id = :'v1' AND event_type = :'v2' ORDER BY id" "$1" "$2"
}

# dead_letter_code EVENT_ID - the error code of the dead letter of an event ("" when none)
dead_letter_code() {
  consume dead-letter | jq -r --arg id "$1" 'select((.data.value // "") | contains($id)) | .data.error.code' | head -1
}

# dead_letter_message EVENT_ID - the error message of the dead letter of an event
dead_letter_message() {
  consume dead-letter | jq -r --arg id "$1" 'select((.data.value // "") | contains($id)) | .data.error.message' | head -1
}

# has_deployment BUILD - the build has a deployment
has_deployment() { [ -n "$(dep_id "$1")" ]; }

# shifts_of BUILD - "weight:status" of the build's set-weights effects, in order
shifts_of() {
  sql "SELECT string_agg(e.arg || ':' || e.status, ' ' ORDER BY e.id) FROM effects e
       JOIN deployments d ON d.id = e.deployment_id
       WHERE d.environment = :'v1' AND d.build_id = :'v2' AND e.kind = 'set-weights'" "$ENV" "$1"
}

# dep_path_from_scaling BUILD - dep_path from scaling on (the first row's
# from_state differs between a received and a queued start)
dep_path_from_scaling() { dep_path "$1" | sed 's/^.*\<scaling\>/scaling/'; }
