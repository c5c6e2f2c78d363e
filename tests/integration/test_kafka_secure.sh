#!/usr/bin/env bash
# test_kafka_secure - cutover on the secure development stack: Kafka with
# SASL/SCRAM-SHA-512 over TLS (certificate verification on), KRaft's
# StandardAuthorizer denying what no ACL allows, one principal per role:
# 1. the CLI's principal may not create topics; the admin creates them and
#    ops/kafka-acls (twice: idempotent) allows each role its topics;
# 2. a client in plaintext, or one that does not trust the stack's CA, is refused;
# 3. a blue-green deployment completes through the saga, published by the
#    CLI, the six workers and cutover-web under cutoverd, each on its own
#    principal (credentials directory), none refused by the broker;
# 4. the CLI publishing to a topic it has no ACL for (alarm-fired) fails
#    with a clear message and exit 1;
# 5. a worker with a wrong password exits with a fatal log naming its user,
#    and cutoverd restarts it with its throttled, doubling pause;
# 6. no password (Kafka's, the database's) and no private signing key (the
#    environment requires signed commands: the CLI and cutover-web sign)
#    reaches a log under .run, an event on any topic, the audit,
#    `cutover status --json` or `cutover config`.
# tests/run starts the secure stack for this script (the line below).
# devstack: secure
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

if [ "${CUTOVER_KAFKA_SECURITY_PROTOCOL:-}" != sasl_ssl ] || [ ! -d "${CUTOVER_KAFKA_CREDENTIALS_DIR:-}" ]; then
  not_ok "the secure stack's variables are set" "run it with: tests/run kafka_secure"
  exit 1
fi
KDIR=$(dirname "$CUTOVER_KAFKA_CREDENTIALS_DIR")
# lib.sh's kcat helpers (consume, topic_count) read as the admin
export KCAT_CONFIG=$KDIR/admin.kcat.conf
export CUTOVER_WEB_ADDR=127.0.0.1:0
export CUTOVER_SUPERVISOR_RESTART_MIN_MS=200 CUTOVER_SUPERVISOR_RESTART_MAX_MS=1600
export CUTOVER_SUPERVISOR_STABLE_MS=3000
export CUTOVER_TOPIC_PREFIX
CUTOVER_TOPIC_PREFIX="$(unique_name t)."
export CUTOVER_GROUP_PREFIX="${CUTOVER_TOPIC_PREFIX%.}"

# as_admin CMD... - run CMD with the admin's credentials instead of the directory's
as_admin() {
  env CUTOVER_KAFKA_SASL_USERNAME=admin CUTOVER_KAFKA_SASL_PASSWORD_FILE="$KDIR/secrets/admin" "$@"
}

# apply_acls - ops/kafka-acls for this test's prefixes, as the admin
apply_acls() {
  "$TOP/ops/kafka-acls" --bootstrap-server "$CUTOVER_KAFKA_BROKERS" \
    --command-config "$KDIR/admin.properties" --topic-prefix "$CUTOVER_TOPIC_PREFIX" \
    --group-prefix "$CUTOVER_GROUP_PREFIX" >> "$LOGDIR/kafka_acls.log" 2>&1
}

# stop_cutoverd - SIGTERM cutoverd and wait until it exited
stop_cutoverd() {
  kill -TERM "$SUP" 2>/dev/null
  wait "$SUP" 2>/dev/null
}

# msgs LOG WORKER - the messages WORKER logged, in order
msgs() { jq -Rr --arg w "$2" 'fromjson? | select(.worker == $w) | .msg' "$1"; }

# count LOG WORKER PATTERN - how many of WORKER's messages match the regex
count() { msgs "$1" "$2" | grep -cE "$3" || true; }

# refused LOG - warnings and errors of a process the broker refused (authentication or ACL)
refused() {
  jq -Rr 'fromjson? | select(.level != "info" and .level != "debug") | .msg' "$1" |
    grep -ciE 'authorization|authentication' || true
}

# 1. topics and ACLs
CLI_OUT=$("$BIN/cutover" topics create 2>&1)
check_eq "the CLI's principal may not create topics (exit 1)" 1 "$?"
check "... and says the broker refused it" grep -q 'Authorization failed' <<< "$CLI_OUT"
check "cutover topics create as the admin" eval 'as_admin "$BIN/cutover" topics create > /dev/null'
check "ops/kafka-acls allows each role what it needs" apply_acls
check "... and a second run succeeds and changes nothing" apply_acls
check "... 80 bindings each time" test "$(grep -c '^80 ACL bindings present$' "$LOGDIR/kafka_acls.log")" -ge 2

