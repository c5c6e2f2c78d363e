#!/usr/bin/env bash
# test_aws_provider - the aws provider against moto's AWS server, with
# SigV4 and IAM checking on: the provider signs with an IAM user that only
# has the least-privilege policy of ops/terraform/iam.tf.
#
# Scale green to 2 and see it healthy; deploy a release to green through
# CodeDeploy, find the same deployment again instead of creating a second,
# see it succeed, fail and stop (moto's deployments never move by
# themselves: the test scaffolding in tests/aws/moto_server.py moves them,
# standing in for the CodeDeploy agent); open and close a tagged preview
# rule; set weights 10/90 and read them back; a wrong secret key gives
# SignatureDoesNotMatch at once; through tests/aws/throttle_proxy.py, a
# throttled call is retried and succeeds, and gives up with a clear error
# past CUTOVER_AWS_MAX_ATTEMPTS.
#
# The provider is driven by tests/integration/provider_probe.c,
# compiled here against $BUILD/libcutover.a. Needs `make` and python3;
# installs moto[server] and boto3 with pip when they are missing.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/aws/lib.sh"

TMP=$(mktemp -d)
ENV=$(unique_name aws)
PROBE="$TOP/$BUILD/tests/provider_probe"
PIDS=()

trap helpers_cleanup EXIT

# probe OP ARGS... - one provider operation on this test's environment
probe() { "$PROBE" "$TMP/env.json" "$@" 2>>"$LOGDIR/aws_provider_probe.log"; }

# probe_err OP ARGS... - the operation's stderr (it is expected to fail)
probe_err() { "$PROBE" "$TMP/env.json" "$@" 2>&1 >/dev/null | grep -v '"level"' || true; }

# ---------------------------------------------------------------- set-up

aws_python_ready || { not_ok "moto and boto3 importable" "pip install failed"; exit 1; }
[ -f "$TOP/$BUILD/libcutover.a" ] || { not_ok "build present" "run make first"; exit 1; }
[ -x "$PROBE" ] || { not_ok "the provider probe is built" "run make first"; exit 1; }

start_helper moto_server.py "$TMP/moto.json" || { not_ok "moto starts"; exit 1; }
MOTO=$(json_get "$TMP/moto.json" endpoint)
CONTROL=$(json_get "$TMP/moto.json" control)
aws_fixture "$TMP/env.json"
DNS=$(json_get "$TMP/fixture.json" dns)
ARTIFACT="s3://$BUCKET/releases/app-1.0.tar.gz"

# ---------------------------------------------------------------- scale and health

check "open" probe open
check_eq "blue starts healthy 2/2" "2 2 2" "$(probe health blue)"
check_eq "green starts empty" "0 0 0" "$(probe health green)"
check "scale green to 2" probe scale green 2
if wait_for 30 eq "2 2 2" probe health green; then ok "green healthy 2/2"; else not_ok "green healthy 2/2" "$(probe health green)"; fi
check_eq "scale is absolute: green to 2 again changes nothing" "2 2 2" "$(probe scale green 2 && probe health green)"
case "$(probe_err scale green 5)" in
  *"outside aws.capacity 1..4"*) ok "a capacity above aws.capacity.max is refused" ;;
  *) not_ok "a capacity above aws.capacity.max is refused" "$(probe_err scale green 5)" ;;
esac

# ---------------------------------------------------------------- deploy

DEP=$(unique_name dep)
h1=$(probe deploy-start green "$DEP" 1.0 "$ARTIFACT" || true)
check "deploy_start creates a CodeDeploy deployment" test -n "$h1"
desc=$(aws_py "print(c('codedeploy').get_deployment(deploymentId='$h1')['deploymentInfo']['description'])")
check_eq "its description carries the deployment id" "cutover:$DEP $ENV 1.0" "$desc"
rev=$(aws_py "r = c('codedeploy').get_deployment(deploymentId='$h1')['deploymentInfo']['revision']['s3Location']; print(r['bucket'], r['key'], r['bundleType'])")
check_eq "the revision is the S3 artifact, bundle tgz" "$BUCKET releases/app-1.0.tar.gz tgz" "$rev"
h2=$(probe deploy-start green "$DEP" 1.0 "$ARTIFACT" || true)
check_eq "deploy_start again finds the same deployment" "$h1" "$h2"
n=$(aws_py "print(len(c('codedeploy').list_deployments(applicationName=aws['codedeploy']['application'], deploymentGroupName=aws['codedeploy']['deployment_groups']['green'])['deployments']))")
check_eq "the green group has one deployment, not two" "1" "$n"
check_eq "deploy_poll: in progress while CodeDeploy works" "in-progress" "$(probe deploy-poll "$h1" | cut -d' ' -f1)"
curl -fsS -X POST "$CONTROL/codedeploy/$h1/Succeeded"
check_eq "deploy_poll reports SUCCEEDED" "succeeded $h1 Succeeded" "$(probe deploy-poll "$h1")"
check "deploy_stop of a finished deployment is not an error" probe deploy-stop "$h1"

h3=$(probe deploy-start green "$DEP-bad" 2.0 "s3://$BUCKET/releases/app-2.0.zip" || true)
curl -fsS -X POST "$CONTROL/codedeploy/$h3/Failed"
check_eq "a failed deployment reads failed" "failed" "$(probe deploy-poll "$h3" | cut -d' ' -f1)"
h4=$(probe deploy-start green "$DEP-stop" 3.0 "s3://$BUCKET/releases/app-3.0.tgz" || true)
check "deploy_stop" probe deploy-stop "$h4"
check_eq "a stopped deployment reads stopped" "stopped" "$(probe deploy-poll "$h4" | cut -d' ' -f1)"
case "$(probe_err deploy-start green "$DEP-x" 4.0 "https://example.invalid/app.tar.gz")" in
  *"needs an s3://bucket/key artifact"*) ok "a non-S3 artifact is refused" ;;
  *) not_ok "a non-S3 artifact is refused" ;;
