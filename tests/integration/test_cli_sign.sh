#!/usr/bin/env bash
# test_cli_sign - the CLI signs what it publishes, checked by OpenSSH itself:
# the published event is read back with kcat (an independent client), its
# "cutoversig" taken out, the rest put in canonical form by Python (not by
# cutover's C code) and the signature checked with `ssh-keygen -Y verify`
# against an allowed_signers file (tests/sign_lib.sh). Keys are made here with
# ssh-keygen in a temporary directory, removed at the end.
# 1. no key configured: the event goes out unsigned, as before;
# 2. a key file (--sign-key, CUTOVER_SIGN_KEY): Ed25519, ECDSA P-256 and RSA,
#    every publishing command; each signature verifies for cutover:ENV, not
#    for another namespace, and a tampered copy is refused;
# 3. binary content mode: ce_cutoversig header, verifies the same way;
# 4. a real ssh-agent started here: its only key, a key named by .pub file or
#    fingerprint, two keys without a choice refused, a key it lacks refused;
# 5. keys that cannot sign (missing, not a key, encrypted, a public key) and
#    two keys at once: exit non-zero with a clear error, nothing on the topic,
#    no key material in the output; `cutover config` shows the path only.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/sign_lib.sh"

command -v ssh-keygen > /dev/null && command -v ssh-agent > /dev/null ||
  { not_ok "OpenSSH is installed" "ssh-keygen or ssh-agent is missing (ops/bootstrap)"; exit 1; }
use_test_prefix
ENV=$(unique_name sign)
KEYS=$(mktemp -d)
AGENT_PID=
# sign_cleanup - stop the agent, remove the keys
sign_cleanup() {
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2> /dev/null
  rm -rf "$KEYS"
}
trap sign_cleanup EXIT
CLI="$BIN/cutover"
unset CUTOVER_SIGN_KEY CUTOVER_SIGN_AGENT_KEY CUTOVER_CLI_CONTENT_MODE SSH_AUTH_SOCK

