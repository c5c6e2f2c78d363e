#!/usr/bin/env bash
# test_terraform_scan - ops/terraform as an outside scanner sees it: checkov
# (pinned, in a virtual environment of the machine's cache, installed once)
# scans the module with ops/terraform/.checkov.yaml and finds no failed
# check; the checks that protect a shop (invalid headers dropped, media
# versioned, every security group rule described, deletion protection and
# access logs on) ran and passed; every skip of the configuration has its
# reason; a module without those protections fails the scan. The IAM policy,
# read with the scanner's own HCL parser, grants the cache flush's SSM Run
# Command on the two groups' instances only. `terraform fmt -check` when
# terraform is installed. No stack needed: it reads files only.
source "$(dirname "$0")/../lib.sh"

CHECKOV_VERSION=3.3.30
CHECKOV_VENV=${CUTOVER_CACHE_DIR:-$HOME/.cache/cutover}/checkov-$CHECKOV_VERSION
MODULE=$TOP/ops/terraform
CONFIG=$MODULE/.checkov.yaml
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# checkov_ready - the pinned checkov in its virtual environment, installed
# with pip when missing (under a lock: clones on one machine share it)
checkov_ready() {
  mkdir -p "$(dirname "$CHECKOV_VENV")"
  (
    flock 9
    [ -f "$CHECKOV_VENV/.installed" ] && exit 0
    rm -rf "$CHECKOV_VENV"
    python3 -m venv "$CHECKOV_VENV" &&
      "$CHECKOV_VENV/bin/pip" install --quiet "checkov==$CHECKOV_VERSION" &&
      touch "$CHECKOV_VENV/.installed"
  ) 9>"$CHECKOV_VENV.lock" >>"$LOGDIR/checkov-pip.log" 2>&1
  [ -x "$CHECKOV_VENV/bin/checkov" ]
}

# scan DIR OUT - checkov on DIR with the module's configuration, its JSON
# report in OUT; prints checkov's exit status
scan() {
  (cd "$1" && "$CHECKOV_VENV/bin/checkov" --config-file "$CONFIG" -d . -o json) \
    > "$2" 2>>"$LOGDIR/checkov.log"
  echo $?
}

# report QUERY - a python expression over the JSON report r of $TMP/scan.json
# (c: the (check id, resource) pairs that passed), printed
report() {
  python3 - "$TMP/scan.json" <<PY
import json, sys
r = json.load(open(sys.argv[1]))
c = {(x["check_id"], x["resource"]) for x in r["results"]["passed_checks"]}
print($1)
PY
}

# skips_without_reason - the skip-check entries of the configuration not
# directly under a comment, one per line
skips_without_reason() {
  awk '/^skip-check:/ { on = 1; next } /^[^ #]/ { on = 0 }
       on && /^ *- / && prev !~ /^ *#/ { print $2 } { prev = $0 }' "$CONFIG"
}

# iam QUERY - a python expression over the cutover policy's statements s
# (each a dict of plain lists: sid, actions, resources, condition), printed
iam() {
  "$CHECKOV_VENV/bin/python" - "$MODULE/iam.tf" <<PY
import hcl2, sys
def flat(v):
    return [y for x in v for y in (flat(x) if isinstance(x, list) else [x])]
doc = hcl2.load(open(sys.argv[1]))
docs = [d["aws_iam_policy_document"] for d in doc["data"] if "aws_iam_policy_document" in d]
s = [{k: flat(v) if k != "condition" else v for k, v in st.items()}
     for d in docs if "cutover" in d for st in d["cutover"]["statement"]]
ssm = [st for st in s if any(a.startswith("ssm:") for a in st["actions"])]
attached = [r for r in doc["resource"] if "aws_iam_role_policy_attachment" in r]
print($1)
PY
}

checkov_ready || { not_ok "checkov $CHECKOV_VERSION installed" "pip install failed (log: checkov-pip.log)"; exit 1; }
ok "checkov $CHECKOV_VERSION installed in $CHECKOV_VENV"

