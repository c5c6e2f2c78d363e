#!/usr/bin/env bash
# test_aws_cache_flush - the cache stage's calls of the aws provider against
# moto's AWS server, signed with SigV4 as the workers' IAM user:
# 1. without the Systems Manager grant, a command on the instances is
#    refused (AccessDenied): the calls are checked against IAM;
# 2. with the grant the cache stage needs (ssm:SendCommand,
#    ssm:ListCommands, ssm:GetCommandInvocation), a command runs through
#    Run Command on exactly the instances of green's Auto Scaling group
#    (not blue's), AWS-RunShellScript with the command, and each instance's
#    invocation is read back until done;
# 3. a color without an instance in service is refused before anything is
#    sent;
# 4. a CloudFront invalidation of the environment's distribution is created
#    and waited on until Completed.
#
# The provider is driven by tests/integration/provider_probe.c. Needs
# `make` and python3; installs moto[server] and boto3 when they are missing.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/aws/lib.sh"

TMP=$(mktemp -d)
ENV=$(unique_name awscache)
PROBE="$TOP/$BUILD/tests/provider_probe"
PIDS=()

trap helpers_cleanup EXIT

# probe OP ARGS... - one provider operation on this test's environment
probe() { "$PROBE" "$TMP/env.json" "$@" 2>>"$LOGDIR/aws_cache_probe.log"; }

# probe_err OP ARGS... - the operation's stderr (it is expected to fail)
probe_err() { "$PROBE" "$TMP/env.json" "$@" 2>&1 >/dev/null | grep -v '"level"' || true; }

# admin_py CODE - aws_py as the fixture's admin (reads what moto holds)
admin_py() { (source "$TMP/admin-creds.sh" && aws_py "$1") 2>>"$LOGDIR/aws_cache_admin.log"; }

aws_python_ready || { not_ok "moto and boto3 importable" "pip install failed"; exit 1; }
[ -x "$PROBE" ] || { not_ok "the provider probe is built" "run make first"; exit 1; }
start_helper moto_server.py "$TMP/moto.json" || { not_ok "moto starts"; exit 1; }
MOTO=$(json_get "$TMP/moto.json" endpoint)
aws_fixture "$TMP/env.json"

check "scale green to 2" probe scale green 2
check "green's group has 2 instances in service" wait_for 60 eq "2 2 2" probe health green

# 1. the IAM user of the fixture has no Systems Manager grant yet
case "$(probe_err command-start green 60 "cutover-test-1" "true")" in
  *AccessDenied*) ok "without the grant, SendCommand is refused by IAM" ;;
  *) not_ok "without the grant, SendCommand is refused by IAM" "$(probe_err command-start green 60 cutover-test-1 true)" ;;
esac

# 2. the grant the cache stage needs
admin_py "
c('iam').put_user_policy(UserName='cutover', PolicyName='cutover-cache-flush', PolicyDocument=json.dumps({
    'Version': '2012-10-17',
    'Statement': [{'Effect': 'Allow', 'Resource': '*',
                   'Action': ['ssm:SendCommand', 'ssm:ListCommands', 'ssm:GetCommandInvocation']}]}))
" || not_ok "the grant is added"
HANDLE=$(probe command-start green 60 "cutover-$ENV-opcache" "systemctl reload php8.2-fpm")
check "SendCommand gives a handle: the color and the command id" eval '[[ "$HANDLE" =~ ^green/[0-9a-f-]{36}$ ]]'
check "the invocations are read back until done" wait_for 60 eq done eval "probe command-poll $HANDLE | head -1"
GREEN_IDS=$(admin_py "
g = c('autoscaling').describe_auto_scaling_groups(AutoScalingGroupNames=[aws['auto_scaling_groups']['green']])
print(' '.join(sorted(i['InstanceId'] for i in g['AutoScalingGroups'][0]['Instances'])))")
check_eq "every instance of green's group succeeded, and only those" "$GREEN_IDS" \
  "$(probe command-poll "$HANDLE" | awk 'NR > 1 && $2 == "succeeded" { print $1 }' | sort | paste -sd' ')"
check_eq "two instances, none of blue's" 2 "$(probe command-poll "$HANDLE" | awk 'NR > 1' | wc -l)"
SENT=$(admin_py "
cmd = c('ssm').list_commands(CommandId='${HANDLE#green/}')['Commands'][0]
print(cmd['DocumentName'], cmd['Parameters']['commands'][0] == 'systemctl reload php8.2-fpm', cmd['Comment'])")
check_eq "AWS-RunShellScript with the command, the reference as comment" \
  "AWS-RunShellScript True cutover-$ENV-opcache" "$SENT"

# 3. nothing in service: refused before sending
check "scale green to 0" probe scale green 0
check "green's group is empty" wait_for 60 eq "0 0 0" probe health green
case "$(probe_err command-start green 60 "cutover-test-2" "true")" in
  *"no instance of group"*"in service"*) ok "a color without instances in service is refused" ;;
  *) not_ok "a color without instances in service is refused" "$(probe_err command-start green 60 cutover-test-2 true)" ;;
esac

# 4. CloudFront
INVALIDATION=$(probe cache-flush-start "cutover-$ENV-cdn")
check "CreateInvalidation gives an invalidation id" eval '[ -n "$INVALIDATION" ]'
check "the invalidation completes" wait_for 60 eq done probe cache-flush-poll "$INVALIDATION"
check_eq "it invalidates the environment's paths" "/* /shop/?a=1&b=<2>" "$(admin_py "
d = aws['cloudfront']['distribution_id']
inv = c('cloudfront').get_invalidation(DistributionId=d, Id='$INVALIDATION')['Invalidation']
print(' '.join(inv['InvalidationBatch']['Paths']['Items']))")"
[ "$TEST_FAILURES" -eq 0 ]
