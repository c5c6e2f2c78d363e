#!/usr/bin/env bash
# test_aws_saga - whole deployments with the five workers and the aws
# provider against moto's AWS server (SigV4 and IAM checking on; the
# workers sign as the fixture's least-privilege IAM user):
#
# 1. a canary 10 -> 50 -> 100 goes scaling -> deploying -> validating ->
#    shifting -> promoted -> completed: the new color's Auto Scaling Group
#    is scaled up, its release goes out through a CodeDeploy deployment to
#    its deployment group, the CloudFront distribution is invalidated once,
#    before the first shift, the listener's target group weights in moto
#    follow 10, 50 and 100 (sampled while the deployment runs), and after
#    the bake the old color's group is at desired capacity 0;
# 2. an alarm during a canary step rolls back: the listener is 100 % on
#    the old color again and the new color's group is at 0;
# 3. a scaler with a wrong secret key fails the deployment promptly (well
#    within the stage timeout, not a hang), with SignatureDoesNotMatch as
#    the reason in `cutover status --json` and `cutover history`. Before
#    its build-ready, probe records show that the restarted scaler consumes
#    again (scaler_consuming). It moved no traffic: no invalidation;
# 4. a canary step gated by CloudWatch (the environment's strategy: the new
#    color's HTTPCode_Target_5XX_Count through GetMetricData, at least 100
#    requests by RequestCount; datapoints put in moto with boto3): 40 5XX
#    above a maximum of 10 fail the analysis and roll the canary back, the
#    history showing the request as sent (the new color's target group);
#    under a maximum of 100 the analysis passes and the canary completes.
#
# TEST SCAFFOLDING: moto never finishes a CodeDeploy deployment, so
# tests/aws/codedeploy_agent.py stands in for the CodeDeploy agent and
# marks each deployment of the environment's groups Succeeded through
# moto_server.py's control port. tests/aws/listener_sampler.py records the
# listener's weights. Needs `make`, the dev stack and python3; installs
# moto[server] and boto3 with pip when they are missing.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/aws/lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

TMP=$(mktemp -d)
ENV=$(unique_name awsg)
BAKE=2
SCALE_TIMEOUT=45
HELPERS=()

