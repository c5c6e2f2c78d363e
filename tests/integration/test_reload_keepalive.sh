#!/usr/bin/env bash
# test_reload_keepalive - HAProxy reloads lose no request of a client that
# keeps its connections alive: cutover-loadgen sends GETs over many
# keep-alive connections through an environment's frontend (the local
# provider's, blue serving 1.0) while HAProxy is reloaded gracefully
# through its master socket again and again, as ops/devstack and the
# local provider do it. An old HAProxy worker must not close an idle
# connection under a client about to send on it: it answers the next
# request with "Connection: close" instead (option idle-close-on-response),
# and the client opens a new connection to the new worker.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/soak/soak_lib.sh"

RELOADS=15
use_test_prefix
saga_setup reload
[ -x "$BIN/cutover-loadgen" ] || { not_ok "cutover-loadgen is built"; finish; }
trap 'kill "${LOADGEN:-}" 2>/dev/null; saga_cleanup' EXIT

"$BIN/cutover-loadgen" --url "http://127.0.0.1:$LISTEN/" --rate 800 --connections 32 \
  --until-file "$TMP/load.stop" --max-duration 900 --report "$TMP/load.json" \
  > "$LOGDIR/loadgen-reload.log" 2>&1 &
LOADGEN=$!
check "the frontend answers under load" wait_for 30 eq "version 1.0 color blue" served
done_reloads=0
for ((n = 0; n < RELOADS; n++)); do
  soak_haproxy_reload "$TMP/reloads.log" && done_reloads=$((done_reloads + 1))
done
check_eq "HAProxy reloaded $RELOADS times, each time a new worker answered" "$RELOADS" "$done_reloads"
touch "$TMP/load.stop"
wait "$LOADGEN"
LOADGEN=""
check "the load generator wrote its report" test -s "$TMP/load.json"
check "requests were sent during the reloads" test "$(jq .sent "$TMP/load.json")" -gt 0
check_eq "not one request failed across the reloads" 0 "$(jq .failed "$TMP/load.json")"
check_eq "the frontend serves 1.0 from blue after them" "version 1.0 color blue" "$(served)"

finish
