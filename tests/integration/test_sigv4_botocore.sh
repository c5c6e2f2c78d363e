#!/usr/bin/env bash
# test_sigv4_botocore - cutover's SigV4 signer against botocore's.
#
# Signs a few hundred generated requests (tests/aws/botocore_crosscheck.py,
# seeded, so every run signs the same ones) with botocore and with
# `cutover aws sign`, and compares the canonical request, the string to sign
# and the signature. Needs python3 with botocore; no AWS account, no network.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
CUTOVER=${CUTOVER_BIN:-$TOP/$BUILD/bin/cutover}

if ! python3 -c 'import botocore' 2>/dev/null; then
  echo "ok - botocore cross-check # SKIP botocore is not installed"
  exit 0
fi
if [ ! -x "$CUTOVER" ]; then
  echo "not ok - botocore cross-check: $CUTOVER is not built"
  exit 1
fi
exec python3 "$TOP/tests/aws/botocore_crosscheck.py" --cutover "$CUTOVER" \
  --count "${SIGV4_CROSSCHECK_COUNT:-400}" --seed "${SIGV4_CROSSCHECK_SEED:-20150830}"
