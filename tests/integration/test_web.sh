#!/usr/bin/env bash
# test_web - cutover-web, the HTTP process, on the real stack with the five
# workers and a canary on the local provider:
# 1. the embedded page is the one in common/web/assets (embed is up to date);
#    /healthz and /readyz answer;
# 2. the API's documents equal `cutover status --json` and `cutover history
#    --json` for the same environment (before, during and after a canary);
#    unknown environments and bad names are 404, a bad limit 400; each
#    color's health is in them (blue 2/2 after the seed, its rows left
#    untouched while nothing changes, the retired color at 0/0, a killed
#    instance as 1 of 2);
# 3. /metrics passes `promtool check metrics`, and the weight gauge follows
#    the canary (0 -> 0.3 -> 1), as do the state, step and end-state counters;
# 4. a real headless Chromium loads the page during the canary, waits until
#    it shows the new weight, takes a screenshot into the test log folder,
#    and the page recorded no JavaScript error and polled by itself; it
#    shows each color's health (healthy/desired), and a degraded color and
#    a provider's error where the database has them;
# 5. bad input: unknown paths 404, other methods 405, huge headers and
#    bodies 4xx, slowloris-style partial requests are closed after the
#    timeout while others are served meanwhile; 300 idle connections, past
#    the cap of 256, make a request wait without the process spinning,
#    and once they close it serves at once; afterwards /healthz still
#    answers and VmRSS stayed bounded;
# 6. a database connection killed under it is re-established;
# 7. cutoverd runs it as the worker "web".
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"
source "$TOP/tests/traffic_lib.sh"

use_test_prefix
saga_setup web
saga_release 2.0
[ -x "$BIN/cutover-web" ] || { not_ok "cutover-web is built" "run make first"; exit 1; }
missing=$(saga_workers_missing | tr '\n' ' ')
[ -z "$missing" ] || not_ok "all five workers are built" "missing: $missing"
start_saga_workers CUTOVER_HEALTH_CHECK_MS=500

# Under make sanitize, ASan holds freed memory in a quarantine (256 MB by
# default) that VmRSS would count as the process's own: keep it small, so
# that the bound below measures cutover-web and not the sanitizer.
start_web ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1" ||
  { not_ok "cutover-web starts and tells its port" "$(tail -3 "$WEB_LOG")"; finish; }
ok "cutover-web starts and tells its port"

# code METHOD PATH [CURL ARGS...] - the HTTP status of one request
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X "$1" "${@:3}" "$URL$2"; }
# api PATH - a JSON document of the API, keys sorted
api() { curl -fsS --max-time 5 "$URL$1" | jq -S .; }
# cli_json CMD - `cutover CMD ENV --json`, keys sorted
cli_json() { "$BIN/cutover" "$1" "$ENV" --json "${@:2}" | jq -S .; }
# same_as_cli - the API's status and history of ENV equal the CLI's, and the list holds the same status
same_as_cli() {
  [ "$(api "/api/v1/environments/$ENV")" == "$(cli_json status)" ] &&
    [ "$(api "/api/v1/environments/$ENV/history?limit=20")" == "$(cli_json history)" ] &&
    [ "$(api /api/v1/environments | jq -S --arg e "$ENV" '.environments[] | select(.environment == $e)')" == "$(cli_json status)" ]
}
# promtool_ok - /metrics is not empty and passes promtool check metrics
promtool_ok() { scrape > "$TMP/metrics.txt" && [ -s "$TMP/metrics.txt" ] && promtool check metrics < "$TMP/metrics.txt"; }
# scrape - the web's /metrics
scrape() { curl -fsS --max-time 10 "$URL/metrics"; }
# sample NAME LABELS - one sample's value ("" when absent); LABELS as printed, e.g. environment="x",color="green"
sample() { scrape | awk -v k="$1{$2}" '$1 == k { print $2 }'; }
# green_ratio - the new color's weight gauge for ENV
green_ratio() { sample cutover_traffic_weight_ratio "environment=\"$ENV\",color=\"green\""; }
# rss_kb - the web process's resident memory
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$WEB_PID/status"; }

# 1. assets, health
"$TOP/common/web/assets/embed" "$TMP/web_assets.c"
check "common/web/web_assets.c is generated from common/web/assets (run embed)" \
  cmp -s "$TMP/web_assets.c" "$TOP/common/web/web_assets.c"
