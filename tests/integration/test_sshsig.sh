#!/usr/bin/env bash
# test_sshsig - signed commands' building blocks against the real OpenSSH:
# io/sshsig.h and io/event_canon.h through sshsig_probe.
#
# Keys are made with ssh-keygen (Ed25519, ECDSA P-256, RSA 3072) in a
# temporary directory that is removed at the end. For each key: the
# canonical form of an event signed by "ssh-keygen -Y sign -n cutover:shop"
# is accepted by our verifier (with ssh-keygen's fingerprint), and refused
# for another namespace, a changed message and another key; a signature
# made by our signer from the key file, and one made through a real
# ssh-agent, are accepted by "ssh-keygen -Y verify" for cutover:shop and
# refused for cutover:prod. No dev stack, no network.
source "$(dirname "$0")/../lib.sh"

PROBE=$TOP/$BUILD/tests/sshsig_probe
if [ ! -x "$PROBE" ]; then
  not_ok "sshsig_probe is built" "$PROBE is missing (make)"
  exit 1
fi
if ! command -v ssh-keygen > /dev/null || ! command -v ssh-agent > /dev/null; then
  not_ok "OpenSSH is installed" "ssh-keygen or ssh-agent is missing (ops/bootstrap)"
  exit 1
fi
WORK=$(mktemp -d "$LOGDIR/sshsig.XXXXXX")
AGENT_PID=""
# cleanup - stop the agent, remove the keys
cleanup() {
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2> /dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK" || exit 1

# the event in an operator's layout; its canonical form is sorted, compact, without cutoversig
cat > event.json <<'EOF'
{
  "specversion": "1.0", "type": "cutover.shift-requested", "source": "cli/ops",
  "id": "c0ffee", "subject": "shop", "time": "2026-12-04T09:00:00Z",
  "cutoversig": "left out",
  "data": { "weight": 25, "environment": "shop", "action": "shift", "reason": "caf\u00e9 \"slow\"" }
}
EOF
EXPECTED='{"data":{"action":"shift","environment":"shop","reason":"café \"slow\"","weight":25},"id":"c0ffee","source":"cli/ops","specversion":"1.0","subject":"shop","time":"2026-12-04T09:00:00Z","type":"cutover.shift-requested"}'
"$PROBE" canon event.json > canon.json
check_eq "canonical form of the event" "$EXPECTED" "$(cat canon.json)"
sed 's/"weight":25/"weight":26/' canon.json > tampered.json
check "the changed event differs" bash -c "! cmp -s canon.json tampered.json"

# keygen TYPE ARGS... - a key pair TYPE, TYPE.pub, and allowed_signers.TYPE for op@cutover
keygen() {
  local name=$1
  shift
  ssh-keygen -q "$@" -N '' -C "op-$name@cutover" -f "$name" < /dev/null
  printf 'op@cutover namespaces="cutover:shop" %s\n' "$(cat "$name.pub")" > "allowed_signers.$name"
}

# openssh_verify NAME NAMESPACE SIG - ssh-keygen's verdict on SIG of canon.json by key NAME
openssh_verify() {
  ssh-keygen -Y verify -f "allowed_signers.$1" -I op@cutover -n "$2" -s "$3" < canon.json > /dev/null 2>&1
}

# verify_openssh_signature NAME - ssh-keygen signs, our verifier decides
verify_openssh_signature() {
  local name=$1 fp
  fp=$(ssh-keygen -lf "$name.pub" | awk '{print $2}')
  ssh-keygen -Y sign -n cutover:shop -f "$name" canon.json 2> /dev/null
  check_eq "$name: ssh-keygen's signature verifies" "ok 1 $fp" \
    "$("$PROBE" verify cutover:shop "$name.pub" canon.json.sig canon.json 2> /dev/null)"
  check_eq "$name: refused for cutover:prod" "wrong-namespace" \
    "$("$PROBE" verify cutover:prod "$name.pub" canon.json.sig canon.json 2> /dev/null)"
  check_eq "$name: refused for a changed event" "bad-signature" \
    "$("$PROBE" verify cutover:shop "$name.pub" canon.json.sig tampered.json 2> /dev/null)"
  check_eq "$name: refused for another key" "key-not-allowed" \
    "$("$PROBE" verify cutover:shop other.pub canon.json.sig canon.json 2> /dev/null)"
  rm -f canon.json.sig
  ssh-keygen -Y sign -n cutover:shop -O hashalg=sha256 -f "$name" canon.json 2> /dev/null
  check_eq "$name: ssh-keygen's sha256 signature verifies" "ok 1 $fp" \
    "$("$PROBE" verify cutover:shop "$name.pub" canon.json.sig canon.json 2> /dev/null)"
  rm -f canon.json.sig
}

# verify_our_signature NAME HOW - our signer (sign: the key file, sign-agent: the agent), ssh-keygen decides
verify_our_signature() {
  local name=$1 how=$2 key=$1
  [ "$how" = sign-agent ] && key=$1.pub
  if ! "$PROBE" "$how" cutover:shop "$key" canon.json > "$name.$how.sig"; then
    not_ok "$name: $how makes a signature"
    return
  fi
  check "$name: ssh-keygen accepts our $how signature" openssh_verify "$name" cutover:shop "$name.$how.sig"
  check "$name: ssh-keygen refuses it for cutover:prod" \
    bash -c "! ssh-keygen -Y verify -f allowed_signers.$name -I op@cutover -n cutover:prod -s $name.$how.sig < canon.json > /dev/null 2>&1"
}

keygen other -t ed25519
keygen ed25519 -t ed25519
keygen ecdsa -t ecdsa -b 256
keygen rsa -t rsa -b 3072
for name in ed25519 ecdsa rsa; do
  verify_openssh_signature "$name"
  verify_our_signature "$name" sign
done

eval "$(ssh-agent -s -a "$WORK/agent.sock")" > /dev/null
AGENT_PID=$SSH_AGENT_PID
for name in ed25519 ecdsa rsa; do
  ssh-add -q "$name" 2> /dev/null
  verify_our_signature "$name" sign-agent
done
ssh-add -q -D 2> /dev/null
check "an agent without the key refuses to sign" \
  bash -c "! '$PROBE' sign-agent cutover:shop ed25519.pub canon.json > /dev/null 2>&1"

[ "$TEST_FAILURES" -eq 0 ]
