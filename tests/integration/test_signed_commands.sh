#!/usr/bin/env bash
# test_signed_commands - the verifying side of signed commands against the
# real broker and database, with signatures made by the real
# "ssh-keygen -Y sign" over the canonical form of each event (RFC 8785,
# computed here by python3 independently of cutover's own code).
#
# Keys are made at run time in a temporary directory: ci (Ed25519,
# deployer), ops (ECDSA P-256, operator), rel (RSA 3072, deployer) and a
# stranger's key that no environment lists. A signed build-ready (structured
# mode, and binary mode with the ce_cutoversig header) starts a deployment
# and is audited with its principal; a signed abort moves the saga and
# history shows who; each refusal code comes from a crafted command, lands
# on dead-letter with its code and in the audit, and changes nothing; the
# workers' database role cannot update, delete or truncate the audit; a
# production environment with signatures optional is warned about, and
# there a bad signature is still refused; the workers' logs say so at
# start-up and for each unsigned command.
source "$(dirname "$0")/../lib.sh"

use_test_prefix
ENV=$(unique_name sig)
OPEN_ENV=$(unique_name sigopen)
TMP=$(mktemp -d)
trap 'stop_workers; rm -rf "$TMP"' EXIT
# The record path and the saga's transitions are under test, not a provider.
export CUTOVER_ENVIRONMENTS='^$'

for tool in ssh-keygen python3 jq kcat; do
  command -v "$tool" > /dev/null || { not_ok "$tool is installed" "missing (ops/bootstrap)"; finish; }
done
ssh-keygen -q -t ed25519 -N '' -C ci -f "$TMP/ci" < /dev/null
ssh-keygen -q -t ecdsa -b 256 -N '' -C ops -f "$TMP/ops" < /dev/null
ssh-keygen -q -t rsa -b 3072 -N '' -C rel -f "$TMP/rel" < /dev/null
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$TMP/stranger" < /dev/null

# principal NAME KEY ROLE - one principal of the signers section
principal() { jq -nc --arg n "$1" --arg k "$(cat "$TMP/$2.pub")" --arg r "$3" '{name: $n, key: $k, roles: [$r]}'; }

cat > "$TMP/env.json" <<JSON
{"name": "$ENV", "provider": "local", "local": {"listen_port": 1, "base_port": 2},
 "signers": {"principals": [$(principal ci@example.com ci deployer), $(principal ops@example.com ops operator),
                            $(principal rel@example.com rel deployer)]}}
JSON
cat > "$TMP/open.json" <<JSON
{"name": "$OPEN_ENV", "provider": "local", "local": {"listen_port": 1, "base_port": 2}, "production": true,
 "signers": {"principals": [$(principal ci@example.com ci deployer)]}, "signatures": "optional"}
JSON
jq '.signers.principals[0].key = "ssh-ed25519 AAAAnotakey ci"' "$TMP/env.json" > "$TMP/bad-key.json"
check "env apply registers the signed environment" "$BIN/cutover" env apply "$TMP/env.json"
check "env apply registers the production environment with signatures optional" \
  "$BIN/cutover" env apply "$TMP/open.json"
"$BIN/cutover" env apply "$TMP/bad-key.json" > /dev/null 2> "$TMP/bad-key.err"
check "env apply refuses a signer whose key does not parse" grep -q "signer ci@example.com: bad key" "$TMP/bad-key.err"

# build_ready BUILD [ENVIRONMENT] - the data of a valid build-ready
build_ready() {
  printf '{"environment":"%s","build_id":"%s","version":"1.0.%s","artifact":{"uri":"file:///tmp/r.tar.gz","sha256":"%s"}}' \
    "${2:-$ENV}" "$1" "$RANDOM" "$(printf 'a%.0s' {1..64})"
}

# event TYPE ID DATA [TIME] [SUBJECT] - a structured-mode CloudEvent
event() {
  local time=${4:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
  jq -nc --arg type "cutover.$1" --arg id "$2" --argjson data "$3" --arg subject "${5:-$ENV}" \
    --arg time "$time" \
    '{specversion: "1.0", id: $id, source: "tests/signed", type: $type, subject: $subject, time: $time, data: $data}'
}

# signature KEY NAMESPACE JSON - ssh-keygen's signature of JSON's canonical form: the base64 blob
signature() {
  printf '%s' "$3" | python3 -c 'import json, sys
sys.stdout.write(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(",", ":"), ensure_ascii=False))' > "$TMP/canon"
  rm -f "$TMP/canon.sig"
  ssh-keygen -q -Y sign -n "$2" -f "$TMP/$1" "$TMP/canon" 2> /dev/null
  sed '1d;$d' "$TMP/canon.sig" | tr -d '\n'
}

