#!/usr/bin/env bash
# test_demo_app - the demo application's injected errors and its /metrics:
# --error-rate 25 answers exactly 25 of 100 requests to / with 500 while
# /health stays 200; /metrics counts both codes with the version and color,
# and passes promtool; a rate out of 0..100 is refused; --pid-file names the
# process that listens, and a second start on a taken port leaves it alone.
source "$(dirname "$0")/../lib.sh"

APP="$BIN/cutover-demo-app"
[ -x "$APP" ] || { not_ok "the demo app is built" "run make first"; finish; }
PORT=$(port_range_pick 1) || { not_ok "a free port"; finish; }
"$APP" --port "$PORT" --version 9.1 --color green --error-rate 25 >> "$LOGDIR/demo_app.log" 2>&1 &
APP_PID=$!
PIDS=$(mktemp -d)
trap 'kill "$APP_PID" 2>/dev/null; rm -rf "$PIDS"' EXIT
URL=http://127.0.0.1:$PORT

check "it serves /health" wait_for 10 curl -fsS -o /dev/null "$URL/health"
CODES=$(for _ in $(seq 100); do curl -s -o /dev/null -w '%{http_code}\n' "$URL/"; done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
check_eq "100 requests to /: 75 answered 200, 25 answered 500" "200:75 500:25 " "$CODES"
check_eq "/health stays 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health")"
METRICS=$(curl -fsS "$URL/metrics")
check_eq "/metrics counts the 200s" 75 \
  "$(awk '$1 == "demo_http_requests_total{code=\"200\",version=\"9.1\",color=\"green\"}" { print $2 }' <<< "$METRICS")"
check_eq "/metrics counts the 500s" 25 \
  "$(awk '$1 == "demo_http_requests_total{code=\"500\",version=\"9.1\",color=\"green\"}" { print $2 }' <<< "$METRICS")"
check "promtool check metrics accepts it" eval 'promtool check metrics <<< "$METRICS"'
check_eq "--error-rate 101 is refused (exit 2)" 2 \
  "$("$APP" --port "$PORT" --version 1 --color blue --error-rate 101 2>/dev/null; echo $?)"

# --pid-file: written once the port is held; a start that cannot listen leaves it
PID_PORT=$(port_range_pick 1) || { not_ok "a second free port"; finish; }
"$APP" --port "$PID_PORT" --version 9.2 --color blue --pid-file "$PIDS/pid" >> "$LOGDIR/demo_app.log" 2>&1 &
PID_APP=$!
trap 'kill "$APP_PID" "$PID_APP" 2>/dev/null; rm -rf "$PIDS"' EXIT
check "--pid-file: the file appears" wait_for 10 test -s "$PIDS/pid"
check_eq "--pid-file names the process that listens" "$PID_APP" "$(cat "$PIDS/pid")"
check "a second start on the taken port fails" eval '! "$APP" --port "$PID_PORT" --version 9.3 --color blue --pid-file "$PIDS/pid" >> "$LOGDIR/demo_app.log" 2>&1'
check_eq "... and leaves the file naming the first" "$PID_APP" "$(cat "$PIDS/pid")"
finish