check_eq "/healthz: 200" 200 "$(code GET /healthz)"
check_eq "/readyz: 200 with the database up" 200 "$(code GET /readyz)"
check "/ serves the page with a restrictive Content-Security-Policy" \
  bash -c "curl -fsSi '$URL/' | grep -qi \"^content-security-policy: default-src 'none'\""
check_eq "HEAD / answers 200 with no body" "200 0" \
  "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$URL/")"

# 2. the API is cutover status --json
# health_of COLOR - a color's health in the API's document, without its time
health_of() { api "/api/v1/environments/$ENV" | jq -c --arg c "$1" '.health[$c] | del(.changed_at)'; }
# health_versions - the environment's color_health rows as stored (xmin, xmax: any write or lock changes them)
health_versions() {
  sql "SELECT string_agg(color || ' ' || xmin || ' ' || xmax || ' ' || changed_at, ', ' ORDER BY color)
       FROM color_health WHERE environment = :'v1'" "$ENV"
}
check "after the seed the API shows blue's health: 2 of 2 healthy" \
  wait_for 20 eq '{"desired":2,"error":null,"healthy":2}' health_of blue
check_eq "... and green's: none asked, none running" '{"desired":0,"error":null,"healthy":0}' "$(health_of green)"
check_eq "/metrics exports the same counts (blue desired, healthy; green desired, healthy)" "2 2 0 0" \
  "$(for c in blue green; do for k in desired healthy; do
       sample cutover_color_instances "environment=\"$ENV\",color=\"$c\",condition=\"$k\""
     done; done | paste -sd ' ')"
HEALTH_ROWS=$(health_versions)
sleep 2
check_eq "while nothing changes, 4 checks later the health rows are neither written nor locked" \
  "$HEALTH_ROWS" "$(health_versions)"
check "before any deployment: the API's documents equal the CLI's" same_as_cli
check_eq "an unknown environment: 404" 404 "$(code GET /api/v1/environments/no-such-env-here)"
check_eq "a name that cannot be an environment's: 404" 404 "$(code GET /api/v1/environments/Bad_Name)"
check_eq "a path below an environment that does not exist: 404" 404 "$(code GET "/api/v1/environments/$ENV/nope")"
check_eq "history?limit=0: 400" 400 "$(code GET "/api/v1/environments/$ENV/history?limit=0")"
check_eq "history?limit=2 keeps at most 2" 0 "$(api "/api/v1/environments/$ENV/history?limit=2" | jq '.deployments | length')"
check_eq "before the canary the green weight gauge is 0" 0 "$(green_ratio)"
check "promtool check metrics passes on /metrics" promtool_ok

# 3. a canary that holds at 30 % until an operator resumes
build_ready w1 2.0 "$(canary 30:null 100:1)"
gate_open 2.0
check "the canary shifts 30 % to green" wait_for 240 eq 0.3 green_ratio
W1=$(dep_id w1)
check "HAProxy follows: blue 70, green 30" wait_for 60 eq "70 30" weights
# confirmed_weights - the active deployment's weights the provider read back, per the API
confirmed_weights() { api "/api/v1/environments/$ENV" | jq -c .active.confirmed_weights; }
check "the API shows the weights the provider confirmed" \
  wait_for 20 eq '{"blue":70,"green":30}' confirmed_weights
check_eq "... and so does cutover_traffic_weight_confirmed_ratio" 0.3 \
  "$(sample cutover_traffic_weight_confirmed_ratio "environment=\"$ENV\",color=\"green\"")"
check "during the canary: the API's documents equal the CLI's" wait_for 10 same_as_cli
check_eq "the API shows step 1 of 2 at 30 %" '[30,0,2,"shifting"]' \
  "$(api "/api/v1/environments/$ENV" | jq -c '[.active.weight,.active.step,.active.steps,.active.state]')"
check_eq "cutover_deployment_state: shifting is 1" 1 \
  "$(sample cutover_deployment_state "environment=\"$ENV\",state=\"shifting\"")"
check_eq "cutover_deployment_state: one state at 1 among all" 1 \
  "$(scrape | grep "^cutover_deployment_state{environment=\"$ENV\"," | awk '{ s += $2 } END { print s }')"
check_eq "cutover_canary_step is 1 of cutover_canary_steps 2" "1 2" \
  "$(sample cutover_canary_step "environment=\"$ENV\"") $(sample cutover_canary_steps "environment=\"$ENV\"")"
check "promtool check metrics passes during the canary" promtool_ok

