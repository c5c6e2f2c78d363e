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
