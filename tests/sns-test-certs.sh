#!/usr/bin/env bash
# sns-test-certs.sh DIR - make the TEST-ONLY certificates and keys of the
# SNS tests (test_sns, tests/integration/test_sns.sh) in DIR; `make` runs it
# into $(BUILD)/tests/data/sns. Nothing made here is trusted anywhere else,
# and none of it is committed: each build makes its own.
#
#   test-ca.{pem,key}               the test CA (signs the two below)
#   test-server.{pem,key}           the HTTPS server: localhost, 127.0.0.1
#   test-signing.{pem,key}          the "SNS" signing certificate and its key
#   test-signing-expired.pem        the same key, valid 2000-2001 only
#   test-other.key                  a key SNS never used (wrong signer)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
rm -rf "$1.tmp"
mkdir -p "$1.tmp"
work=$(cd "$1.tmp" && pwd)
cd "$work"
days=36500
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

newkey() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

newkey test-ca.key
openssl req -x509 -new -key test-ca.key -sha256 -days $days -subj "/CN=cutover TEST-ONLY SNS CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out test-ca.pem

# sign NAME SUBJECT EXT - NAME.csr signed by the test CA into NAME.pem
sign() {
  openssl req -new -key "$1.key" -subj "$2" -out "$tmp/$1.csr"
  printf '%s\n' "$3" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA test-ca.pem -CAkey test-ca.key -CAcreateserial \
    -CAserial "$tmp/serial" -days $days -sha256 -extfile "$tmp/$1.ext" -out "$1.pem" 2>/dev/null
}

newkey test-server.key
sign test-server "/CN=localhost" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
newkey test-signing.key
sign test-signing "/CN=sns.test-region.amazonaws.com TEST-ONLY" "keyUsage=critical,digitalSignature"
newkey test-other.key

# an expired certificate of the signing key: openssl ca sets past dates
mkdir -p "$tmp/ca"
: > "$tmp/ca/index.txt"
cat > "$tmp/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $tmp/ca/index.txt
new_certs_dir = $tmp/ca
serial = $tmp/ca/serial
default_md = sha256
policy = any
[any]
commonName = supplied
CNF
echo 1000 > "$tmp/ca/serial"
openssl req -new -key test-signing.key -subj "/CN=sns.test-region.amazonaws.com TEST-ONLY expired" \
  -out "$tmp/expired.csr"
openssl ca -batch -config "$tmp/ca.cnf" -cert test-ca.pem -keyfile test-ca.key \
  -startdate 20000101000000Z -enddate 20010101000000Z -notext \
  -in "$tmp/expired.csr" -out test-signing-expired.pem 2>/dev/null

# all made: move the set into place at once (a failed run leaves no half set)
cd /
rm -rf "${work%.tmp}"
mv "$work" "${work%.tmp}"