# cleanup - stop the workers, the scaffolding loops and moto; remove the scratch directory
cleanup() {
  local pid
  stop_workers
  for pid in "${HELPERS[@]+"${HELPERS[@]}"}"; do kill "$pid" 2>/dev/null; done
  for pid in "${HELPERS[@]+"${HELPERS[@]}"}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# helper NAME ARGS... - a python helper of tests/aws in the background (output in $TMP/NAME.out)
helper() {
  local name=$1
  shift
  python3 "$TOP/tests/aws/$name.py" "$@" >"$TMP/$name.out" 2>>"$LOGDIR/aws-$name.log" &
  HELPERS+=($!)
  LAST_HELPER=$!
}

# stop_helper PID - stop one helper and wait for it
stop_helper() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# weights - "blue green" as moto's listener holds them now
weights() {
  python3 "$TOP/tests/aws/listener_sampler.py" --env "$TMP/env.json" --endpoint "$MOTO" --once
}

# asg COLOR - "desired min instances" of the color's Auto Scaling Group in moto
asg() {
  aws_py "
g = c('autoscaling').describe_auto_scaling_groups(
    AutoScalingGroupNames=[aws['auto_scaling_groups']['$1']])['AutoScalingGroups'][0]
print(g['DesiredCapacity'], g['MinSize'], len(g['Instances']))"
}

# codedeploy_of HANDLE - "group status description" of a CodeDeploy deployment in moto
codedeploy_of() {
  aws_py "
i = c('codedeploy').get_deployment(deploymentId='$1')['deploymentInfo']
print(i['deploymentGroupName'], i['status'], i.get('description', ''))"
}

# invalidations - "reference created paths status" of each invalidation of the
# environment's distribution, oldest first (created: epoch seconds; read as the fixture's admin)
invalidations() {
  (source "$TMP/admin-creds.sh" && aws_py "
import datetime
cf, d = c('cloudfront'), aws['cloudfront']['distribution_id']
items = cf.list_invalidations(DistributionId=d)['InvalidationList'].get('Items') or []
for i in sorted(items, key=lambda i: i['CreateTime']):
    b = cf.get_invalidation(DistributionId=d, Id=i['Id'])['Invalidation']
    t = b['CreateTime']
    t = t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)
    print(b['InvalidationBatch']['CallerReference'], t.timestamp(),
          '|'.join(b['InvalidationBatch']['Paths']['Items']), b['Status'])")
}

# invalidated_before_shift ID - t when the deployment's invalidation (moto's
# CreateTime) came before its first weight change
invalidated_before_shift() {
  local created
  created=$(invalidations | awk -v ref="cutover-$1-" 'index($1, ref) == 1 { print $2; exit }')
  [ -n "$created" ] || { echo "no invalidation"; return; }
  sql "SELECT min(extract(epoch FROM at)) > :'v2' FROM transitions
       WHERE deployment_id = :'v1' AND event_type = 'effect:set-weights'" "$1" "$created"
}

# sampler_start - record the listener's weights while a deployment runs
sampler_start() {
  rm -f "$TMP/listener_sampler.out" # the last run's samples must not pass for this one's first
  helper listener_sampler --env "$TMP/env.json" --endpoint "$MOTO" --interval 0.1
  SAMPLER=$LAST_HELPER
  wait_for 20 test -s "$TMP/listener_sampler.out"
}

# sampler_stop - stop the sampler; print the distinct weights it saw, in order
sampler_stop() {
  stop_helper "$SAMPLER"
  grep -E '^[0-9]+ [0-9]+$' "$TMP/listener_sampler.out" | uniq | paste -sd, -
}

# build_ready BUILD VERSION [CANARY] - CI's build-ready for an S3 release, through the CLI
# (no CANARY: the environment's strategy)
build_ready() {
  "$BIN/cutover" publish build-ready --env "$ENV" --build "$1" --version "$2" \
    --artifact "s3://$BUCKET/releases/app-$2.tar.gz" \
    --sha256 "$(printf 'release %s' "$2" | sha256sum | cut -d' ' -f1)" ${3:+--canary "$3"} \
    >>"$LOGDIR/aws-saga-cli.log" 2>&1
}

# gated_env MAX - apply the environment with a canary 10 % -> 100 % whose first step is
# gated by CloudWatch: the new color's latest 5XX count at most MAX, with 100 requests or more
gated_env() {
  jq --argjson q "$(alb_query HTTPCode_Target_5XX_Count)" --argjson r "$(alb_query RequestCount)" \
    --argjson max "$1" '.strategy = {kind: "canary", auto_promote: true, steps: [
      {weight: 10, pause_seconds: 4, analysis: {metrics: [{name: "5xx", provider: "cloudwatch",
        cloudwatch: $q, max: $max, interval_seconds: 1, min_requests: {cloudwatch: $r, min: 100}}]}},
      {weight: 100, pause_seconds: 0}]}' "$TMP/env.json" > "$TMP/gated-env.json"
  "$BIN/cutover" env apply "$TMP/gated-env.json" >>"$LOGDIR/aws-saga-cli.log" 2>&1
}

# gate_history ID - the deployment's first CloudWatch measurement, as its history says it
gate_history() {
  sql "SELECT reason FROM transitions WHERE deployment_id = :'v1'
       AND event_type = 'analysis:measurement' ORDER BY id LIMIT 1" "$1"
}

# event_of TOPIC ID JQ - a jq expression over the data of the ID's event on TOPIC
event_of() {
  consume "$1" | jq -r --arg id "$2" "select(.data.deployment_id == \$id) | .data | $3" | head -1
}

# workers_alive - every worker this test started is still running
workers_alive() {
  local pid
  for pid in "${WORKER_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
}

# restart_scaler - stop the scaler this test started (a new one is started next)
restart_scaler() {
  local pid kept=()
  kill "$SCALER" 2>/dev/null
  wait "$SCALER" 2>/dev/null
  for pid in "${WORKER_PIDS[@]}"; do [ "$pid" == "$SCALER" ] || kept+=("$pid"); done
  WORKER_PIDS=("${kept[@]}")
}

# secret_kept_out SECRET TEXT - SECRET is neither in TEXT nor in the scaler's log
secret_kept_out() { ! grep -qF -- "$1" "$LOGDIR/worker-scaler.log" && ! grep -qF -- "$1" <<< "$2"; }

# probe_consumed ID - the scaler dead-lettered the probe event ID
probe_consumed() { consume dead-letter | grep -qF -- "$1"; }

