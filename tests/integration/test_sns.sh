#!/usr/bin/env bash
# test_sns - Amazon SNS message verification (web/sns.h) against a real
# HTTPS server: python3's http.server wrapped in ssl, on a free loopback
# port, with the TEST-ONLY CA and certificates that make puts in $BUILD/tests/data/sns.
#
# Messages are signed here as SNS signs them (the string to sign built in
# python, signed by the openssl CLI) and handed to sns_probe, which fetches
# the signing certificate from the server over verified TLS. Checks: v1 and
# v2 accepted and a CloudWatch alarm read; a tampered message, another key,
# an unknown topic, an old Timestamp, an expired certificate, a refused
# certificate URL and an untrusted server refused; a SubscriptionConfirmation
# confirmed by fetching its SubscribeURL, and the server's access log shows
# that URL fetched for the valid message only, and nothing fetched for a
# refused certificate URL. No dev stack, no network.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/sns_lib.sh"

PROBE=$TOP/$BUILD/tests/sns_probe
DATA=$SNS_DATA
TOPIC=arn:aws:sns:eu-west-1:123456789012:cutover-alarms
if [ ! -x "$PROBE" ]; then
  not_ok "sns_probe is built" "$PROBE is missing (make)"
  exit 1
fi
WORK=$(mktemp -d "$LOGDIR/sns.XXXXXX")

# probe FILE [OPTIONS...] - sns_probe with the test's policy; its stdout
probe() {
  local file=$1
  shift
  "$PROBE" -c "$DATA/test-ca.pem" -H '^localhost$' -t "$TOPIC" "$@" "$file" 2>> "$WORK/probe.err"
}


# case_is NAME EXPECTED TYPE VERSION KEY [FIELDS...] - sign, verify, compare the first line
case_is() {
  local name=$1 want=$2
  shift 2
  check_eq "$name" "$want" "$(probe "$(signed "${name// /-}" "$@")" | head -1)"
}

trap 'kill $SNS_SERVER 2>/dev/null; wait $SNS_SERVER 2>/dev/null; stop_workers' EXIT
if ! sns_server_start; then
  not_ok "the HTTPS server starts" "$(cat "$WORK/access.log")"
  exit 1
fi
KEY=$DATA/test-signing.key
OTHER=$DATA/test-other.key
ALARM='{"AlarmName":"shop-5xx","NewStateValue":"ALARM","NewStateReason":"Threshold Crossed",
"Trigger":{"Dimensions":[{"name":"TargetGroup","value":"targetgroup/shop-green/1"}]}}'

check_eq "v1 alarm verified and read" "ok
alarm shop-5xx ALARM
dimension TargetGroup targetgroup/shop-green/1" \
  "$(probe "$(signed alarm Notification 1 "$KEY" "Message=$ALARM")")"
case_is "v2 accepted" ok Notification 2 "$KEY"
case_is "tampered Message refused" bad-signature Notification 2 "$KEY" "Message:=hello!"
case_is "another key refused" bad-signature Notification 1 "$OTHER"
case_is "old Timestamp refused" expired Notification 1 "$KEY" "Timestamp=2020-01-01T00:00:00.000Z"
TOPIC_OVERRIDE=arn:aws:sns:eu-west-1:123456789012:other \
  case_is "unknown topic refused" topic-not-allowed Notification 1 "$KEY"
CERT_URL=$BASE/expired.pem \
  case_is "expired certificate refused" cert-fetch-failed Notification 1 "$KEY"

before=$(sns_requests 'GET /')
CERT_URL=https://127.0.0.1:$(cat "$WORK/port")/signing.pem \
  case_is "certificate on another host refused" cert-url-refused Notification 1 "$KEY"
CERT_URL=${BASE/https/http}/signing.pem \
  case_is "http certificate URL refused" cert-url-refused Notification 1 "$KEY"
check_eq "refused certificate URLs are not fetched" "$before" "$(sns_requests 'GET /')"

check_eq "untrusted server (no test CA) refused" cert-fetch-failed \
  "$("$PROBE" -H '^localhost$' -t "$TOPIC" "$(signed plain Notification 1 "$KEY")" \
     2>> "$WORK/probe.err" | head -1)"

confirm=$(signed confirm SubscriptionConfirmation 2 "$KEY" \
  "SubscribeURL=$BASE/confirm?Action=ConfirmSubscription&Token=good")
forged=$(signed forged SubscriptionConfirmation 2 "$OTHER" "Token=forged" \
  "SubscribeURL=$BASE/confirm?Action=ConfirmSubscription&Token=forged")
check_eq "forged confirmation not confirmed" "bad-signature
not confirmed" "$(probe "$forged" -C)"
check_eq "valid confirmation confirmed" "ok
confirmed" "$(probe "$confirm" -C)"
check_eq "SubscribeURL fetched once for the valid confirmation" 1 \
  "$(sns_requests '"GET /confirm?Action=ConfirmSubscription&Token=good HTTP/1.1" 200')"
check_eq "SubscribeURL never fetched for the forged one" 0 "$(sns_requests 'Token=forged')"

# valgrind and a sanitizer build (make sanitize) do not mix: that build checks itself
if grep -q __asan_init "$PROBE"; then
  ok "sns_probe under valgrind # SKIP built with the sanitizers, which check it"
elif command -v valgrind > /dev/null; then
  valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite -q \
    "$PROBE" -c "$DATA/test-ca.pem" -H '^localhost$' -t "$TOPIC" -C "$confirm" \
    > /dev/null 2> "$WORK/valgrind.log"
  check_eq "sns_probe verify and confirm clean under valgrind" 0 "$?"
else
  ok "sns_probe under valgrind # SKIP valgrind is not installed"
fi

[ "$TEST_FAILURES" -eq 0 ]
