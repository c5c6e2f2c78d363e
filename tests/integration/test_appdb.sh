#!/usr/bin/env bash
# test_appdb - `cutover db apply` against the development stack's MariaDB:
# a release's migrations applied in manifest order and recorded; a rerun
# applies nothing (exactly once); a refused expand changes nothing; a
# changed text of an applied migration fails; a command migration refused
# unless allow_commands; SIGKILL at each fault point (before a statement,
# pt-online-schema-change copying, after a statement before its record)
# then a rerun ends with every migration applied exactly once and no
# leftover triggers or shadow tables; the password in no output.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/appdb_lib.sh"

DOC="$APPDB_TMP/db.json"
appdb_doc "$DOC" 1000
T=$(unique_name t | tr -- '-' '_')

# 1. applied in order and recorded, then exactly once
appdb_release "$APPDB_TMP/r1" \
  "${T}_create:expand:CREATE TABLE ${T}_a (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL);
INSERT INTO ${T}_a (v) VALUES (1), (2), (3);" \
  "${T}_notes:expand:ALTER TABLE ${T}_a ADD COLUMN notes VARCHAR(50) NULL;" \
  "${T}_drop:contract:ALTER TABLE ${T}_a DROP COLUMN notes;"
check_eq "expand applies: exit 0" 0 "$(appdb_apply "$DOC" "$APPDB_TMP/r1" expand)"
check "the report has one line per statement" \
  grep -q "^${T}_create statement 2/2 line 2: allowed executor=direct outcome=applied" "$APPDB_TMP/out"
check_eq "the rows were inserted once" 3 "$(my "SELECT COUNT(*) FROM ${T}_a")"
check_eq "the column was added" 1 "$(my "SELECT COUNT(*) FROM information_schema.COLUMNS
  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '${T}_a' AND COLUMN_NAME = 'notes'")"
check_eq "both expand migrations are recorded finished, the contract one not yet" \
  "${T}_create expand 2 1