# 4. the page in a real headless Chromium
CHROMIUM=$(command -v chromium || command -v chromium-browser)
# chromium_run ARGS... - one headless load of the page showing ENV (or
# PAGE_ENV) only (own profile, bounded time); PAGE_QUERY adds to the query
chromium_run() {
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$TMP/chromium" --virtual-time-budget=4000 "$@" "$URL/?env=${PAGE_ENV:-$ENV}${PAGE_QUERY:-}" \
    2>>"$LOGDIR/web-chromium.log"
}
# page_shows_weight - the dumped page shows ENV's green weight at 30 (kept in $TMP/dom.html)
page_shows_weight() {
  chromium_run --dump-dom > "$TMP/dom.html" &&
    grep -q "class=\"weight-value\" data-env=\"$ENV\" data-color=\"green\">30<" "$TMP/dom.html"
}
# page_shows_health - a fresh load of the page shows blue and green at 2/2
# (a weight change reloads HAProxy, which reports a server down for an instant)
page_shows_health() {
  chromium_run --dump-dom |
    grep -Eq "class=\"health-value\" data-env=\"$ENV\" data-color=\"blue\" data-state=\"ok\" title=\"since [^\"]*\">2/2<.*class=\"health-value\" data-env=\"$ENV\" data-color=\"green\" data-state=\"ok\" title=\"since [^\"]*\">2/2<"
}
if [ -z "$CHROMIUM" ]; then
  not_ok "chromium is installed (ops/bootstrap)"
else
  check "Chromium shows the new weight (30 % on green) during the canary" wait_for 90 page_shows_weight
  cp "$TMP/dom.html" "$LOGDIR/web-canary-dom.html"
  check_eq "the page recorded no JavaScript error" 'data-js-errors="0"' \
    "$(grep -o 'data-js-errors="[0-9]*"' "$TMP/dom.html" | head -1)"
  check_eq "... and it would have: a deliberate error (?selftest=error) is recorded" \
    'data-js-errors="1"' "$(PAGE_QUERY='&selftest=error' chromium_run --dump-dom | grep -o 'data-js-errors="[0-9]*"' | head -1)"
  check "the page polled the API by itself (no reload) more than once" \
    gt 1 sed -n 's/.*data-polls="\([0-9]*\)".*/\1/p;T;q' "$TMP/dom.html"
  check "the page shows step 1 of 2 with a progress bar" \
    grep -q "class=\"step-value\" data-env=\"$ENV\">1 of 2</span><progress max=\"2\"" "$TMP/dom.html"
  check "the page shows the active deployment's state" \
    grep -q "class=\"badge shifting active-state\" data-env=\"$ENV\">shifting<" "$TMP/dom.html"
  check "the page shows the weights the provider confirmed" \
    grep -q "class=\"confirmed-value\" data-env=\"$ENV\">blue 70 %, green 30 %<" "$TMP/dom.html"
  check "the page shows each color's health as healthy/desired" wait_for 60 page_shows_health
  check "the page shows the deployment in its last deployments" \
    grep -q "<td>w1</td><td>2.0</td><td><span class=\"badge shifting\">shifting</span>" "$TMP/dom.html"
  check_eq "?env=NAME shows that environment only" 1 "$(grep -o '<section class="env"' "$TMP/dom.html" | grep -c .)"
  # a second environment, out of the workers' reach, with a degraded color and a provider's error
  SICK=$(unique_name sick)
  printf '{"name": "%s", "provider": "local", "capacity": 2, "local": {"listen_port": 1, "base_port": 2}}' \
    "$SICK" > "$TMP/sick.json"
  "$BIN/cutover" env apply "$TMP/sick.json" > /dev/null
  sql "INSERT INTO color_health (environment, color, desired, healthy, error)
       VALUES (:'v1', 'blue', 2, 1, NULL), (:'v1', 'green', NULL, NULL, 'haproxy socket: refused')" "$SICK" > /dev/null
  PAGE_ENV=$SICK chromium_run --dump-dom > "$TMP/sick.html"
  check "the page marks a degraded color: 1/2" \
    grep -q "data-color=\"blue\" data-state=\"degraded\" title=\"since [^\"]*\">1/2<" "$TMP/sick.html"
  check "... and a color the provider could not read, with the error" \
    grep -q "data-color=\"green\" data-state=\"error\" title=\"since [^\"]*\">?</span><span class=\"health-error\">(haproxy socket: refused)<" \
    "$TMP/sick.html"
  rm -f "$LOGDIR/web-canary.png"
  chromium_run --window-size=1400,1000 --screenshot="$LOGDIR/web-canary.png" > /dev/null
  check "a screenshot of the page during the canary is in the test log folder" \
    bash -c "[ \"\$(head -c 8 '$LOGDIR/web-canary.png' | od -An -tx1 | tr -d ' ')\" == 89504e470d0a1a0a ]"
