# tests/chaos/invariants.sh - the invariant checker of the chaos soak
# (sourced by tests/chaos/run, bash). Every violation is one line of
# $CHAOS_DIR/violations.tsv: time, invariant, environment, detail.
#
# During the run (sampler_loop, about once a second, each environment):
#   weights      the shares the provider last applied (<env>/weights under
#                CUTOVER_RUN_DIR/local) sum to 100, and HAProxy's main backend
#                gives traffic to some server (a total weight above 0);
#   capacity     a color HAProxy gives traffic to has at least the
#                environment's capacity of servers that take it (not in
#                maintenance, not draining, weight above 0, running); a
#                health reading is taken as a violation only when it holds
#                for CHAOS_CAPACITY_SAMPLES samples in a row (default 5):
#                a reload of HAProxy shows a server down until its next check;
#   one-active   never two active (not queued, not terminal) deployments
#                for one environment.
# At the end (final_checks): each deployment's end matches its script;
# no effect done twice, none changed the provider twice; every event a
# worker put in the outbox is on its topic, and every event on a topic a
# worker consumes was taken into that worker's inbox; the outbox, the
# effects and the timers drained.

# violation INVARIANT ENV DETAIL - record one violation
violation() { printf '%s\t%s\t%s\t%s\n' "$(date +%s.%N)" "$1" "$2" "$3" >> "$CHAOS_DIR/violations.tsv"; }

# servers_state ENV - "name op_state admin_state weight" of the main backend's servers
servers_state() {
  echo "show servers state $1" | socat -t 5 - "UNIX-CONNECT:$CUTOVER_HAPROXY_SOCKET" 2>/dev/null |
    awk -v be="$1" '$2 == be && ($4 ~ /^(blue|green)[0-9]+$/) { print $4, $6, $7, $8 }'
}

# colors_serving ENV - "blue_weight blue_count blue_running green_weight
# green_count green_running" over the servers that take traffic: weight
# above 0, neither in maintenance (admin flags 0x63) nor draining (0x18)
colors_serving() {
  local name op admin weight c
  local -A w=([blue]=0 [green]=0) n=([blue]=0 [green]=0) up=([blue]=0 [green]=0)
  while read -r name op admin weight; do
    c=${name%%[0-9]*}
    [ $((admin & 0x7b)) -eq 0 ] && [ "$weight" -gt 0 ] || continue
    w[$c]=$((w[$c] + weight)) n[$c]=$((n[$c] + 1))
    [ "$op" -eq 2 ] && up[$c]=$((up[$c] + 1))
  done < <(servers_state "$1")
  echo "${w[blue]} ${n[blue]} ${up[blue]} ${w[green]} ${n[green]} ${up[green]}"
}

# sample_weights ENV - the weights invariant, once
sample_weights() {
  local file="$CUTOVER_RUN_DIR/local/$1/weights" blue green bw gw
  [ -f "$file" ] && read -r blue green < "$file" && [ $((blue + green)) -ne 100 ] &&
    violation weights "$1" "recorded shares $blue $green"
  [ -n "$(servers_state "$1")" ] || return 0
  read -r bw _ _ gw _ _ <<< "$(colors_serving "$1")"
  [ $((bw + gw)) -eq 0 ] && violation weights "$1" "no server takes traffic"
  return 0
}

# sample_capacity ENV - the capacity invariant, once (DOWN[ENV] counts health misses in a row)
sample_capacity() {
  local bw bn bu gw gn gu short=""
  [ -n "$(servers_state "$1")" ] || return 0
  read -r bw bn bu gw gn gu <<< "$(colors_serving "$1")"
  [ "$bw" -gt 0 ] && [ "$bn" -lt "$CAPACITY" ] && violation capacity "$1" "blue takes traffic on $bn servers"
  [ "$gw" -gt 0 ] && [ "$gn" -lt "$CAPACITY" ] && violation capacity "$1" "green takes traffic on $gn servers"
  { [ "$bw" -gt 0 ] && [ "$bu" -lt "$CAPACITY" ]; } && short="blue $bu running"
  { [ "$gw" -gt 0 ] && [ "$gu" -lt "$CAPACITY" ]; } && short="$short green $gu running"
  if [ -z "$short" ]; then DOWN[$1]=0; return 0; fi
  DOWN[$1]=$((${DOWN[$1]:-0} + 1))
  [ "${DOWN[$1]}" -eq "${CHAOS_CAPACITY_SAMPLES:-5}" ] &&
    violation capacity "$1" "below capacity for ${DOWN[$1]} samples: $short"
  return 0
}