# 2. clients the broker refuses
check "a plaintext client without credentials gets no metadata" \
  eval '! env -u KCAT_CONFIG kcat -L -b "$CUTOVER_KAFKA_BROKERS" -m 5 > /dev/null 2>&1'
TMP_SECURE=$(mktemp -d)
(umask 077; sed 's#^ssl.ca.location=.*#ssl.ca.location=/etc/ssl/certs/ca-certificates.crt#' \
  "$KCAT_CONFIG" > "$TMP_SECURE/untrusted.conf")
check "the admin through a client that does not trust the stack's CA is refused (verification on)" \
  eval '! kcat -F "$TMP_SECURE/untrusted.conf" -L -b "$CUTOVER_KAFKA_BROKERS" -m 5 > /dev/null 2>&1'
check "the same client trusting the stack's CA gets metadata" \
  eval 'kcat -L -b "$CUTOVER_KAFKA_BROKERS" -m 5 > /dev/null 2>&1'

# 3. a blue-green deployment, every process on its own principal, every command signed
BAKE=1
saga_setup ksec
saga_release 2.0
ssh-keygen -q -t ed25519 -N '' -C cli -f "$TMP_SECURE/cli" < /dev/null
ssh-keygen -q -t ed25519 -N '' -C web -f "$TMP_SECURE/web" < /dev/null
jq --arg cli "$(cat "$TMP_SECURE/cli.pub")" --arg web "$(cat "$TMP_SECURE/web.pub")" \
  '. + {production: true, signatures: "required", signers: {principals: [
     {name: "ops@example.com", key: $cli, roles: ["deployer", "operator", "approver"]},
     {name: "cutover-web", key: $web, roles: ["monitor"]}]}}' "$TMP/env.json" > "$TMP_SECURE/env.json"
check "the environment now requires signed commands" "$BIN/cutover" env apply "$TMP_SECURE/env.json"
export CUTOVER_SIGN_KEY=$TMP_SECURE/cli CUTOVER_WEB_SIGN_KEY=$TMP_SECURE/web
export CUTOVER_ENVIRONMENTS="^$ENV\$"
MAIN_LOG=$LOGDIR/cutoverd-secure.log
start_cutoverd "$MAIN_LOG"
check "cutoverd starts the six workers and cutover-web" \
  wait_for 60 eq 7 count "$MAIN_LOG" cutoverd '^worker [a-z]+ started: pid'
"$BIN/cutover" publish build-ready --env "$ENV" --build b2 --version 2.0 --artifact "$URI_2_0" \
  --sha256 "$SHA_2_0" --bluegreen > "$LOGDIR/kafka_secure_publish.log" 2>&1
check_eq "the CLI publishes build-ready on its principal (exit 0)" 0 "$?"
gate_open all
check "the deployment completes" wait_for 180 eq completed dep_state b2
ID=$(dep_id b2)
check_eq "the signed build-ready was accepted as ops@example.com's" "accepted ops@example.com" \
  "$(sql "SELECT outcome || ' ' || principal FROM command_audit WHERE environment = :'v1' AND action = 'build-ready'" "$ENV")"
check_eq "it went through every state once (each worker read its topic: only its principal may)" \
  "scaling deploying validating shifting promoted completed" "$(dep_path b2)"
check_eq "the frontend serves 2.0 from green" "version 2.0 color green" "$(served)"
check "every state change was announced on deployment-status" wait_for 30 eq \
  "scaling deploying validating shifting promoted completed" status_states "$ID"
check "the outbox is drained (the publishers may write every outbox topic)" wait_for 30 eq 0 outbox_unsent
check_eq "no process exited" 0 "$(count "$MAIN_LOG" cutoverd 'exited with status')"
check_eq "the broker refused no process (no authentication or authorization error logged)" 0 \
  "$(refused "$MAIN_LOG")"
STATUS_JSON=$("$BIN/cutover" status "$ENV" --json 2>&1)
check "cutover status --json reads the deployment" grep -q completed <<< "$STATUS_JSON"
stop_cutoverd

# 4. the CLI writing where it has no ACL
ALARM_OUT=$("$BIN/cutover" alarm "$ENV" --alarm SecureTest 2>&1)
check_eq "cutover alarm (alarm-fired: no ACL for the CLI) exits 1" 1 "$?"
check "... saying the delivery to alarm-fired failed for authorization" \
  grep -q '^cutover: delivery to alarm-fired failed: Broker: Topic authorization failed$' <<< "$ALARM_OUT"