${T}_notes expand 1 1" "$(my "SELECT name, phase, statements_done, finished_at IS NOT NULL
  FROM cutover_schema_migrations WHERE name LIKE '${T}%' ORDER BY name" | tr '\t' ' ')"
check_eq "a rerun: exit 0" 0 "$(appdb_apply "$DOC" "$APPDB_TMP/r1" expand)"
check_eq "a rerun applies nothing" 2 "$(grep -c 'already applied, nothing to do' "$APPDB_TMP/out")"
check_eq "a rerun inserts nothing" 3 "$(my "SELECT COUNT(*) FROM ${T}_a")"
check_eq "contract applies" 0 "$(appdb_apply "$DOC" "$APPDB_TMP/r1" contract)"
check_eq "the contract dropped the column" 0 "$(my "SELECT COUNT(*) FROM information_schema.COLUMNS
  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '${T}_a' AND COLUMN_NAME = 'notes'")"
check "db status lists them" sh -c "'$BIN/cutover' db status '$DOC' | grep -q '^${T}_drop contract 1/1 executor=direct'"

# 2. a changed text of an applied migration fails, nothing runs
printf 'INSERT INTO %s_a (v) VALUES (9);\n' "$T" >> "$APPDB_TMP/r1/migrations/${T}_create.sql"
check_eq "a changed checksum: exit 1" 1 "$(appdb_apply "$DOC" "$APPDB_TMP/r1" expand)"
check "the error names the changed migration" grep -q "${T}_create: its text changed" "$APPDB_TMP/out"
check_eq "and nothing ran" 3 "$(my "SELECT COUNT(*) FROM ${T}_a")"

# 3. a refused expand changes nothing, not even the earlier allowed migration
appdb_release "$APPDB_TMP/r2" \
  "${T}_ok:expand:CREATE TABLE ${T}_b (id INT PRIMARY KEY);" \
  "${T}_bad:expand:ALTER TABLE ${T}_a DROP COLUMN v;"
check_eq "a refused expand: exit 1" 1 "$(appdb_apply "$DOC" "$APPDB_TMP/r2" expand)"
check "the report says why" grep -q "^${T}_bad statement 1/1 line 1: refused: " "$APPDB_TMP/out"
check_eq "the allowed migration before it did not run" 0 "$(my "SELECT COUNT(*) FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '${T}_b'")"
check_eq "the refused one did not run" 1 "$(my "SELECT COUNT(*) FROM information_schema.COLUMNS
  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '${T}_a' AND COLUMN_NAME = 'v'")"
check_eq "nothing was recorded" 0 "$(my "SELECT COUNT(*) FROM cutover_schema_migrations
  WHERE name IN ('${T}_ok', '${T}_bad')")"

# 4. a command migration: refused unless allow_commands
mkdir -p "$APPDB_TMP/r3/cutover"
printf 'migrations:\n  - name: %s_cmd\n    phase: expand\n    command: "touch ran && ls -l /proc/$$/fd/ > fds"\n' "$T" \
  > "$APPDB_TMP/r3/cutover/migrations.yml"
check_eq "a command without allow_commands: exit 1" 1 "$(appdb_apply "$DOC" "$APPDB_TMP/r3" expand)"
check "and it did not run" test ! -e "$APPDB_TMP/r3/ran"
sed 's/}$/, "allow_commands": true}/' "$DOC" > "$APPDB_TMP/db-commands.json"
check_eq "with allow_commands: exit 0" 0 "$(appdb_apply "$APPDB_TMP/db-commands.json" "$APPDB_TMP/r3" expand)"
check "it ran in the release's directory, reported unlinted" \
  sh -c "test -e '$APPDB_TMP/r3/ran' && grep -q 'unlinted executor=command' '$APPDB_TMP/out'"
check_eq "the command did not inherit the database connection's socket" 0 \
  "$(grep -c 'socket:' "$APPDB_TMP/r3/fds")"

# 5. SIGKILL at each fault point, then a rerun: exactly once, no leftovers
# crash_release DIR PREFIX - a big table (2000 rows, over the threshold of 1000)
# altered online, framed by DML and DDL run directly
crash_release() {
  my "CREATE TABLE $2_big (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL);
      INSERT INTO $2_big (v) SELECT seq FROM seq_1_to_2000;"
  appdb_release "$1" \
    "$2_m1:expand:CREATE TABLE $2_log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20));
INSERT INTO $2_log (what) VALUES ('one');
ALTER TABLE $2_big ADD COLUMN note VARCHAR(20) NULL, ADD INDEX $2_v (v);
INSERT INTO $2_log (what) VALUES ('two');
ALTER TABLE $2_log ADD COLUMN extra INT NULL;" \
    "$2_m2:expand:INSERT INTO $2_log (what) VALUES ('three');"
}

# crash_then_rerun POINT SKIP - kill at the SKIP+1-th hit of POINT, rerun, check the result
crash_then_rerun() {
  local p=${T}_$3 what="killed at $1 (hit $(($2 + 1)))"
  crash_release "$APPDB_TMP/c_$3" "$p"
  CUTOVER_FAULT_POINT=$1 CUTOVER_FAULT_SKIP=$2 appdb_apply "$DOC" "$APPDB_TMP/c_$3" expand \
    "$APPDB_TMP/crash_$3.out" > "$APPDB_TMP/crash_$3.rc"
  check_eq "$what: the run died of SIGKILL" 137 "$(cat "$APPDB_TMP/crash_$3.rc")"
  check_eq "$what: the rerun applies" 0 "$(appdb_apply "$DOC" "$APPDB_TMP/c_$3" expand "$APPDB_TMP/rerun_$3.out")"
  check_eq "$what: each insert ran exactly once" "one three two" \
    "$(my "SELECT what FROM ${p}_log ORDER BY what" | xargs)"
  check_eq "$what: the big table's rows are all there, altered" "2000 2000" \
    "$(my "SELECT COUNT(*), COUNT(*) - COUNT(note) FROM ${p}_big" | xargs)"
  check_eq "$what: both recorded finished" "2" "$(my "SELECT COUNT(*) FROM cutover_schema_migrations
    WHERE name IN ('${p}_m1', '${p}_m2') AND finished_at IS NOT NULL")"
  check_eq "$what: no leftover triggers or shadow tables" 0 "$(appdb_leftovers "${p}_big")"
}

crash_then_rerun appdb-before-statement 0 k1
crash_then_rerun appdb-before-statement 2 k2
crash_then_rerun appdb-osc-running 0 k3
check "after the kill during the copy, the rerun cleaned the tool's leftovers" \
  grep -q "cleanup: dropped TRIGGER pt_osc_" "$APPDB_TMP/rerun_k3.out"
crash_then_rerun appdb-after-statement 0 k4
crash_then_rerun appdb-after-statement 1 k5
crash_then_rerun appdb-after-statement 2 k6
check "after a kill between the online ALTER and its record, the rerun saw it in place" \
  grep -q "the killed run had already applied it" "$APPDB_TMP/rerun_k6.out"
crash_then_rerun appdb-after-statement 4 k7
check "after a kill between a DDL and its record, the rerun saw it in place" \
  grep -q "outcome=already-in-place" "$APPDB_TMP/rerun_k7.out"

# 6. the password is in no output
PASSWORD=$(head -n1 "$CUTOVER_MYSQL_PASSWORD_FILE")
check "the password is in no report or output" sh -c "! grep -rqF -- '$PASSWORD' '$APPDB_TMP'/*.out '$APPDB_TMP/out'"
finish