# sample_one_active - the one-active invariant, once, over every environment of the soak
sample_one_active() {
  local env
  for env in $(sql "SELECT environment FROM deployments WHERE environment ~ :'v1' AND NOT queued
                    AND state NOT IN ('completed', 'completed-with-warning', 'failed', 'rolled-back', 'superseded')
                    GROUP BY 1 HAVING count(*) > 1" "$CUTOVER_ENVIRONMENTS" 2>/dev/null); do
    violation one-active "$env" "two active deployments"
  done
}

# sampler_loop - sample every environment until $CHAOS_DIR/done exists
sampler_loop() {
  local env
  declare -A DOWN=()
  CAPACITY=2
  while [ ! -e "$CHAOS_DIR/done" ]; do
    for env in $(cut -f1 "$CHAOS_DIR/environments" 2>/dev/null); do
      sample_weights "$env"
      sample_capacity "$env"
    done
    sample_one_active
    echo "$(date +%s) sample" >> "$CHAOS_DIR/samples.log"
    sleep 0.5
  done
}

# check_ends - every deployment ended as its script says
check_ends() {
  local env build want got
  while IFS=$'\t' read -r env build want; do
    got=$(sql "SELECT state FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "$env" "$build")
    [ "$got" == "$want" ] || violation end-state "$env" "$build: expected $want, got ${got:-nothing}"
  done < "$CHAOS_DIR/expected.tsv"
}

# current_effects_open - effects of the soak, of their deployment's current epoch, not finished
current_effects_open() {
  sql "SELECT count(*) FROM effects e JOIN deployments d ON d.id = e.deployment_id
       WHERE e.environment ~ :'v1' AND e.status IN ('pending', 'running') AND e.epoch = d.epoch" \
    "$CUTOVER_ENVIRONMENTS"
}

# stale_effects - effects of an older epoch than their deployment's left open
stale_effects() {
  sql "SELECT count(*) FROM effects e JOIN deployments d ON d.id = e.deployment_id
       WHERE e.environment ~ :'v1' AND e.status IN ('pending', 'running') AND e.epoch < d.epoch" \
    "$CUTOVER_ENVIRONMENTS"
}

# check_effects - no effect done twice, none changed the provider twice, none
# of a current epoch left open, no event unsent, no timer overdue
check_effects() {
  local env
  for env in $(cut -f1 "$CHAOS_DIR/environments"); do
    ENV=$env
    [ "$(effects_twice | paste -sd ' ')" == "0 0" ] ||
      violation effect-twice "$env" "$(sql "SELECT string_agg(kind || '@' || arg, ' ') FROM effects
        WHERE environment = :'v1' AND provider_calls > 1" "$env")"
    [ "$(outbox_unsent)" == 0 ] || violation drain "$env" "$(outbox_unsent) events unsent"
  done
  [ "$(current_effects_open)" == 0 ] || violation drain all "$(current_effects_open) effects open"
  [ "$(sql "SELECT count(*) FROM timers t JOIN deployments d ON d.id = t.deployment_id
            WHERE d.environment ~ :'v1' AND t.fired_at IS NULL AND t.cancelled_at IS NULL
            AND t.fire_at < now() - interval '60 seconds'" "$CUTOVER_ENVIRONMENTS")" == 0 ] ||
    violation drain all "timers overdue and not fired"
}

# topic_ids TOPIC - "source id" of every record on TOPIC about the soak's environments
topic_ids() {
  consume "$1" | jq -r --arg re "$CUTOVER_ENVIRONMENTS" 'select((.subject // "") | test($re)) | "\(.source) \(.id)"' |
    sort -u
}

# check_events - nothing lost between outbox and topic, nor between topic and inbox
check_events() {
  local topic consumer missing
  for topic in green-scaled green-deployed green-validated shift-requested traffic-shifted deployment-status; do
    missing=$(comm -23 <(sql "SELECT value FROM outbox WHERE key ~ :'v1' AND topic = :'v2'" \
                "$CUTOVER_ENVIRONMENTS" "$topic" | jq -r '"\(.source) \(.id)"' | sort -u) \
              <(topic_ids "$topic") | wc -l)
    [ "$missing" -eq 0 ] || violation event-lost all "$missing outbox events of $topic not on the topic"
  done
  for topic in build-ready:scaler green-scaled:deployer green-deployed:validator alarm-fired:rollbacker; do
    consumer=${topic#*:} topic=${topic%%:*}
    missing=$(comm -23 <(topic_ids "$topic") \
              <(sql "SELECT source || ' ' || id FROM inbox WHERE consumer LIKE '%' || :'v1' || '%'
                     AND subject ~ :'v2'" "$consumer" "$CUTOVER_ENVIRONMENTS" | sort -u) | wc -l)
    [ "$missing" -eq 0 ] || violation event-lost all "$missing $topic events never in $consumer's inbox"
  done
}

# final_checks - the end-of-run invariants
final_checks() {
  check_ends
  check_effects
  check_events
}