# scaler_consuming - the restarted scaler takes records from ENV's partition
# again: a probe build-ready keyed like ENV's records, for an environment
# that does not exist, comes back on dead-letter (a record published while
# the scaler joins its group is not skipped)
scaler_consuming() {
  local id data
  id=$(unique_name probe)
  data=$(printf '{"environment":"%s-none","build_id":"%s","version":"0.0","artifact":{"uri":"s3://%s/none.tar.gz","sha256":"%s"}}' \
    "$ENV" "$id" "$BUCKET" "$(printf none | sha256sum | cut -d' ' -f1)")
  publish build-ready "$ENV" "$(cloud_event build-ready "$ENV-none" "$data" "$id")"
  wait_for 45 probe_consumed "$id"
}

# ---------------------------------------------------------------- set-up

aws_python_ready || { not_ok "moto and boto3 importable" "pip install failed"; exit 1; }
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] && [ -x "$BIN/cutover" ] || { not_ok "cutover and its five workers are built" "missing: $missing"; exit 1; }
use_test_prefix

python3 "$TOP/tests/aws/moto_server.py" --ready-file "$TMP/moto.json" >>"$LOGDIR/aws-moto_server.py.log" 2>&1 &
HELPERS+=($!)
wait_for 30 test -s "$TMP/moto.json" || { not_ok "moto starts"; exit 1; }
MOTO=$(json_get "$TMP/moto.json" endpoint)
CONTROL=$(json_get "$TMP/moto.json" control)
aws_fixture "$TMP/fixture-env.json"

# the fixture's document with a short bake, short stage timeouts and a check
# that needs no network (the load balancer's DNS name does not resolve here)
jq --argjson bake "$BAKE" --argjson scale "$SCALE_TIMEOUT" '. + {
  bake_seconds: $bake,
  timeouts: {scale: $scale, deploy: 45, validate: 45},
  strategy: {kind: "canary", steps: [{weight: 10, pause_seconds: 2}, {weight: 50, pause_seconds: 2}],
             auto_promote: true},
  checks: [{name: "version-set", kind: "command", command: "test -n \"$CUTOVER_VERSION\"",
            timeout_seconds: 10}]}' "$TMP/fixture-env.json" > "$TMP/env.json"
check "cutover env apply registers the aws environment" \
  eval '"$BIN/cutover" env apply "$TMP/env.json" >>"$LOGDIR/aws-saga-cli.log" 2>&1'
check_eq "the listener forwards to blue only" "100 0" "$(weights)"
check_eq "blue runs 2 instances, green none" "2 2 2 / 0 0 0" "$(asg blue) / $(asg green)"

helper codedeploy_agent --env "$TMP/env.json" --endpoint "$MOTO" --control "$CONTROL" --interval 0.2
for name in deployer validator shifter rollbacker; do start_worker "$name"; done
start_worker scaler
SCALER=$LAST_WORKER_PID

# ---------------------------------------------------------------- 1. canary to completed

sampler_start
T0=$SECONDS
build_ready a1 2.0 10:2,50:2,100
check "the canary deployment completes" wait_for 120 eq completed dep_state a1
echo "# deployment 1 took $((SECONDS - T0)) s"
SEEN=$(sampler_stop)
A1=$(dep_id a1)
check_eq "it went through every state once" \
  "scaling deploying validating shifting promoted completed" "$(dep_path_from_scaling a1)"
check_eq "green-scaled: green at capacity, healthy in moto" "green 2 2" \
  "$(event_of green-scaled "$A1" '"\(.color) \(.capacity) \(.healthy)"')"
H1=$(event_of green-deployed "$A1" .provider_deployment_id)
check "green-deployed carries the CodeDeploy deployment id" grep -qE '^(d-[A-Z0-9]+|[0-9a-f-]{36})$' <<< "$H1"
check_eq "that CodeDeploy deployment went to the green group, tagged, and succeeded" \
  "$ENV-green Succeeded cutover:$A1 $ENV 2.0" "$(codedeploy_of "$H1")"
check_eq "green-validated passed its check" "true version-set" \
  "$(event_of green-validated "$A1" '"\(.passed) \([.checks[].name] | join(","))"')"
check_eq "the listener's weights in moto followed 10, 50, 100 (blue green)" \
  "100 0,90 10,50 50,0 100" "$SEEN"
check_eq "traffic-shifted announced 10, 50, 100" "10 50 100" "$(shifted "$A1")"
check_eq "the CloudFront distribution was invalidated once" 1 "$(invalidations | wc -l)"
check "for this deployment, with the environment's paths, and it completed" \
  grep -qxE "cutover-$A1-[0-9]+ [0-9.]+ /\*\|/shop/\?a=1&b=<2> (COMPLETED|Completed)" <<< "$(invalidations)"
