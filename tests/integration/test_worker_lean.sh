#!/usr/bin/env bash
# test_worker_lean - each worker starts without the pages it never uses:
# GnuTLS's implicit initialization off from its first instruction
# (base/lean.h: started again with GNUTLS_NO_IMPLICIT_INIT=1), none of
# Cyrus SASL's plugins loaded (io/kafka.c: kafka_new), neither libxml2 nor
# the ICU it brings mapped (the aws provider loads libxml2 when it first
# meets XML: provider/aws/xml_lib.h; libstdc++ is not checked, the
# sanitizers' runtime brings it under make sanitize); and a
# GNUTLS_NO_IMPLICIT_INIT or SASL_PATH that the user set is left alone.
# The resident sets themselves are figures: tests/bench/bench_memory.sh.
source "$(dirname "$0")/../lib.sh"

use_test_prefix
export CUTOVER_ENVIRONMENTS='^$'
WORKERS=(scaler deployer validator shifter rollbacker)

# started_count NAME - how many times worker NAME logged its start
started_count() { grep -c '"msg":"started' "$LOGDIR/worker-$1.log" 2>/dev/null || true; }

# start_and_wait NAME [ENV=VALUE...] - start a copy of NAME, wait until it has started
start_and_wait() {
  local before
  before=$(started_count "$1")
  start_worker "$@"
  wait_for 120 gt "$before" started_count "$1"
}

# started_with PID VAR=VALUE - the process was executed with VAR=VALUE in its environment
started_with() { tr '\0' '\n' < "/proc/$1/environ" | grep -qx "$2"; }

# maps PID PATTERN - a file matching PATTERN is mapped into the process
maps() { grep -q "$2" "/proc/$1/maps"; }

for name in "${WORKERS[@]}"; do
  check "$name starts" start_and_wait "$name"
  pid=$LAST_WORKER_PID
  check "$name: started with GnuTLS's implicit initialization off" \
    started_with "$pid" GNUTLS_NO_IMPLICIT_INIT=1
  check "$name: no Cyrus SASL plugin loaded" eval "! maps $pid /sasl2/"
  check "$name: neither libxml2 nor ICU mapped" eval "! maps $pid 'libxml2\|libicu'"
done
stop_workers

check "a scaler with GNUTLS_NO_IMPLICIT_INIT set by the user starts" \
  start_and_wait scaler GNUTLS_NO_IMPLICIT_INIT=1
check "it is not started again" eval "! started_with $LAST_WORKER_PID CUTOVER_LEAN_EXEC=1"
stop_workers
plugins=$(dirname "$(ls /usr/lib/*/sasl2/libplain.so* 2>/dev/null | head -1)")
if [ -d "$plugins" ]; then
  check "a scaler with SASL_PATH set by the user starts" start_and_wait scaler "SASL_PATH=$plugins"
  check "it loads the plugins found there" maps "$LAST_WORKER_PID" /sasl2/
else
  echo "ok - # SKIP no Cyrus SASL plugins installed"
fi
finish