# signed KEY JSON [NAMESPACE] - JSON with cutoversig, signed by KEY for cutover:$ENV
signed() { printf '%s' "$2" | jq -c --arg s "$(signature "$1" "${3:-cutover:$ENV}" "$2")" '. + {cutoversig: $s}'; }

# send TOPIC VALUE [ENVIRONMENT] - one structured-mode record
send() { publish "$1" "${3:-$ENV}" "$2" "content-type=application/cloudevents+json"; }

# deployments BUILD [ENVIRONMENT] - how many deployments the build has
deployments() { sql "SELECT count(*) FROM deployments WHERE environment = :'v1' AND build_id = :'v2'" "${2:-$ENV}" "$1"; }

# dead_letter ID - the error codes of the dead letters of event ID, sorted and unique
dead_letter() {
  consume dead-letter | jq -r --arg id "$1" \
    'select((.data.value // "" | fromjson? // {} | .id) == $id
            or (.data.headers // [] | any(.name == "ce_id" and .value == $id))) | .data.error.code' \
    | sort -u | paste -sd ' '
}

# audit ID - "outcome code principal" of the audit lines of event ID
audit() {
  sql "SELECT outcome || ' ' || coalesce(code, '-') || ' ' || coalesce(principal, '-') FROM command_audit WHERE event_id = :'v1' ORDER BY id" "$1" | paste -sd ','
}

# refused NAME ID CODE [BUILD] - the crafted command ID lands on dead-letter and in the
# audit as CODE; with BUILD, no deployment of it exists
refused() {
  check "$1: dead-lettered as $3" wait_for 30 eq "$3" dead_letter "$2"
  check "$1: audited as refused $3" wait_for 30 eq 1 sql \
    "SELECT count(*) FROM command_audit WHERE event_id = :'v1' AND outcome = 'refused' AND code = :'v2'" "$2" "$3"
  if [ -n "${4:-}" ]; then check_eq "$1: nothing changed (no deployment)" 0 "$(deployments "$4")"; fi
}

start_worker scaler
start_worker shifter
start_worker rollbacker

# 1. accepted: a build-ready signed by the deployer's Ed25519 key starts a deployment, audited with its principal
OK_EVENT=$(signed ci "$(event build-ready "ok-$ENV" "$(build_ready b-ok)")")
send build-ready "$OK_EVENT"
check "signed build-ready (Ed25519) starts a deployment" wait_for 30 eq 1 deployments b-ok
check "it is audited as accepted by ci@example.com" \
  wait_for 30 eq "accepted - ci@example.com" audit "ok-$ENV"
check_eq "the audit holds the key's fingerprint" "$(ssh-keygen -lf "$TMP/ci.pub" | awk '{print $2}')" \
  "$(sql "SELECT fingerprint FROM command_audit WHERE event_id = :'v1'" "ok-$ENV")"

# 2. binary mode, RSA: the attributes in ce_ headers, the signature in ce_cutoversig
BIN_TIME=$(date -u +%Y-%m-%dT%H:%M:%SZ)
BIN_DATA=$(build_ready b-bin)
BIN_SIG=$(signature rel "cutover:$ENV" "$(event build-ready "bin-$ENV" "$BIN_DATA" "$BIN_TIME")")
publish build-ready "$ENV" "$BIN_DATA" ce_specversion=1.0 "ce_id=bin-$ENV" ce_source=tests/signed \
  ce_type=cutover.build-ready "ce_subject=$ENV" "ce_time=$BIN_TIME" "ce_cutoversig=$BIN_SIG"
check "signed build-ready in binary mode (RSA) starts a deployment" wait_for 30 eq 1 deployments b-bin
check "it is audited as accepted by rel@example.com" \
  wait_for 30 eq "accepted - rel@example.com" audit "bin-$ENV"

# 3. refusals, one crafted command each
send build-ready "$(event build-ready "unsigned-$ENV" "$(build_ready b-unsigned)")"
refused "no signature under required" "unsigned-$ENV" unsigned b-unsigned
FLIPPED=$(signed ci "$(event build-ready "flipped-$ENV" "$(build_ready b-flipped)")" | sed 's/"version":"1\.0\./"version":"1.1./')
send build-ready "$FLIPPED"
refused "a byte changed after signing" "flipped-$ENV" bad-signature b-flipped
send build-ready "$(signed stranger "$(event build-ready "stranger-$ENV" "$(build_ready b-stranger)")")"
refused "a key not among the signers" "stranger-$ENV" unknown-signer b-stranger
send build-ready "$(signed ops "$(event build-ready "role-$ENV" "$(build_ready b-role)")")"
refused "an operator publishing build-ready" "role-$ENV" not-authorized b-role
send build-ready "$(signed ci "$(event build-ready "ns-$ENV" "$(build_ready b-ns)")" "cutover:$OPEN_ENV")"
refused "signed for another environment's namespace" "ns-$ENV" bad-signature b-ns
send build-ready "$(signed ci "$(event build-ready "old-$ENV" "$(build_ready b-old)" "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)")")"
refused "signed an hour ago (window 300 s)" "old-$ENV" expired b-old
send build-ready "$(signed ci "$(event build-ready "future-$ENV" "$(build_ready b-future)" "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)")")"
refused "dated an hour ahead (skew 60 s)" "future-$ENV" expired b-future
send build-ready "$OK_EVENT"
refused "the accepted command published again" "ok-$ENV" replayed
check_eq "the replay started nothing: still one deployment" 1 "$(deployments b-ok)"
# the newest build (b-bin) superseded b-ok and is the active deployment
DEP=$(sql "SELECT id FROM deployments WHERE environment = :'v1' AND build_id = 'b-bin'" "$ENV")
ROLE_CMD=$(signed ci "$(event shift-requested "abort-ci-$ENV" "$(jq -nc --arg e "$ENV" --arg d "$DEP" \
  '{environment: $e, deployment_id: $d, action: "abort", reason: "deployer tries", requested_by: "ci"}')")")
send shift-requested "$ROLE_CMD"
refused "a deployer aborting" "abort-ci-$ENV" not-authorized
check_eq "the refused abort left the deployment as it was" "scaling" \
  "$(sql "SELECT state FROM deployments WHERE id = :'v1'" "$DEP")"

# 4. accepted operator command: a signed abort moves the saga; history shows who
ABORT=$(signed ops "$(event shift-requested "abort-ops-$ENV" "$(jq -nc --arg e "$ENV" --arg d "$DEP" \
  '{environment: $e, deployment_id: $d, action: "abort", reason: "signed abort", requested_by: "claims-to-be-bob"}')")")
send shift-requested "$ABORT"
check "a signed abort (ECDSA, operator) fails the deployment" \
  wait_for 30 eq failed sql "SELECT state FROM deployments WHERE id = :'v1'" "$DEP"
check "it is audited once as accepted by ops@example.com (shifter and rollbacker both read it)" \
  wait_for 30 eq "accepted - ops@example.com" audit "abort-ops-$ENV"
check_eq "the audit keeps the self-declared requested_by beside the principal" "claims-to-be-bob" \
  "$(sql "SELECT requested_by FROM command_audit WHERE event_id = :'v1'" "abort-ops-$ENV")"
"$BIN/cutover" history "$ENV" > "$TMP/history.txt"
check "history shows the verified principal of the abort" grep -q "by ops@example.com, signed" "$TMP/history.txt"
"$BIN/cutover" audit "$ENV" --since 1h > "$TMP/audit.txt"
check "cutover audit prints the accepted abort with its principal" \
  grep -qE "accepted .* abort .* by ops@example.com \(SHA256:" "$TMP/audit.txt"
check "cutover audit prints the unsigned refusal as unverified" \
  grep -qE "refused +unsigned .* build-ready .*\(unverified\)" "$TMP/audit.txt"
check_eq "cutover audit --json: one line per command and refusal" 12 \
  "$("$BIN/cutover" audit "$ENV" --json | jq length)"
check_eq "cutover audit --since a time after everything: nothing" 0 \
  "$("$BIN/cutover" audit "$ENV" --json --since 2999-01-01T00:00:00Z | jq length)"
"$BIN/cutover" audit "no-such-env-$ENV" > /dev/null 2>&1
check_eq "cutover audit of an unknown environment exits 1" 1 "$?"

# 5. the audit is append-only for the workers' role
for stmt in "UPDATE command_audit SET principal = 'mallory' WHERE environment = '$ENV'" \
            "DELETE FROM command_audit WHERE environment = '$ENV'" "TRUNCATE command_audit"; do
  check "the workers' role is refused: ${stmt%% *}" bash -c \
    "! psql '$CUTOVER_DATABASE_URL' -X -q -v ON_ERROR_STOP=1 -c \"$stmt\" 2> '$TMP/denied'"
  check "  ${stmt%% *}: permission denied" grep -q "permission denied" "$TMP/denied"
done
check_eq "the audit lines are all still there, unchanged" 12 \
  "$(sql "SELECT count(*) FROM command_audit WHERE environment = :'v1' AND principal IS DISTINCT FROM 'mallory'" "$ENV")"

# 6. production with signatures optional: unsigned passes but is warned about; a bad signature is still refused
"$BIN/cutover" status "$OPEN_ENV" > "$TMP/status-open.txt" 2>&1
check "cutover status warns about the production environment running unsigned" \
  grep -q "WARNING: production environment $OPEN_ENV accepts unsigned commands" "$TMP/status-open.txt"
check_eq "cutover status --json carries the policy" "optional true" \
  "$("$BIN/cutover" status "$OPEN_ENV" --json 2> /dev/null | jq -r '"\(.signatures.mode) \(.signatures.production)"')"
"$BIN/cutover" status "$ENV" > "$TMP/status.txt" 2>&1
check "no warning for the environment that requires signatures" bash -c "! grep -q WARNING '$TMP/status.txt'"
send build-ready "$(event build-ready "open-$ENV" "$(build_ready b-open "$OPEN_ENV")" "" "$OPEN_ENV")" "$OPEN_ENV"
check "unsigned build-ready under optional starts a deployment" wait_for 30 eq 1 deployments b-open "$OPEN_ENV"
check "it is audited as accepted, unverified" wait_for 30 eq "accepted - -" audit "open-$ENV"
check "the scaler's log warns about the unsigned command" \
  grep -q "SECURITY: production environment $OPEN_ENV accepts unsigned commands (signatures optional): build-ready" \
  "$LOGDIR/worker-scaler.log"
check "every worker warns at start-up (the shifter, which reads no build-ready)" \
  grep -q "SECURITY: production environment $OPEN_ENV accepts unsigned commands (signatures optional)\"" \
  "$LOGDIR/worker-shifter.log"
OPEN_FLIPPED=$(signed ci "$(event build-ready "open-flip-$ENV" "$(build_ready b-open-flip "$OPEN_ENV")" "" "$OPEN_ENV")" \
  "cutover:$OPEN_ENV" | sed 's/"version":"1\.0\./"version":"1.1./')
send build-ready "$OPEN_FLIPPED" "$OPEN_ENV"
refused "under optional, a bad signature is still refused" "open-flip-$ENV" bad-signature b-open-flip

# 7. the CLI's own signatures (cutover --sign-key) are accepted, in both content modes
# accepted_by PRINCIPAL - how many build-ready commands of PRINCIPAL were accepted
accepted_by() {
  sql "SELECT count(*) FROM command_audit WHERE environment = :'v1' AND action = 'build-ready'
       AND outcome = 'accepted' AND principal = :'v2'" "$ENV" "$1"
}
# cli_build BUILD KEY - cutover publish build-ready of BUILD signed with KEY's file
cli_build() {
  "$BIN/cutover" publish build-ready --env "$ENV" --build "$1" --version 3.0 \
    --artifact file:///tmp/r.tar.gz --sha256 "$(printf 'c%.0s' {1..64})" --sign-key "$TMP/$2" > /dev/null
}
BY_CI=$(accepted_by ci@example.com)
BY_REL=$(accepted_by rel@example.com)
STRANGERS=$(sql "SELECT count(*) FROM command_audit WHERE environment = :'v1' AND code = 'unknown-signer'" "$ENV")
check "the CLI signs build-ready with the deployer's Ed25519 key (structured mode)" cli_build b-cli ci
check "the CLI-signed build-ready starts a deployment" wait_for 30 eq 1 deployments b-cli
check "it is audited as accepted by ci@example.com" wait_for 30 eq $((BY_CI + 1)) accepted_by ci@example.com
export CUTOVER_CLI_CONTENT_MODE=binary
check "the CLI signs build-ready with the RSA deployer's key (binary mode)" cli_build b-cli-bin rel
check "the binary-mode CLI-signed build-ready starts a deployment" wait_for 30 eq 1 deployments b-cli-bin
check "it is audited as accepted by rel@example.com" wait_for 30 eq $((BY_REL + 1)) accepted_by rel@example.com
unset CUTOVER_CLI_CONTENT_MODE
check "the CLI signs with a stranger's key" cli_build b-cli-stranger stranger
check "the stranger's build-ready is refused as unknown-signer" wait_for 30 eq $((STRANGERS + 1)) \
  sql "SELECT count(*) FROM command_audit WHERE environment = :'v1' AND code = 'unknown-signer'" "$ENV"
check_eq "no deployment of the stranger's build" 0 "$(deployments b-cli-stranger)"

finish