check_eq "the invalidation came before the first weight change" t "$(invalidated_before_shift "$A1")"
check_eq "the listener is all green" "0 100" "$(weights)"
check_eq "the live color is green" green "$(live_color)"
check "blue's group is at desired capacity 0 after the bake" wait_for 30 eq "0 0 0" asg blue
check_eq "green's group runs at capacity" "2 2 2" "$(asg green)"
check_eq "completed no sooner than the bake time after promoted" t \
  "$(sql "SELECT extract(epoch FROM c.at - p.at) >= :'v2' FROM transitions p, transitions c
          WHERE p.deployment_id = :'v1' AND c.deployment_id = :'v1'
          AND p.from_state = 'shifting' AND p.to_state = 'promoted'
          AND c.from_state = 'promoted' AND c.to_state = 'completed'" "$A1" "$BAKE")"
check_eq "scale-new, deploy-new and retire-old each called the provider once" "1 1 1" \
  "$(sql "SELECT string_agg(provider_calls::text, ' ' ORDER BY id) FROM effects
          WHERE deployment_id = :'v1' AND kind IN ('scale-new', 'deploy-new', 'retire-old')" "$A1")"
check_eq "the preview rule is gone from the listener" 0 \
  "$(aws_py "print(sum(1 for r in c('elbv2').describe_rules(ListenerArn=aws['listener_arn'])['Rules'] if not r['IsDefault']))")"
check "every state change was announced on deployment-status" wait_for 30 eq \
  "scaling deploying validating shifting promoted completed" status_states "$A1"

# ---------------------------------------------------------------- 2. alarm during a canary step

sampler_start
T0=$SECONDS
build_ready a2 2.1 10:2,50:120,100
check "the second canary reaches its 50 % step" wait_for 120 eq "10:done 50:done" shifts_of a2
A2=$(dep_id a2)
check_eq "blue is the new color this time" blue "$(sql "SELECT new_color FROM deployments WHERE id = :'v1'" "$A2")"
check_eq "moto's listener splits 50/50" "50 50" "$(weights)"
check_eq "blue's group runs at capacity" "2 2 2" "$(asg blue)"
T1=$(now_ms)
check "cutover alarm publishes alarm-fired" \
  eval '"$BIN/cutover" alarm "$ENV" --alarm x --reason "checkout errors" >>"$LOGDIR/aws-saga-cli.log" 2>&1'
check "the listener is back to 100 % green in moto" wait_for 30 eq "0 100" weights
echo "# rollback took $(($(now_ms) - T1)) ms (alarm to 100 % old color in moto)"
check "the deployment is rolled back" wait_for 60 eq rolled-back dep_state a2
echo "# deployment 2 took $((SECONDS - T0)) s"
SEEN=$(sampler_stop)
check_eq "its path" "scaling deploying validating shifting rolling-back rolled-back" \
  "$(dep_path_from_scaling a2)"
check_eq "the listener's weights went 10, 50, then back (blue green)" \
  "0 100,10 90,50 50,0 100" "$SEEN"
check_eq "one more invalidation, for this deployment" "2 cutover-$A2-" \
  "$(invalidations | awk '{ n++; ref = $1 } END { sub(/[0-9]+$/, "", ref); print n, ref }')"
check_eq "moto's listener holds 100 % on the old color" "0 100" "$(weights)"
check "the new color's group is at desired capacity 0" wait_for 30 eq "0 0 0" asg blue
check_eq "the old color's group still runs at capacity" "2 2 2" "$(asg green)"
check_eq "the live color is still green" green "$(live_color)"
check_eq "the alarm is the rollback's cause in the history" 1 \
  "$(sql "SELECT count(*) FROM transitions WHERE deployment_id = :'v1' AND event_type = 'cutover.alarm-fired'
          AND to_state = 'rolling-back'" "$A2")"
check_eq "cutover status --json names the alarm as the reason" "$A2 rolled-back alarm x ALARM" \
  "$("$BIN/cutover" status "$ENV" --json | jq -r '.last_finished | "\(.id) \(.state) \(.reason)"' | cut -d' ' -f1-5)"
H2=$(event_of green-deployed "$A2" .provider_deployment_id)
check_eq "its CodeDeploy deployment went to the blue group" "$ENV-blue" "$(codedeploy_of "$H2" | cut -d' ' -f1)"

# ---------------------------------------------------------------- 3. a wrong secret key