esac

# ---------------------------------------------------------------- preview

# preview_rules - "priority header value target tag" of each rule tagged cutover-preview
preview_rules() {
  aws_py "
elb = c('elbv2')
rules = [r for r in elb.describe_rules(ListenerArn=aws['listener_arn'])['Rules'] if not r['IsDefault']]
tags = {d['ResourceArn']: d['Tags'] for d in elb.describe_tags(ResourceArns=[r['RuleArn'] for r in rules])['TagDescriptions']} if rules else {}
for r in rules:
    t = [x['Value'] for x in tags.get(r['RuleArn'], []) if x['Key'] == 'cutover-preview']
    if not t:
        continue
    h = r['Conditions'][0]['HttpHeaderConfig']
    tg = 'green' if r['Actions'][0]['TargetGroupArn'] == aws['target_groups']['green'] else 'other'
    print(r['Priority'], h['HttpHeaderName'], h['Values'][0], tg, t[0])
"
}
url=$(probe preview-open green "$DEP" || true)
check_eq "preview_open returns the load balancer's DNS name" "http://$DNS" "$url"
check_eq "the preview rule: header to green, tagged" "10 X-Cutover-Preview green green $DEP" "$(preview_rules)"
probe preview-open green "$DEP" >/dev/null || true
check_eq "preview_open again keeps one rule" "1" "$(preview_rules | grep -c .)"
probe preview-open green "$DEP-old" >/dev/null || true
check_eq "a preview of another deployment replaces a stale one" "10 X-Cutover-Preview green green $DEP-old" "$(preview_rules)"
probe preview-open green "$DEP" >/dev/null || true
check "preview_close" probe preview-close "$DEP"
check_eq "the rule is gone" "" "$(preview_rules)"
check "preview_close again is not an error" probe preview-close "$DEP"

# ---------------------------------------------------------------- weights

check_eq "a new listener forwards to blue only" "100 0" "$(probe get-weights)"
check "set_weights 10/90" probe weights 10 90
check_eq "get_weights reads 10/90 back" "10 90" "$(probe get-weights)"
moto_weights=$(aws_py "
a = c('elbv2').describe_listeners(ListenerArns=[aws['listener_arn']])['Listeners'][0]['DefaultActions'][0]
w = {g['TargetGroupArn']: g['Weight'] for g in a['ForwardConfig']['TargetGroups']}
print(w[aws['target_groups']['blue']], w[aws['target_groups']['green']])")
check_eq "moto's listener holds 10/90" "10 90" "$moto_weights"
check "set_weights 100/0" probe weights 100 0
check_eq "get_weights reads 100/0" "100 0" "$(probe get-weights)"
check "weights that do not add up to 100 are refused" bash -c "! '$PROBE' '$TMP/env.json' weights 50 60 2>/dev/null"

# ---------------------------------------------------------------- errors

start=$SECONDS
msg=$(AWS_SECRET_ACCESS_KEY=not-the-secret probe_err get-weights)
case "$msg" in
  *"DescribeListeners: SignatureDoesNotMatch: "*"(request id "*) ok "a wrong secret key gives SignatureDoesNotMatch with the request id" ;;
  *) not_ok "a wrong secret key gives SignatureDoesNotMatch with the request id" "$msg" ;;
esac
check "and says so promptly" test $((SECONDS - start)) -le 3
check_eq "in one line" "1" "$(printf '%s\n' "$msg" | grep -c .)"
case "$msg" in *not-the-secret*) not_ok "the secret stays out of the message" ;; *) ok "the secret stays out of the message" ;; esac

start_helper throttle_proxy.py "$TMP/proxy.json" --target "$MOTO" || { not_ok "the throttling proxy starts"; exit 1; }
PROXY=$(json_get "$TMP/proxy.json" url)
curl -fsS -X POST "$PROXY/__proxy/throttle/2" >/dev/null
out=$(CUTOVER_AWS_ENDPOINT_URL_ELBV2=$PROXY CUTOVER_AWS_MAX_ATTEMPTS=3 probe get-weights || true)
check_eq "throttled twice, the third attempt succeeds" "100 0" "$out"
check_eq "three requests reached the proxy" "3" "$(curl -fsS "$PROXY/__proxy/count")"
curl -fsS -X POST "$PROXY/__proxy/throttle/10" >/dev/null
msg=$(CUTOVER_AWS_ENDPOINT_URL_ELBV2=$PROXY CUTOVER_AWS_MAX_ATTEMPTS=3 probe_err get-weights)
case "$msg" in
  "get-weights: DescribeListeners: Throttling: Rate exceeded (request id "*")") ok "past CUTOVER_AWS_MAX_ATTEMPTS it gives up with a clear error" ;;
  *) not_ok "past CUTOVER_AWS_MAX_ATTEMPTS it gives up with a clear error" "$msg" ;;
esac
check_eq "after exactly CUTOVER_AWS_MAX_ATTEMPTS requests" "3" "$(curl -fsS "$PROXY/__proxy/count")"

# ---------------------------------------------------------------- scale down

check "scale green to 0" probe scale green 0
if wait_for 30 eq "0 0 0" probe health green; then ok "green: nothing desired, running or healthy"; else not_ok "green scaled to 0" "$(probe health green)"; fi
check_eq "blue still healthy 2/2" "2 2 2" "$(probe health blue)"

[ "$TEST_FAILURES" -eq 0 ]