fi

# the canary completes: the gauges follow
shift_requested resume
check "after resume the canary completes" wait_for 120 eq completed dep_state w1
check "the green weight gauge follows to 1" wait_for 20 eq 1 green_ratio
check "the live color gauge moves to green" wait_for 20 eq 1 \
  sample cutover_environment_live_color "environment=\"$ENV\",color=\"green\""
check_eq "cutover_deployment_state: completed is 1 (the last finished, none active)" 1 \
  "$(sample cutover_deployment_state "environment=\"$ENV\",state=\"completed\"")"
check "cutover_deployments_total counts the completed deployment" wait_for 20 eq 1 \
  sample cutover_deployments_total "environment=\"$ENV\",state=\"completed\""
check_eq "... and its duration is in the histogram" 1 \
  "$(sample cutover_deployment_duration_seconds_count "environment=\"$ENV\",state=\"completed\"")"
check "the retired old color's health shows in the API: blue 0 of 0" \
  wait_for 30 eq '{"desired":0,"error":null,"healthy":0}' health_of blue
check "after the canary: the API's documents equal the CLI's" same_as_cli
check "promtool check metrics passes after the canary" promtool_ok
kill -9 "$(cat "$CUTOVER_RUN_DIR/local/$ENV/green-1/pid")"
check "a green instance killed: the API shows green 1 of 2 healthy" \
  wait_for 30 eq '{"desired":2,"error":null,"healthy":1}' health_of green
check_eq "... and /metrics: green 1 healthy" 1 \
  "$(sample cutover_color_instances "environment=\"$ENV\",color=\"green\",condition=\"healthy\"")"

# 5. bad input
RSS0=$(rss_kb)
check_eq "an unknown path: 404" 404 "$(code GET /no/such/path)"
for m in POST PUT DELETE PATCH OPTIONS; do
  check_eq "$m /: 405" 405 "$(code "$m" /)"
done
check "405 names the allowed methods" bash -c "curl -si -X POST '$URL/api/v1/environments' | grep -qi '^allow: GET, HEAD'"
BIG=$(head -c 65536 /dev/zero | tr '\0' a)
HUGE_HEADER=$(code GET /healthz -H "X-Big: $BIG")
check "a 64 KB header: 4xx ($HUGE_HEADER)" bash -c "[[ '$HUGE_HEADER' =~ ^4[0-9][0-9]$ ]]"
head -c 1048576 /dev/zero > "$TMP/body"
HUGE_BODY=$(code POST /api/v1/environments --data-binary "@$TMP/body" -H 'Content-Type: application/octet-stream')
check "a 1 MB body: 4xx ($HUGE_BODY)" bash -c "[[ '$HUGE_BODY' =~ ^4[0-9][0-9]$ ]]"
HUGE_GET=$(code GET /healthz --data-binary "@$TMP/body")
check "a GET with a 1 MB body: 4xx ($HUGE_GET)" bash -c "[[ '$HUGE_GET' =~ ^4[0-9][0-9]$ ]]"

# slowloris: partial requests held open
SLOW_FDS=()
for i in $(seq 1 20); do
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'GET /api/v1/environments HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&"$fd"
  SLOW_FDS+=("$fd")
done
SLOW_START=$SECONDS
# served_fast - /healthz answers within a second
served_fast() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$URL/healthz")" == 200 ]; }
check "20 partial requests open: /healthz is still served at once" served_fast
check "... and the API too" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 '$URL/api/v1/environments')\" == 200 ]"
# slow_closed FD - the server closed the connection (cat reads end of file at once)
slow_closed() { timeout 0.5 cat <&"$1" > /dev/null; }
check "a partial request is not closed at once" bash -c "! timeout 0.5 cat <&${SLOW_FDS[0]} > /dev/null"
check "the server closes a partial request after its timeout" wait_for 30 slow_closed "${SLOW_FDS[0]}"
SLOW_TOOK=$((SECONDS - SLOW_START))
check "... about HTTPD_TIMEOUT_S (10 s) after it began (took $SLOW_TOOK s)" \
  bash -c "[ $SLOW_TOOK -ge 8 ] && [ $SLOW_TOOK -le 25 ]"
check "every partial request is closed" bash -c "for fd in ${SLOW_FDS[*]}; do timeout 2 cat <&\$fd > /dev/null || exit 1; done"
for fd in "${SLOW_FDS[@]}"; do exec {fd}>&-; done

