# tests/aws/lib.sh - helpers shared by the AWS integration tests (sourced
# after tests/lib.sh, bash): moto and boto3 installed when missing, small
# JSON reads, the fixture's topology in moto, boto3 clients signed as the
# workers' IAM user.

# aws_python_ready - moto and boto3 importable (installed with pip when missing)
aws_python_ready() {
  if ! python3 -c 'import moto, boto3' 2>/dev/null; then
    python3 -m pip install --quiet 'moto[server]' boto3 >>"$LOGDIR/aws-pip.log" 2>&1 || true
  fi
  python3 -c 'import moto, boto3' 2>/dev/null
}

# start_helper NAME READY ARGS... - a python helper of tests/aws in the background (its pid
# added to the caller's PIDS); wait for its ready file
start_helper() {
  local name=$1 ready=$2
  shift 2
  python3 "$TOP/tests/aws/$name" --ready-file "$ready" "$@" >>"$LOGDIR/aws-$name.log" 2>&1 &
  PIDS+=($!)
  wait_for 30 test -s "$ready"
}

# helpers_cleanup - stop the helpers in PIDS (moto, the proxy), remove $TMP
helpers_cleanup() {
  local pid
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}

# json_get FILE KEY - one member of a small JSON file
json_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# aws_py CODE - python with boto3 clients c(service) for the environment in $TMP/env.json
aws_py() {
  python3 - "$TMP/env.json" <<PY
import boto3, json, os, sys
env = json.load(open(sys.argv[1]))
aws = env["aws"]
def c(service):
    return boto3.client(service, endpoint_url=os.environ["CUTOVER_AWS_ENDPOINT_URL"],
                        region_name=aws["region"])
$1
PY
}

# alb_put METRIC COLOR VALUE [AGO] - one AWS/ApplicationELB datapoint (a Count) of the ALB
# and the color's target group, AGO seconds (default 30) before the last minute boundary,
# put as the fixture's admin; prints the dimension values "LOAD_BALANCER TARGET_GROUP"
alb_put() {
  (source "$TMP/admin-creds.sh" && aws_py "
import datetime, time
at = int(time.time()) // 60 * 60 - ${4:-30}
lb = 'app/' + aws['listener_arn'].split(':listener/app/')[1].rsplit('/', 1)[0]
tg = aws['target_groups']['$2'].split(':')[-1]
c('cloudwatch').put_metric_data(Namespace='AWS/ApplicationELB', MetricData=[{
    'MetricName': '$1', 'Value': $3, 'Unit': 'Count',
    'Timestamp': datetime.datetime.fromtimestamp(at, datetime.timezone.utc),
    'Dimensions': [{'Name': 'LoadBalancer', 'Value': lb}, {'Name': 'TargetGroup', 'Value': tg}]}])
print(lb, tg)") 2>>"$LOGDIR/aws-cloudwatch-put.log"
}

# alb_metric METRIC STAT [VARIABLE] - an analysis metric's cloudwatch metric: AWS/ApplicationELB
# METRIC of {{load_balancer}} and {{VARIABLE}} (default target_group)
alb_metric() {
  printf '{"namespace":"AWS/ApplicationELB","metric_name":"%s","stat":"%s","dimensions":{"LoadBalancer":"{{load_balancer}}","TargetGroup":"{{%s}}"}}' \
    "$1" "$2" "${3:-target_group}"
}

# alb_query METRIC [PERIOD WINDOW] - a cloudwatch query: METRIC's Sum, its latest datapoint
# (period 60 s, a window of 300 s by default)
alb_query() { alb_metric "$1" Sum | sed "s/}}\$/},\"period\":${2:-60},\"window_seconds\":${3:-300}}/"; }

# aws_fixture ENV_OUT - the fixture's topology in moto ($MOTO) for $ENV, its
# environment document in ENV_OUT; then this shell signs as the workers' IAM
# user, sends every service to moto, and has BUCKET. Ends the test when the
# fixture fails.
aws_fixture() {
  python3 "$TOP/tests/aws/fixture.py" --endpoint "$MOTO" --name "$ENV" --env-out "$1" \
    --creds-out "$TMP/creds.sh" --admin-creds-out "$TMP/admin-creds.sh" \
    > "$TMP/fixture.json" 2>>"$LOGDIR/aws-fixture.log" ||
    { not_ok "the fixture builds the topology in moto"; exit 1; }
  ok "the fixture builds the topology in moto (signatures checked)"
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI
  # shellcheck source=/dev/null
  source "$TMP/creds.sh"
  export AWS_EC2_METADATA_DISABLED=true CUTOVER_AWS_ENDPOINT_URL="$MOTO"
  BUCKET=$(json_get "$TMP/fixture.json" bucket)
}
