# tests/sns_lib.sh - what the SNS tests share (sourced after tests/lib.sh,
# bash): an HTTPS server (python3's http.server wrapped in ssl, on a free
# loopback port, with the TEST-ONLY CA and certificates that make puts in
# $BUILD/tests/data/sns) serving the signing certificates and a
# subscription confirmation, and messages signed as SNS signs them (the
# string to sign built in python, signed by the openssl CLI).
#
#   sns_server_start    start it (WORK: its directory): sets BASE and SNS_SERVER,
#                       the access log in $WORK/access.log; 1 when it does not start
#   sns_sign, signed     (below)

SNS_DATA=$TOP/$BUILD/tests/data/sns

# sns_serve - the HTTPS server: a free port written to WORK/port once bound; access log on stderr
sns_serve() {
  exec python3 - "$WORK/www" "$WORK/port" "$SNS_DATA/test-server.pem" "$SNS_DATA/test-server.key" <<'PY'
import functools, http.server, os, ssl, sys
root, port_file, cert, key = sys.argv[1:5]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.HTTPServer(("127.0.0.1", 0), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
}

# sns_sign TYPE VERSION KEY [NAME=VALUE...] - a message signed as SNS signs it, as JSON on stdout;
# NAME=VALUE sets a field before signing, NAME:=VALUE after (tampering)
sns_sign() {
  python3 - "$@" <<'PY'
import base64, json, subprocess, sys, time
kind, version, key = sys.argv[1:4]
now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
m = {"Type": kind, "MessageId": "0b7a4c6e-1111-4000-8000-%012d" % (time.time_ns() % 10**12),
     "TopicArn": "TOPIC", "Message": "hello", "Timestamp": now}
if kind == "Notification":
    m["Subject"] = "cutover test"
else:
    m["Token"] = "good"
    m["SubscribeURL"] = "BASE/confirm?Action=ConfirmSubscription&Token=good"
after = {}
for arg in sys.argv[4:]:
    if ":=" in arg:
        name, value = arg.split(":=", 1)
        after[name] = value
    else:
        name, value = arg.split("=", 1)
        m[name] = value
keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
if kind != "Notification":
    keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
text = "".join("%s\n%s\n" % (k, m[k]) for k in keys if k in m)
digest = "-sha1" if version == "1" else "-sha256"
sig = subprocess.run(["openssl", "dgst", digest, "-sign", key], input=text.encode(),
                     capture_output=True, check=True).stdout
m["SignatureVersion"] = version
m["Signature"] = base64.b64encode(sig).decode()
m.update(after)
print(json.dumps(m))
PY
}

# sns_server_start - the server on $WORK/www, with the signing certificates and a confirmation page
sns_server_start() {
  mkdir -p "$WORK/www"
  cp "$SNS_DATA/test-signing.pem" "$WORK/www/signing.pem"
  cp "$SNS_DATA/test-signing-expired.pem" "$WORK/www/expired.pem"
  echo '<ConfirmSubscriptionResponse/>' > "$WORK/www/confirm"
  sns_serve 2> "$WORK/access.log" &
  SNS_SERVER=$!
  wait_for 20 test -s "$WORK/port" || return 1
  BASE=https://localhost:$(cat "$WORK/port")
}

# signed NAME TYPE VERSION KEY [FIELDS...] - sign into WORK/NAME.json, for the test's topic
# and certificate URL unless TOPIC_OVERRIDE or CERT_URL say otherwise; prints the path
signed() {
  local file=$WORK/$1.json
  shift
  sns_sign "$@" "TopicArn=${TOPIC_OVERRIDE:-$TOPIC}" "SigningCertURL=${CERT_URL:-$BASE/signing.pem}" \
    > "$file"
  echo "$file"
}

# sns_requests PATTERN - how many access log lines match
sns_requests() { grep -c -- "$1" "$WORK/access.log" || true; }