# has_signature TOPIC - the topic's last record carries cutoversig (attribute or header)
has_signature() {
  sign_last_record "$1" | jq -e '(.payload | fromjson | has("cutoversig")) or
    ((.headers // []) | index("ce_cutoversig") != null)' > /dev/null
}

# lacks_signature TOPIC - the topic's last record carries no cutoversig
lacks_signature() { ! has_signature "$1"; }
# failed_with RC WHY OUT - RC is 1 and OUT says WHY
failed_with() { [ "$1" -eq 1 ] && grep -q -- "$2" <<< "$3"; }
# no_key_material TEXT - TEXT shows no private key, no key blob, no secret marker
no_key_material() { ! grep -q -e 'SECRET-' -e 'PRIVATE KEY' -e 'AAAA' <<< "$1"; }

# 1. unsigned by default
"$CLI" shift "$ENV" --weight 5 > /dev/null
check_eq "no key configured: the event is published" 1 "$(topic_count shift-requested)"
check "no key configured: the event carries no signature" lacks_signature shift-requested

# 2. key files, every publishing command
sign_keygen "$KEYS" ed25519 -t ed25519
sign_keygen "$KEYS" ecdsa -t ecdsa -b 256
sign_keygen "$KEYS" rsa -t rsa -b 3072
for key in ed25519 ecdsa rsa; do
  "$CLI" shift "$ENV" --weight 10 --reason "by $key" --sign-key "$KEYS/$key" > /dev/null
  check_signed "shift, $key key file" "$KEYS" "$key" "$ENV" shift-requested
done
for action in promote pause resume rollback abort drill; do
  CUTOVER_SIGN_KEY=$KEYS/ed25519 "$CLI" "$action" "$ENV" --reason "$action" > /dev/null
  check_signed "$action, CUTOVER_SIGN_KEY" "$KEYS" ed25519 "$ENV" shift-requested
done
"$CLI" approve "$ENV" --deployment "$(cat /proc/sys/kernel/random/uuid)" --sign-key "$KEYS/ecdsa" > /dev/null
check_signed "approve, ecdsa" "$KEYS" ecdsa "$ENV" green-validated
"$CLI" alarm "$ENV" --alarm Errors --sign-key "$KEYS/rsa" > /dev/null
check_signed "alarm, rsa" "$KEYS" rsa "$ENV" alarm-fired
"$CLI" publish build-ready --env "$ENV" --build "b-$RANDOM" --version 2.0 \
  --artifact https://example.com/r.tar.gz --sha256 "$(printf '%064d' 0)" --sign-key "$KEYS/ed25519" > /dev/null
check_signed "publish build-ready, ed25519" "$KEYS" ed25519 "$ENV" build-ready
check_eq "the signed event has time set" "true" \
  "$(sign_last_record build-ready | jq '.payload | fromjson | .time | test("^20[0-9]{2}-")')"

# 3. binary content mode
CUTOVER_CLI_CONTENT_MODE=binary "$CLI" shift "$ENV" --weight 20 --sign-key "$KEYS/ed25519" > /dev/null
check_eq "binary mode: the signature travels in ce_cutoversig, the data in the value" \
  "true true" "$(sign_last_record shift-requested |
    jq -r '[(.headers | index("ce_cutoversig") != null), (.payload | fromjson | .weight == 20)] | join(" ")')"
check_signed "binary mode, ed25519" "$KEYS" ed25519 "$ENV" shift-requested
CUTOVER_CLI_CONTENT_MODE=binary "$CLI" alarm "$ENV" --alarm Latency --sign-key "$KEYS/rsa" > /dev/null
check_signed "binary mode, alarm, rsa" "$KEYS" rsa "$ENV" alarm-fired

# 4. a real ssh-agent
eval "$(ssh-agent -s -a "$KEYS/agent.sock")" > /dev/null
AGENT_PID=$SSH_AGENT_PID
ssh-add -q "$KEYS/ed25519" 2> /dev/null
SSH_AUTH_SOCK=$KEYS/agent.sock "$CLI" rollback "$ENV" --reason agent --sign-agent > /dev/null
check_signed "ssh-agent, its only key" "$KEYS" ed25519 "$ENV" shift-requested
ssh-add -q "$KEYS/rsa" 2> /dev/null
before=$(topic_count shift-requested)
out=$(SSH_AUTH_SOCK=$KEYS/agent.sock "$CLI" pause "$ENV" --sign-agent 2>&1)
rc=$?
check "ssh-agent with two keys and no choice: exit 1, the keys counted" \
  failed_with "$rc" "holds 2 usable keys" "$out"
SSH_AUTH_SOCK=$KEYS/agent.sock "$CLI" pause "$ENV" --sign-agent "$KEYS/rsa.pub" > /dev/null
check_signed "ssh-agent, the key of a .pub file" "$KEYS" rsa "$ENV" shift-requested
fp=$(ssh-keygen -lf "$KEYS/ed25519.pub" | awk '{print $2}')
SSH_AUTH_SOCK=$KEYS/agent.sock CUTOVER_SIGN_AGENT_KEY=$fp CUTOVER_CLI_CONTENT_MODE=binary \
  "$CLI" resume "$ENV" > /dev/null
check_signed "ssh-agent, CUTOVER_SIGN_AGENT_KEY fingerprint, binary mode" "$KEYS" ed25519 "$ENV" shift-requested
out=$(SSH_AUTH_SOCK=$KEYS/agent.sock "$CLI" pause "$ENV" --sign-agent "$KEYS/ecdsa.pub" 2>&1)
rc=$?
check "ssh-agent without the chosen key: exit 1, named by its fingerprint" \
  failed_with "$rc" "does not hold the key SHA256:" "$out"
check_eq "nothing published by the refused agent commands" "$((before + 2))" "$(topic_count shift-requested)"

# 5. keys that cannot sign
printf 'not a key SECRET-%s\n' "$RANDOM" > "$KEYS/garbage"
ssh-keygen -q -t ed25519 -N 'a passphrase' -f "$KEYS/encrypted" < /dev/null
before=$(topic_count shift-requested)
# refused NAME WHY ARGS... - the command exits 1 with WHY in its error, without key material
refused() {
  local name=$1 why=$2 out rc
  shift 2
  out=$("$CLI" shift "$ENV" --weight 30 "$@" 2>&1)
  rc=$?
  check "$name: exit 1 with a clear error" failed_with "$rc" "$why" "$out"
  check "$name: no key material in the output" no_key_material "$out"
}
refused "missing key file" "cannot read the private key file" --sign-key "$KEYS/none"
refused "not a key" "is not an OpenSSH private key" --sign-key "$KEYS/garbage"
refused "encrypted key" "private key is encrypted" --sign-key "$KEYS/encrypted"
refused "a public key as the key file" "is not an OpenSSH private key" --sign-key "$KEYS/ed25519.pub"
CUTOVER_SIGN_KEY=$KEYS/garbage refused "CUTOVER_SIGN_KEY not a key" "cannot sign with the key file"
check_eq "nothing on the topic after refused keys" "$before" "$(topic_count shift-requested)"
"$CLI" shift "$ENV" --weight 30 --sign-key "$KEYS/ed25519" --sign-agent > /dev/null 2>&1
check_eq "--sign-key and --sign-agent together: exit 2" 2 $?
CUTOVER_SIGN_KEY=$KEYS/ed25519 CUTOVER_SIGN_AGENT_KEY=only "$CLI" shift "$ENV" --weight 30 > /dev/null 2>&1
check_eq "both variables set: exit 2" 2 $?
check_eq "nothing on the topic after the usage errors" "$before" "$(topic_count shift-requested)"
config=$(CUTOVER_SIGN_KEY=$KEYS/ed25519 "$CLI" config)
check "cutover config shows the key's path" grep -qx "CUTOVER_SIGN_KEY=$KEYS/ed25519" <<< "$config"
check "cutover config shows no key material" no_key_material "$config"
finish
