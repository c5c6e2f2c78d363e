#!/usr/bin/env bash
# bench_appdb - what an online schema change costs: the ALTER of a
# 200,000-row table through pt-online-schema-change against the same ALTER
# run directly by MariaDB (cutover db apply both times, the threshold
# deciding), and the write latency the application sees meanwhile (the
# load probe tests/integration/appdb_load_probe.c: p50, p99, max), with
# the same load on an idle table as the floor. Numbers, never pass/fail.
#
# usage: tests/bench/bench_appdb.sh   (ROWS: BENCH_APPDB_ROWS, default 200000)
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/appdb_lib.sh"

ROWS=${BENCH_APPDB_ROWS:-200000}
T=$(unique_name b | tr -- '-' '_')

# make_table NAME - ROWS rows
make_table() {
  my "CREATE TABLE $1 (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL, pad CHAR(50) NOT NULL DEFAULT 'x');
      INSERT INTO $1 (v) SELECT seq FROM seq_1_to_$ROWS;"
}

# report NAME MS STATS - one line
report() {
  printf '  %-34s %6s ms  writes %5s  p50 %6s us  p99 %7s us  max %7s us  errors %s  deadlock retries %s\n' \
    "$1" "$2" "$(appdb_stat "$3" writes)" "$(appdb_stat "$3" write_p50_us)" \
    "$(appdb_stat "$3" write_p99_us)" "$(appdb_stat "$3" write_max_us)" "$(appdb_stat "$3" errors)" \
    "$(appdb_stat "$3" retries)"
}

# measure NAME THRESHOLD LABEL - apply the ALTER of a fresh table under load, print the line
measure() {
  local table="${T}_$1" start ms stats
  make_table "$table"
  appdb_doc "$APPDB_TMP/db.json" "$2"
  appdb_release "$APPDB_TMP/rel_$1" "${table}_m:expand:ALTER TABLE $table ADD COLUMN note VARCHAR(40) NULL, ADD INDEX ${table}_v (v);"
  appdb_load_start "$table"
  start=$(date +%s%N)
  rc=$(appdb_apply "$APPDB_TMP/db.json" "$APPDB_TMP/rel_$1" expand "$APPDB_TMP/$1.out")
  ms=$((($(date +%s%N) - start) / 1000000))
  appdb_load_stop
  stats=$APPDB_LOAD_STATS
  [ "$rc" = 0 ] || { echo "  $1: apply failed (exit $rc)"; tail -n 5 "$APPDB_TMP/$1.out"; }
  sed "s/^/  load: /" "$APPDB_TMP/load.err"
  report "$3" "$ms" "$stats"
  my "DROP TABLE $table"
}

# idle - the same load for a few seconds on a table nothing alters
idle() {
  local table="${T}_idle" stats
  make_table "$table"
  appdb_load_start "$table"
  sleep "${BENCH_APPDB_IDLE_S:-3}"
  appdb_load_stop
  stats=$APPDB_LOAD_STATS
  report "no ALTER (floor, ${BENCH_APPDB_IDLE_S:-3} s)" "-" "$stats"
  my "DROP TABLE $table"
}

echo "  ALTER TABLE ... ADD COLUMN, ADD INDEX of $ROWS rows under a write+read load"
idle
measure direct 1000000000 "plain ALTER (MariaDB online DDL)"
measure osc 10000 "pt-online-schema-change"
finish
