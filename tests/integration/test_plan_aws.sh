#!/usr/bin/env bash
# test_plan_aws - cutover plan on an aws environment (moto stands in for
# AWS, SigV4 and IAM checked): the plan shows the listener's current
# target group weights read from moto, lists scaling the new color's Auto
# Scaling Group, its CodeDeploy deployment and each weight of the canary,
# each named with its AWS call and the environment's resources (group,
# application and deployment group, listener and target group ARNs, the
# preview rule, the CloudFront invalidation's paths before the first share),
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

# the AWS calls each call stands for, named with the environment's resources
A=$(jq -r '.aws' "$TMP/env.json")
aws_of() { jq -r ".$1" <<< "$A"; }
# aws_calls - every AWS call of the plan, one per line, in order
aws_calls() { jq -r '.path[] | .aws // [] | .[] | select(. != null)' <<< "$JSON"; }
check_eq "scaling names the green Auto Scaling Group, to 2" 1 \
  "$(aws_calls | grep -c "^autoscaling:UpdateAutoScalingGroup $(aws_of auto_scaling_groups.green) MinSize=2 DesiredCapacity=2 MaxSize=$(aws_of 'capacity.max // 100')\$")"
check_eq "the deployment names the CodeDeploy application, deployment group and revision" 1 \
  "$(aws_calls | grep -c "^codedeploy:CreateDeployment application=$(aws_of codedeploy.application) deploymentGroupName=$(aws_of codedeploy.deployment_groups.green) .*revision=s3://b/app-2.0.zip\$")"
LISTENER=$(aws_of listener_arn) TG_BLUE=$(aws_of target_groups.blue) TG_GREEN=$(aws_of target_groups.green)
check_eq "each step's listener weights name the listener and both target group ARNs" \
  "$TG_BLUE=90 $TG_GREEN=10,$TG_BLUE=50 $TG_GREEN=50,$TG_BLUE=0 $TG_GREEN=100" \
  "$(aws_calls | grep "^elasticloadbalancing:ModifyListener $LISTENER forward " | sed 's/.* forward //' | paste -sd,)"
check_eq "the preview rule: created on the listener for green's target group" 1 \
  "$(aws_calls | grep -c "^elasticloadbalancing:CreateRule $LISTENER Priority=$(aws_of 'preview.priority // 10') if X-Cutover-Preview: green forward $TG_GREEN ")"
check_eq "and deleted" 1 "$(aws_calls | grep -c "DeleteRule of the rule tagged cutover-preview=")"
PATHS=$(aws_of 'cloudfront.paths | join(",")')
check_eq "the CloudFront invalidation names the distribution and its paths" 1 \
  "$(aws_calls | grep -cF "cloudfront:CreateInvalidation $(aws_of cloudfront.distribution_id) Paths=$PATHS CallerReference=")"
check "it comes before the first weight on green" \
  test "$(aws_calls | grep -n -m1 '^cloudfront:CreateInvalidation' | cut -d: -f1)" -lt \
       "$(aws_calls | grep -n -m1 "forward $TG_BLUE=90" | cut -d: -f1)"
TEXT=$("$BIN/cutover" plan "$ENV" --build b2 --version 2.0 --artifact s3://b/app-2.0.zip --sha256 "$(printf %064d 0)" 2>>"$LOGDIR/plan-aws.log")
check "the text output shows each call's AWS call under it" \
  eval 'grep -A1 -- "^  call: scale green 2\$" <<< "$TEXT" | grep -q "^    aws: autoscaling:UpdateAutoScalingGroup "'
check_eq "moto unchanged: weights, capacities, deployments" "$before" "$(moto_state)"
finish
