# tests/soak/soak_lib.sh - helpers for the soak scripts (sourced after
# tests/lib.sh, bash): sizes shrunk by SOAK_SCALE, the report file of a
# part, the machine a run happened on, latency percentiles over time
# windows, random SIGKILLs of cutoverd's workers and graceful HAProxy
# reloads.
#
# A soak script NAME (tests/soak/soak_NAME.sh) writes its numbers to
# $SOAK_DIR/NAME.json: any object, with at least "passed" (true when every
# check held) and "summary" (Markdown lines for SUMMARY.md); tests/soak/run
# gathers them.

SOAK_DIR=${SOAK_DIR:-$TOP/.run/soak}
SOAK_SCALE=${SOAK_SCALE:-1}
mkdir -p "$SOAK_DIR"

# soak_scaled N [MIN] - N times SOAK_SCALE, rounded up, at least MIN (default 1)
soak_scaled() {
  awk -v n="$1" -v s="$SOAK_SCALE" -v min="${2:-1}" \
    'BEGIN { v = n * s; r = int(v); if (r < v) r++; if (r < min) r = min; print r }'
}

# soak_machine_json - the machine this run is on: nproc, memory, kernel, date, commit
soak_machine_json() {
  jq -n --arg nproc "$(nproc)" --arg mem "$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" \
    --arg kernel "$(uname -sr)" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --arg commit "$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)$(git -C "$TOP" diff --quiet HEAD 2>/dev/null || echo -dirty)" \
    --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
    '{nproc: ($nproc | tonumber), memory: $mem, kernel: $kernel, cpu: $cpu, date: $date, commit: $commit}'
}

# soak_percentiles - "p50 p99 count" (milliseconds) of the latencies in
# microseconds read one a line ("- - 0" when none)
soak_percentiles() {
  sort -n | awk '{ v[NR] = $1 }
    END {
      if (NR == 0) { print "- - 0"; exit }
      i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; if (i50 < 1) i50 = 1
      i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++; if (i99 < 1) i99 = 1
      printf "%.3f %.3f %d\n", v[i50] / 1000, v[i99] / 1000, NR
    }'
}

# soak_classify LATENCY_LOG SHIFTS BUSY - each request of cutover-loadgen's
# --latency-log as "CLASS LATENCY_US": shift when sent inside a window of
# the file SHIFTS, steady when inside no window of BUSY either, else busy
# (windows: "START_MS END_MS" a line)
soak_classify() {
  awk 'FILENAME == ARGV[1] { s0[++ns] = $1; s1[ns] = $2; next }
       FILENAME == ARGV[2] { b0[++nb] = $1; b1[nb] = $2; next }
       {
         c = "steady"
         for (i = 1; i <= ns; i++) if ($1 >= s0[i] && $1 <= s1[i]) { c = "shift"; break }
         if (c == "steady")
           for (i = 1; i <= nb; i++) if ($1 >= b0[i] && $1 <= b1[i]) { c = "busy"; break }
         print c, $2
       }' "$2" "$3" "$1"
}

# soak_latency_json LATENCY_LOG SHIFTS BUSY - {"steady", "shift", "busy":
# {"p50_ms", "p99_ms", "requests"}, "shift_p99_over_steady"}
soak_latency_json() {
  local classified class p50 p99 n json='{}'
  classified=$(mktemp)
  soak_classify "$@" > "$classified"
  for class in steady shift busy; do
    read -r p50 p99 n < <(awk -v c="$class" '$1 == c { print $2 }' "$classified" | soak_percentiles)
    json=$(jq --arg c "$class" --arg p50 "$p50" --arg p99 "$p99" --arg n "$n" \
      '.[$c] = {p50_ms: ($p50 | tonumber? // null), p99_ms: ($p99 | tonumber? // null), requests: ($n | tonumber)}' <<< "$json")
  done
  rm -f "$classified"
  jq '.shift_p99_over_steady = (if (.steady.p99_ms // 0) > 0 and .shift.p99_ms != null
                                 then (.shift.p99_ms / .steady.p99_ms * 100 | round / 100) else null end)' <<< "$json"
}

# soak_worker_pids SUP - "name pid" of every worker child of cutoverd SUP
soak_worker_pids() {
  local pid
  for pid in $(pgrep -P "$1"); do
    printf '%s %s\n' "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null || echo unknown)")" "$pid"
  done
}

# soak_kill_random SUP LOG - SIGKILL one worker child of SUP chosen at
# random; appends "WALL_MS NAME PID" to LOG
soak_kill_random() {
  local victims name pid
  mapfile -t victims < <(soak_worker_pids "$1" | grep '^cutover-')
  [ "${#victims[@]}" -gt 0 ] || return 1
  read -r name pid <<< "${victims[RANDOM % ${#victims[@]}]}"
  kill -KILL "$pid" 2>/dev/null || return 1
  echo "$(date +%s%3N) ${name#cutover-} $pid" >> "$2"
}

# soak_killer_start SUP LOG ACTIVE_CMD... - in the background, every 2 to 6 s
# (at random), SIGKILL a random worker of SUP while ACTIVE_CMD succeeds;
# sets KILLER
soak_killer_start() {
  local sup=$1 log=$2
  shift 2
  (
    while kill -0 "$sup" 2>/dev/null; do
      sleep "$((2 + RANDOM % 5)).$((RANDOM % 10))"
      "$@" >/dev/null 2>&1 && soak_kill_random "$sup" "$log"
    done
  ) &
  KILLER=$!
}

# soak_killer_stop - stop the killer
soak_killer_stop() {
  [ -n "${KILLER:-}" ] || return 0
  kill "$KILLER" 2>/dev/null
  wait "$KILLER" 2>/dev/null
  KILLER=""
}

# soak_haproxy_pid - the pid of the HAProxy worker serving the Runtime API now
soak_haproxy_pid() {
  echo "show info" | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_SOCKET" 2>/dev/null | sed -n 's/^Pid: //p'
}

# soak_haproxy_reload LOG - a graceful reload through the master socket, as
# ops/devstack and the local provider ask for one (the new worker takes the
# listeners, the old one finishes its connections); true once a new worker
# answers; appends "WALL_MS OLD_PID NEW_PID" to LOG
soak_haproxy_reload() {
  local old
  old=$(soak_haproxy_pid)
  wait_for 60 soak_haproxy_master_ask reload || return 1
  wait_for 60 soak_haproxy_pid_changed "$old" || return 1
  echo "$(date +%s%3N) $old $(soak_haproxy_pid)" >> "$1"
}

# soak_haproxy_master_ask COMMAND - one command to the master socket; false
# while the master does not answer (it re-executes itself on each reload)
soak_haproxy_master_ask() {
  echo "$1" | socat - "UNIX-CONNECT:$CUTOVER_HAPROXY_MASTER_SOCKET" > /dev/null 2>&1
}

# soak_haproxy_pid_changed OLD - a worker other than OLD answers the Runtime API
soak_haproxy_pid_changed() {
  local now
  now=$(soak_haproxy_pid)
  [ -n "$now" ] && [ "$now" != "$1" ]
}
