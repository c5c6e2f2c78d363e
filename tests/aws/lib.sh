# tests/aws/lib.sh - helpers shared by the AWS integration tests (sourced
# after tests/lib.sh, bash): moto and boto3 installed when missing, small
# JSON reads, boto3 clients signed as the workers' IAM user.

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