WRONG=wrong-$(unique_name secret)
restart_scaler
start_worker scaler AWS_SECRET_ACCESS_KEY="$WRONG"
SCALER=$LAST_WORKER_PID
check "the restarted scaler consumes build-ready" scaler_consuming
T0=$SECONDS
build_ready a3 2.2 10:2,50:2,100
check "the deployment fails within the scale timeout (${SCALE_TIMEOUT} s)" \
  wait_for $((SCALE_TIMEOUT - 5)) eq failed dep_state a3
echo "# deployment 3 failed after $((SECONDS - T0)) s"
A3=$(dep_id a3)
STATUS=$("$BIN/cutover" status "$ENV" --json 2>&1)
check_eq "cutover status --json: the last deployment failed" "$A3 failed" \
  "$(jq -r '.last_finished | "\(.id) \(.state)"' <<< "$STATUS")"
REASON=$(jq -r '.last_finished.reason // ""' <<< "$STATUS")
echo "# reason: $REASON"
check "its reason carries SignatureDoesNotMatch and the failed call" \
  grep -q '^scale: UpdateAutoScalingGroup: SignatureDoesNotMatch: .*(request id ' <<< "$REASON"
check "cutover history carries SignatureDoesNotMatch" \
  grep -q 'SignatureDoesNotMatch' <<< "$("$BIN/cutover" history "$ENV" --json | jq -r --arg id "$A3" \
    '.deployments[] | select(.id == $id) | (.reason // ""), (.transitions[].reason // "")')"
check_eq "it failed in scaling, before any traffic moved" "scaling failed" "$(dep_path_from_scaling a3)"
check "the wrong secret stays out of the reason and the scaler's log" \
  secret_kept_out "$WRONG" "$REASON"
check_eq "moto's listener did not move" "0 100" "$(weights)"
check_eq "and nothing was invalidated for it" 2 "$(invalidations | wc -l)"
check "the new color's group is at desired capacity 0" wait_for 30 eq "0 0 0" asg blue
check_eq "the live color's group still runs at capacity" "2 2 2" "$(asg green)"
check_eq "no CodeDeploy deployment was made for it: blue's group holds only the second's" "$H2" \
  "$(aws_py "print(' '.join(c('codedeploy').list_deployments(applicationName=aws['codedeploy']['application'],
      deploymentGroupName=aws['codedeploy']['deployment_groups']['blue'])['deployments']))")"

# ---------------------------------------------------------------- 4. a canary step gated by CloudWatch

restart_scaler
start_worker scaler
SCALER=$LAST_WORKER_PID
check "the scaler with the right key consumes again" scaler_consuming
read -r LB TG <<<"$(alb_put HTTPCode_Target_5XX_Count blue 40 && alb_put RequestCount blue 200 >/dev/null)"
check "blue's 5XX count and requests are in moto" test -n "$TG"
check "cutover env apply takes a CloudWatch analysis" gated_env 10
build_ready a4 2.3
check "40 5XX above a maximum of 10: the analysis fails, the canary rolls back" \
  wait_for 120 eq rolled-back dep_state a4
A4=$(dep_id a4)
check_eq "its path" "scaling deploying validating shifting rolling-back rolled-back" "$(dep_path_from_scaling a4)"
check_eq "the verdict is in the history" analysis:failed "$(verdicts "$A4")"
case "$(gate_history "$A4")" in
  "analysis of step 0: 5xx #1 fail: 40 outside [-inf, 10] (query: GetMetricData AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum {LoadBalancer=$LB, TargetGroup=$TG}, period 60 s, latest in "*)
    ok "the measurement names the request as sent: blue's target group" ;;
  *) not_ok "the measurement names the request as sent: blue's target group" "$(gate_history "$A4")" ;;
esac
check_eq "moto's listener holds 100 % on the old color" "0 100" "$(weights)"
check "under a maximum of 100" gated_env 100
build_ready a5 2.4
check "the analysis passes and the canary completes" wait_for 120 eq completed dep_state a5
A5=$(dep_id a5)
check_eq "the verdict is in the history" analysis:passed "$(verdicts "$A5")"
check_eq "four measurements passed, one a second over the 4 s pause" 4 "$(measurements "$A5" pass)"
check_eq "the listener is all blue" "100 0" "$(weights)"
check_eq "the live color is blue" blue "$(live_color)"

check "the outbox is drained" wait_for 30 eq 0 outbox_unsent
check "every worker is still running" workers_alive

finish