# 1. the module as it is: no failed check
check_eq "checkov passes ops/terraform (exit 0)" 0 "$(scan "$MODULE" "$TMP/scan.json")"
check_eq "no failed check" 0 "$(report 'r["summary"]["failed"]')"
check "more than 100 checks ran" gt 100 report 'r["summary"]["passed"]'

# 2. the protections a shop needs ran and passed
check_eq "the load balancer drops invalid header fields (CKV_AWS_131)" True \
  "$(report '("CKV_AWS_131", "aws_lb.this") in c')"
check_eq "the media bucket is versioned (CKV_AWS_21)" True \
  "$(report '("CKV_AWS_21", "aws_s3_bucket.media") in c')"
check_eq "deletion protection is on by default (CKV_AWS_150)" True \
  "$(report '("CKV_AWS_150", "aws_lb.this") in c')"
check_eq "access logs are on by default (CKV_AWS_91)" True \
  "$(report '("CKV_AWS_91", "aws_lb.this") in c')"
check_eq "every security group and rule has a description (CKV_AWS_23: 2 groups, 5 rules)" 7 \
  "$(report 'sum(1 for i, res in c if i == "CKV_AWS_23")')"
check_eq "no security group lets everything out to everywhere (CKV_AWS_382)" True \
  "$(report '("CKV_AWS_382", "aws_security_group.instances") in c')"
check_eq "every skip in .checkov.yaml has its reason above it" "" "$(skips_without_reason)"
check "the configuration skips none of those checks" \
  bash -c "! grep -qE 'CKV_AWS_(131|21|150|91|23|382)\$' '$CONFIG'"

# 3. the same module without them fails the scan
cp -r "$MODULE" "$TMP/weak"
sed -i -e '/drop_invalid_header_fields/d' -e 's/enable_deletion_protection = .*/enable_deletion_protection = false/' \
  "$TMP/weak/main.tf"
sed -i '/^resource "aws_s3_bucket_versioning" "media"/,/^}/d' "$TMP/weak/main.tf"
sed -i 's/depends_on = \[aws_s3_bucket_versioning.releases, aws_s3_bucket_versioning.media\]//' \
  "$TMP/weak/main.tf"
check_eq "a module without those protections fails the scan (exit 1)" 1 "$(scan "$TMP/weak" "$TMP/weak.json")"
check "... naming the headers, the versioning and the deletion protection" \
  "$CHECKOV_VENV/bin/python" -c '
import json, sys
failed = {x["check_id"] for x in json.load(open(sys.argv[1]))["results"]["failed_checks"]}
sys.exit(not {"CKV_AWS_131", "CKV_AWS_21", "CKV_AWS_150"} <= failed)' "$TMP/weak.json"

# 4. the cache flush's grants: SSM Run Command on the groups' instances only
check_eq "SendCommand: the AWS-RunShellScript document" True \
  "$(iam 'any(st["actions"] == ["ssm:SendCommand"] and len(st["resources"]) == 1 and st["resources"][0].endswith("::document/AWS-RunShellScript") for st in ssm)')"
check_eq "SendCommand on instances only when tagged with one of the two groups" True \
  "$(iam 'any(st["actions"] == ["ssm:SendCommand"] and st["resources"][0].endswith(":instance/*") and [c["variable"] for c in st["condition"]] == [["aws:ResourceTag/aws:autoscaling:groupName"]] and "asg_names" in str(st["condition"]) for st in ssm)')"
check_eq "ListCommands and GetCommandInvocation, the only SSM actions on every resource" \
  '["ssm:GetCommandInvocation", "ssm:ListCommands"]' \
  "$(iam 'str(sorted(a for st in ssm if "*" in st["resources"] for a in st["actions"])).replace(chr(39), chr(34))')"
check_eq "the instances' role has AmazonSSMManagedInstanceCore (the SSM agent)" True \
  "$(iam 'any("AmazonSSMManagedInstanceCore" in str(r) for r in attached)')"

# 5. formatting, when terraform is here (it cannot fetch its providers, so no validate)
if command -v terraform > /dev/null; then
  check "terraform fmt -check ops/terraform" env TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check "$MODULE"
else
  ok "terraform fmt -check # SKIP terraform is not installed"
fi
finish