check_eq "... and nothing reached alarm-fired" 0 "$(topic_count alarm-fired)"
"$BIN/cutover" shift "$ENV" --weight 100 > /dev/null 2>&1
check_eq "while shift-requested, which it may write, is accepted (exit 0)" 0 "$?"

# 5. a worker with a wrong password: fatal, restarted with the throttled pause
BAD=$TMP_SECURE/bad-credentials
(umask 077; mkdir "$BAD"; printf 'cutover-scaler\nnot-the-password\n' > "$BAD/scaler")
BAD_LOG=$LOGDIR/cutoverd-secure-badpass.log
CUTOVER_KAFKA_CREDENTIALS_DIR=$BAD start_cutoverd "$BAD_LOG" --workers scaler
check "the scaler with a wrong password is restarted four times" \
  wait_for 90 gt 3 count "$BAD_LOG" cutoverd '^worker scaler restarting in'
stop_cutoverd
check "each start ends in a fatal log naming the refused user" test \
  "$(jq -Rr 'fromjson? | select(.worker == "scaler" and .level == "fatal") | .msg' "$BAD_LOG" |
     grep -c '^kafka: authentication as SASL user cutover-scaler refused: .*invalid credentials')" -ge 4
check "every start failed (status 1)" \
  test "$(count "$BAD_LOG" cutoverd 'exited with status 1 ')" -eq "$(count "$BAD_LOG" cutoverd 'started: pid')"
check_eq "the pauses double up to the cap" "200 400 800 1600" \
  "$(msgs "$BAD_LOG" cutoverd | sed -n 's/^worker scaler restarting in \([0-9]*\) ms$/\1/p' | head -4 | paste -sd ' ')"

# 6. no password anywhere
SECRETS=$TMP_SECURE/secrets
cat "$KDIR"/secrets/* > "$SECRETS"
printf 'not-the-password\n' >> "$SECRETS"
sed -E -n 's#^postgresql://[^:/@]*:([^@]+)@.*#\1#p' <<< "$CUTOVER_DATABASE_URL" >> "$SECRETS"
check_eq "the passwords to look for: Kafka's (admin, controller, keystore, eight roles, the wrong one), the database's" 13 \
  "$(grep -c . "$SECRETS")"
# the private half of each signing key: the key file's body after its first two lines
# (which hold the format's header and the public key)
for key in cli web; do sed '1,3d;$d' "$TMP_SECURE/$key" >> "$SECRETS"; done
check "the private keys' lines are looked for too" test "$(grep -c . "$SECRETS")" -gt 14
mapfile -t LOGS < <(find -L "$TOP/.run" -name '*.log' -type f)
check "the logs under .run are many (${#LOGS[@]}), the broker's and the workers' among them" \
  eval '[ ${#LOGS[@]} -gt 5 ] && printf "%s\n" "${LOGS[@]}" | grep -q kafka-secure/server.log && printf "%s\n" "${LOGS[@]}" | grep -q cutoverd-secure.log'
check_eq "no password or private key in any log under .run" "" "$(grep -lF -f "$SECRETS" "${LOGS[@]}")"
EVENTS=$TMP_SECURE/events
for topic in build-ready green-scaled green-deployed green-validated shift-requested \
  traffic-shifted alarm-fired deployment-status dead-letter schema-migrated; do
  consume "$topic" >> "$EVENTS"
done
check "the topics hold this test's events" test "$(grep -c . "$EVENTS")" -gt 10
check_eq "no password or private key in any event" 0 "$(grep -cF -f "$SECRETS" "$EVENTS")"
AUDIT=$(sql "SELECT row_to_json(a) FROM command_audit a WHERE environment = :'v1'" "$ENV")
check "the audit holds this test's build-ready" grep -q build-ready <<< "$AUDIT"
check_eq "no password or private key in the audit" 0 "$(grep -cF -f "$SECRETS" <<< "$AUDIT")"
check_eq "no password in cutover status --json" 0 "$(grep -cF -f "$SECRETS" <<< "$STATUS_JSON")"
CONFIG_OUT=$(as_admin "$BIN/cutover" config 2>&1; CUTOVER_KAFKA_SASL_USERNAME=admin \
  CUTOVER_KAFKA_SASL_PASSWORD="$(cat "$KDIR/secrets/admin")" "$BIN/cutover" config 2>&1)
check "cutover config shows the credentials' settings" \
  grep -q '^CUTOVER_KAFKA_SASL_PASSWORD=\*\*\*\*' <<< "$CONFIG_OUT"
check_eq "no password in cutover config" 0 "$(grep -cF -f "$SECRETS" <<< "$CONFIG_OUT")"

rm -rf "$TMP_SECURE"
finish
