#!/usr/bin/env bash
# test_alarm_sign - cutover-web's alarm receivers sign the alarm-fired events
# they publish with their own key (CUTOVER_WEB_SIGN_KEY), checked by OpenSSH:
# 1. a key file that cannot sign stops cutover-web at start with a clear
#    fatal error and no key material in its log;
# 2. with an ECDSA P-256 key, an Alertmanager alert naming the environment is
#    published signed: the event read back with kcat verifies with
#    `ssh-keygen -Y verify` for cutover:ENV over a canonical form made in
#    Python (tests/sign_lib.sh), not for another namespace, and a tampered
#    copy is refused; the outbox row is byte for byte what was published
#    (signed when written, not after); the log names the key's fingerprint
#    and shows no key material;
# 3. once the environment requires signed commands and lists the receivers'
#    key with the role monitor, the rollbacker accepts that alarm: audited
#    as accepted, signed by the principal cutover-web.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/sign_lib.sh"

[ -x "$BIN/cutover-web" ] || { not_ok "cutover-web is built" "run make first"; exit 1; }
command -v ssh-keygen > /dev/null || { not_ok "OpenSSH is installed" "ssh-keygen is missing"; exit 1; }
use_test_prefix
ENV=$(unique_name asign)
TMP=$(mktemp -d)
trap 'stop_workers; rm -rf "$TMP"' EXIT
TOKEN=$(unique_name token)

cat > "$TMP/env.json" <<EOF
{"name": "$ENV", "provider": "local", "capacity": 2,
 "local": {"listen_port": 1, "base_port": 2}}
EOF
check "env apply registers the environment" "$BIN/cutover" env apply "$TMP/env.json"
sign_keygen "$TMP" ecdsa -t ecdsa -b 256
printf 'not a key SECRET-%s\n' "$RANDOM" > "$TMP/garbage"

# 1. a key that cannot sign stops cutover-web at start
timeout 60 env CUTOVER_WEB_ADDR=127.0.0.1:0 CUTOVER_ALERTMANAGER_TOKEN="$TOKEN" \
  CUTOVER_WEB_SIGN_KEY="$TMP/garbage" "$BIN/cutover-web" > "$TMP/bad.log" 2>&1
rc=$?
check "a bad CUTOVER_WEB_SIGN_KEY: cutover-web exits at start (not killed by the timeout)" \
  test "$rc" -ne 0 -a "$rc" -ne 124
check "... with a fatal line that names the variable and the file" \
  grep -q "\"fatal\".*CUTOVER_WEB_SIGN_KEY: cannot sign with the key file $TMP/garbage" "$TMP/bad.log"
check "... and no key material in its log" bash -c "! grep -q -e SECRET- '$TMP/bad.log'"

# 2. signed alarms
start_web CUTOVER_ALERTMANAGER_TOKEN="$TOKEN" CUTOVER_WEB_SIGN_KEY="$TMP/ecdsa" ||
  { not_ok "cutover-web starts with its key" "$(tail -3 "$WEB_LOG")"; finish; }
ok "cutover-web starts with its key"
jq --arg env "$ENV" '.alerts[0].labels.environment = $env | .alerts[0].fingerprint = ("fp-" + $env)' \
  "$TOP/tests/data/alarms/alertmanager-firing.json" > "$TMP/firing.json"
check_eq "the Alertmanager alert is accepted" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
     -H "Authorization: Bearer $TOKEN" --data-binary "@$TMP/firing.json" "$URL/v1/alarms/alertmanager")"
check "one alarm-fired on Kafka" wait_for 20 eq 1 topic_count alarm-fired
check_signed "alertmanager receiver, ecdsa" "$TMP" ecdsa "$ENV" alarm-fired
check_eq "the outbox row is exactly the published value" \
  "$(consume alarm-fired | tail -1)" \
  "$(sql "SELECT value FROM outbox WHERE topic = 'alarm-fired' AND key = :'v1'" "$ENV")"
fp=$(ssh-keygen -lf "$TMP/ecdsa.pub" | awk '{print $2}')
check "the log names the receivers' key by its fingerprint" grep -qF "signed with the key $fp" "$WEB_LOG"
check "the log shows no key material" bash -c "! grep -q -e 'PRIVATE KEY' -e '$(sed -n 2p "$TMP/ecdsa")' '$WEB_LOG'"

# 3. a worker accepts the receivers' signature under "signatures: required"
jq --arg key "$(cat "$TMP/ecdsa.pub")" \
  '. + {signatures: "required", signers: {principals: [{name: "cutover-web", key: $key, roles: ["monitor"]}]}}' \
  "$TMP/env.json" > "$TMP/signed-env.json"
check "the environment now requires signed commands" "$BIN/cutover" env apply "$TMP/signed-env.json"
start_worker rollbacker
check "the rollbacker accepts the signed alarm as the receivers' principal" wait_for 30 eq \
  "accepted cutover-web $fp" sql "SELECT outcome || ' ' || principal || ' ' || fingerprint FROM command_audit
                                  WHERE environment = :'v1' AND action = 'alarm-fired'" "$ENV"
finish
