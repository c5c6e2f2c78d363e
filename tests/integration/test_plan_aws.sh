#!/usr/bin/env bash
# test_plan_aws - cutover plan on an aws environment (moto stands in for
# AWS, SigV4 and IAM checked): the plan shows the listener's current
# target group weights read from moto, lists scaling the new color's Auto
# Scaling Group, its CodeDeploy deployment and each weight of the canary,
# and changes nothing in moto (weights, groups' capacity, deployments).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/aws/lib.sh"

TMP=$(mktemp -d)
ENV=$(unique_name awsplan)
PIDS=()
trap helpers_cleanup EXIT

aws_python_ready || { not_ok "moto and boto3 importable" "pip install failed"; exit 1; }
[ -x "$BIN/cutover" ] || { not_ok "cutover is built"; exit 1; }
use_test_prefix
start_helper moto_server.py "$TMP/moto.json" || { not_ok "moto starts"; exit 1; }
MOTO=$(json_get "$TMP/moto.json" endpoint)
aws_fixture "$TMP/fixture-env.json"
jq '. + {strategy: {kind: "canary", steps: [{weight: 10, pause_seconds: 2}, {weight: 50, pause_seconds: 2}]}}' \
  "$TMP/fixture-env.json" > "$TMP/env.json"
check "cutover env apply registers the aws environment" \
  eval '"$BIN/cutover" env apply "$TMP/env.json" >>"$LOGDIR/plan-aws.log" 2>&1'

# weights - "blue green" as moto's listener holds them now
weights() { python3 "$TOP/tests/aws/listener_sampler.py" --env "$TMP/env.json" --endpoint "$MOTO" --once; }

# moto_state - listener weights, both groups' desired capacity, CodeDeploy deployments
moto_state() {
  echo "$(weights) $(aws_py "
asg = c('autoscaling').describe_auto_scaling_groups(
    AutoScalingGroupNames=list(aws['auto_scaling_groups'].values()))['AutoScalingGroups']
cd = aws['codedeploy']
n = sum(len(c('codedeploy').list_deployments(applicationName=cd['application'],
        deploymentGroupName=g)['deployments']) for g in cd['deployment_groups'].values())
print(sorted(g['DesiredCapacity'] for g in asg), n)")"
}
before=$(moto_state)
check "moto's state is read: all on blue, groups at 0 and 2" grep -qE "^100 0 \[0, 2\] [0-9]+$" <<< "$before"
JSON=$("$BIN/cutover" plan "$ENV" --build b2 --version 2.0 --artifact s3://b/app-2.0.zip --sha256 "$(printf %064d 0)" --json 2>>"$LOGDIR/plan-aws.log")
check_eq "cutover plan exits 0" 0 "$?"
check_eq "it reads the listener's weights from moto" "$(weights)" \
  "$(jq -r '"\(.current.blue) \(.current.green)"' <<< "$JSON")"
check "it lists scaling the green Auto Scaling Group" \
  eval 'jq -e "[.path[].calls[]] | index(\"scale green 2\")" <<< "$JSON" >/dev/null'
check "it lists the CodeDeploy deployment of 2.0" \
  eval 'jq -e "[.path[].calls[] | select(startswith(\"deploy_start green version=2.0\"))] | length == 1" <<< "$JSON" >/dev/null'
check_eq "it lists each canary weight on the listener" \
  "blue=90 green=10,blue=50 green=50,blue=0 green=100" \
  "$(jq -r '[.path[].calls[] | select(startswith("set_weights")) | sub("set_weights ";"")] | join(",")' <<< "$JSON")"
check_eq "moto unchanged: weights, capacities, deployments" "$before" "$(moto_state)"
finish