# the connection cap: more idle connections than HTTPD_MAX_CONNECTIONS (256)
# cpu_ticks - the web process's user and system time, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$WEB_PID/stat"; }
# not_served_fast - /healthz gets no answer within a second
not_served_fast() { ! served_fast; }
# connections_gauge - cutover_http_connections as the web's /metrics shows it
connections_gauge() { scrape | awk '$1 == "cutover_http_connections" { print $2 }'; }
IDLE_FDS=()
for i in $(seq 1 300); do
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
  IDLE_FDS+=("$fd")
done
check "300 idle connections: a request past the cap waits" not_served_fast
TICKS0=$(cpu_ticks)
sleep 2
TICKS=$(( $(cpu_ticks) - TICKS0 ))
check "... and the process does not spin meanwhile ($TICKS ticks of CPU in 2 s)" \
  bash -c "[ $TICKS -lt $(( $(getconf CLK_TCK) / 2 )) ]"
for fd in "${IDLE_FDS[@]}"; do exec {fd}>&-; done
check "once they close, /healthz answers at once" wait_for 5 served_fast
check "the connections gauge falls back (the scrape's own: 1)" wait_for 5 eq 1 connections_gauge
check "the pause at the cap is counted" gt 0 sample cutover_http_accept_pauses_total 'reason="max_connections"'

# memory: many bad requests, twice; the second round must not grow it
# bad_round - 200 requests with a 64 KB header, 100 with a 1 MB body, 100 unknown paths
bad_round() {
  local i
  for i in $(seq 1 200); do curl -s -o /dev/null --max-time 5 -H "X-Big: $BIG" "$URL/healthz"; done
  for i in $(seq 1 100); do curl -s -o /dev/null --max-time 5 --data-binary "@$TMP/body" "$URL/"; done
  for i in $(seq 1 100); do curl -s -o /dev/null --max-time 5 "$URL/no/$i"; done
}
bad_round
RSS1=$(rss_kb)
bad_round
RSS2=$(rss_kb)
echo "# VmRSS: ${RSS0} kB before, ${RSS1} kB after 400 bad requests, ${RSS2} kB after 800"
check "VmRSS stays bounded: < 16 MB above the start ($RSS0 -> $RSS2 kB)" bash -c "[ $((RSS2 - RSS0)) -lt 16384 ]"
check "... and a second round of bad requests adds < 2 MB ($RSS1 -> $RSS2 kB)" bash -c "[ $((RSS2 - RSS1)) -lt 2048 ]"
check_eq "after all that: /healthz still 200" 200 "$(code GET /healthz)"
check "the web process is still the same one" kill -0 "$WEB_PID"

# 6. the database connection killed under it comes back
# web_pg_port - the local port of this web process's connection to PostgreSQL
web_pg_port() {
  local pg_port
  pg_port=$(sed -n 's|^postgresql://[^@]*@[^:/]*:\([0-9]*\)/.*|\1|p' <<< "$CUTOVER_DATABASE_URL")
  ss -tnpH state established "( dport = :$pg_port )" | grep "pid=$WEB_PID," | awk '{ print $3 }' | sed 's/.*://' | head -1
}
WEB_PG_PORT=$(web_pg_port)
check_eq "the web's own database connection is terminated" 1 \
  "$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE application_name = 'cutover-web' AND client_port = :'v1'::int" "$WEB_PG_PORT")"
# ready_again - readyz and the API answer 200
ready_again() { [ "$(code GET /readyz)" == 200 ] && [ "$(code GET "/api/v1/environments/$ENV")" == 200 ]; }
check "a killed database connection is re-established: /readyz and the API answer again" wait_for 20 ready_again
check "... and the web logged it" grep -q "database connection re-established" "$WEB_LOG"

# 7. under cutoverd
SUP_PORT=$(port_range_pick 1)
SUP_LOG=$LOGDIR/web-cutoverd.log
: > "$SUP_LOG"
CUTOVER_WEB_ADDR=127.0.0.1:$SUP_PORT "$BIN/cutoverd" --workers web >> "$SUP_LOG" 2>&1 &
SUP=$!
check "cutoverd --workers web: the page answers on CUTOVER_WEB_ADDR" \
  wait_for 60 eq 200 curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$SUP_PORT/healthz"
kill -TERM "$SUP"
wait "$SUP"
check_eq "cutoverd stops it and exits 0" 0 $?

finish
