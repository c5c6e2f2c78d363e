#!/usr/bin/env bash
# test_appdb_online - migrations applied while the application works: a
# load of writes and reads (tests/integration/appdb_load_probe.c) runs on
# the same table during an additive ALTER of a small table (run directly)
# and during the ALTER of a 200,000-row table (run through
# pt-online-schema-change): the load sees zero failed queries and zero
# missing rows, and every row is there after. (An INSERT chosen as an
# InnoDB deadlock victim is issued again by the probe, as InnoDB asks of
# every application, and counted apart as a retry, printed below.) While the tool runs, no
# process's arguments hold the database's password.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/appdb_lib.sh"

DOC="$APPDB_TMP/db.json"
appdb_doc "$DOC" 10000
T=$(unique_name t | tr -- '-' '_')
PASSWORD=$(head -n1 "$CUTOVER_MYSQL_PASSWORD_FILE")

# ps_watch - sample every process's arguments until the stop file exists
ps_watch() {
  while [ ! -e "$APPDB_TMP/load.stop" ]; do
    ps -eo args >> "$APPDB_TMP/ps.txt"
    sleep 0.05
  done
}

# under_load TABLE ROWS MIGRATION-SQL WHAT - apply an expand migration while the
# probe loads TABLE (ROWS rows before), then check the load and the rows
under_load() {
  local table=$1 rows=$2 stats writes
  appdb_release "$APPDB_TMP/rel_$table" "${table}_m:expand:$3"
  appdb_load_start "$table"
  ps_watch &
  check_eq "$4: applied under load" 0 "$(appdb_apply "$DOC" "$APPDB_TMP/rel_$table" expand "$APPDB_TMP/$table.out")"
  appdb_load_stop
  stats=$APPDB_LOAD_STATS
  wait
  echo "# $4: $stats"
  writes=$(appdb_stat "$stats" writes)
  check "$4: the load ran during the migration" test "${writes:-0}" -gt 0
  check_eq "$4: zero failed queries" 0 "$(appdb_stat "$stats" errors)"
  check_eq "$4: zero written rows missing on read" 0 "$(appdb_stat "$stats" missing)"
  check_eq "$4: every row is there after" "$((rows + writes))" "$(my "SELECT COUNT(*) FROM $table")"
}

# 1. a small table: an additive ALTER run by the server itself
my "CREATE TABLE ${T}_small (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL);
    INSERT INTO ${T}_small (v) SELECT seq FROM seq_1_to_1000;"
under_load "${T}_small" 1000 "ALTER TABLE ${T}_small ADD COLUMN note VARCHAR(40) NULL, ALGORITHM=INPLACE, LOCK=NONE;" \
  "small table"
check "small table: run directly" grep -q "executor=direct outcome=applied" "$APPDB_TMP/${T}_small.out"
check_eq "small table: the column is there" 1 "$(my "SELECT COUNT(*) FROM information_schema.COLUMNS
  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '${T}_small' AND COLUMN_NAME = 'note'")"

# 2. 200,000 rows: through pt-online-schema-change
my "CREATE TABLE ${T}_big (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL, pad CHAR(50) NOT NULL DEFAULT 'x');
    INSERT INTO ${T}_big (v) SELECT seq FROM seq_1_to_200000;"
under_load "${T}_big" 200000 "ALTER TABLE ${T}_big ADD COLUMN note VARCHAR(40) NULL, ADD INDEX ${T}_v (v);" \
  "200,000 rows"
check "200,000 rows: run through pt-online-schema-change, dry run first" \
  grep -Pzq "dry-run.*\n(.*\n)*.*--execute(.*\n)*${T}_big_m statement 1/1 line 1: allowed executor=pt-online-schema-change outcome=applied" \
  "$APPDB_TMP/${T}_big.out"
check_eq "200,000 rows: the column and the index are there" "1 1" "$(my "SELECT
  (SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
     AND TABLE_NAME = '${T}_big' AND COLUMN_NAME = 'note'),
  (SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
     AND TABLE_NAME = '${T}_big' AND INDEX_NAME = '${T}_v')" | tr '\t' ' ')"
check_eq "200,000 rows: no leftover triggers or shadow tables" 0 "$(appdb_leftovers "${T}_big")"
check "the tool's process was seen while sampling" grep -q "pt-online-schema-change --execute" "$APPDB_TMP/ps.txt"
check "no process's arguments held the password" sh -c "! grep -qF -- '$PASSWORD' '$APPDB_TMP/ps.txt'"
check "no report held the password" sh -c "! grep -qF -- '$PASSWORD' '$APPDB_TMP'/*.out"
finish
