# tests/appdb_lib.sh - helpers for the tests of the application database's
# migrations (sourced after tests/lib.sh): a database document, releases
# made of SQL files, the mariadb client, the load probe.
#
# Needs CUTOVER_MYSQL_HOST, _PORT, _USER, _DATABASE, _PASSWORD_FILE
# (ops/devstack env). APPDB_TMP is a fresh directory removed at exit.

if [ -z "${CUTOVER_MYSQL_PORT:-}" ] || [ ! -r "${CUTOVER_MYSQL_PASSWORD_FILE:-}" ]; then
  not_ok "CUTOVER_MYSQL_* point at a database (ops/devstack env)"
  finish
fi
APPDB_TMP=$(mktemp -d)
APPDB_CLIENT_CNF="$APPDB_TMP/client.cnf"
APPDB_LOAD_PID=
trap 'appdb_load_stop >/dev/null 2>&1; rm -rf "$APPDB_TMP"; stop_workers' EXIT
(umask 077; printf '[client]\npassword=%s\n' "$(head -n1 "$CUTOVER_MYSQL_PASSWORD_FILE")" \
  > "$APPDB_CLIENT_CNF")

# appdb_doc FILE [THRESHOLD] - write the database object (password_file, never the password)
appdb_doc() {
  cat > "$1" <<EOD
{"engine": "mysql", "host": "$CUTOVER_MYSQL_HOST", "port": $CUTOVER_MYSQL_PORT,
 "database": "$CUTOVER_MYSQL_DATABASE", "user": "$CUTOVER_MYSQL_USER",
 "password_file": "$CUTOVER_MYSQL_PASSWORD_FILE",
 "online_threshold_rows": ${2:-10000}, "pt_osc": {"chunk_time": 0.2}}
EOD
}

# my QUERY - run QUERY in the application's database, tab-separated values, no header
my() {
  mariadb --defaults-extra-file="$APPDB_CLIENT_CNF" -h "$CUTOVER_MYSQL_HOST" \
    -P "$CUTOVER_MYSQL_PORT" -u "$CUTOVER_MYSQL_USER" -N -B "$CUTOVER_MYSQL_DATABASE" -e "$1"
}

# appdb_release DIR NAME:PHASE:SQL... - a release whose migrations.yml lists each
# migration NAME of PHASE, its SQL text in migrations/NAME.sql
appdb_release() {
  local dir=$1 spec name phase
  shift
  mkdir -p "$dir/cutover" "$dir/migrations"
  echo "migrations:" > "$dir/cutover/migrations.yml"
  for spec in "$@"; do
    name=${spec%%:*}; spec=${spec#*:}; phase=${spec%%:*}
    printf '%s\n' "${spec#*:}" > "$dir/migrations/$name.sql"
    printf '  - name: %s\n    phase: %s\n    sql: migrations/%s.sql\n' "$name" "$phase" "$name" \
      >> "$dir/cutover/migrations.yml"
  done
}

# appdb_apply DOC REL PHASE [OUT] - cutover db apply; its exit status (output in OUT)
appdb_apply() {
  "$BIN/cutover" db apply "$1" "$2" --phase "$3" > "${4:-$APPDB_TMP/out}" 2>&1
  echo $?
}

# appdb_leftovers TABLE - the tool's triggers and tables left for TABLE, counted
appdb_leftovers() {
  my "SELECT (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
                AND TRIGGER_NAME LIKE 'pt\\_osc\\_%\\_$1\\_%')
           + (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
                AND TABLE_NAME IN ('_$1_new', '_$1_old'))"
}

# appdb_load_start TABLE - start the load probe on TABLE (stats in $APPDB_TMP/load.out)
# and wait until its first rows are in
appdb_load_start() {
  local before
  before=$(my "SELECT COUNT(*) FROM \`$1\`")
  rm -f "$APPDB_TMP/load.stop"
  "$TOP/$BUILD/tests/appdb_load_probe" "$1" "$APPDB_TMP/load.stop" \
    > "$APPDB_TMP/load.out" 2> "$APPDB_TMP/load.err" &
  APPDB_LOAD_PID=$!
  wait_for 10 gt "$((before + 10))" my "SELECT COUNT(*) FROM \`$1\`"
}

# appdb_load_stop - stop the probe, wait for it, its stats line in APPDB_LOAD_STATS
# (run in the test's own shell, never in $(...): only the parent can wait for it);
# the errors it printed are kept in $APPDB_TMP/load.err
appdb_load_stop() {
  [ -n "$APPDB_LOAD_PID" ] || return 0
  touch "$APPDB_TMP/load.stop"
  wait "$APPDB_LOAD_PID"
  APPDB_LOAD_PID=
  APPDB_LOAD_STATS=$(cat "$APPDB_TMP/load.out")
}

# appdb_stat LINE KEY - one number of the probe's stats line
appdb_stat() {
  sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" <<<"$1"
}
