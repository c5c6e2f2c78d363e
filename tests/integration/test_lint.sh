#!/usr/bin/env bash
# test_lint - `cutover lint` as CI runs it: a .sql file, a directory of them
# (name order), a release directory and a release tarball carrying
# cutover/migrations.yml (phases from the manifest, --phase as a filter, a
# command migration unlinted and refused unless --allow-commands), the exit
# statuses (0 allowed, 1 refused, 2 bad usage) and the --json document. No
# stack needed: the lint reads files only.
source "$(dirname "$0")/../lib.sh"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CLI="$BIN/cutover"

# lint_rc ARGS... - the exit status of cutover lint ARGS (output in $TMP/out)
lint_rc() {
  "$CLI" lint "$@" > "$TMP/out" 2> "$TMP/err"
  echo $?
}

mkdir -p "$TMP/dir" "$TMP/rel/cutover" "$TMP/rel/db"
cat > "$TMP/dir/0002_drop.sql" <<'EOF'
ALTER TABLE wp_posts DROP COLUMN legacy_notes;
EOF
cat > "$TMP/dir/0001_add.sql" <<'EOF'
-- add the order notes; nullable, so old code's inserts still work
ALTER TABLE wp_posts ADD COLUMN notes TEXT NULL, ALGORITHM=INPLACE, LOCK=NONE;
INSERT INTO wp_options (option_name, option_value) VALUES ('notes;on', 'yes');
EOF
cp "$TMP/dir/0001_add.sql" "$TMP/add.sql"

# 1. a single file and a directory
check_eq "an expand-safe file: exit 0" 0 "$(lint_rc "$TMP/add.sql")"
check "each statement is printed with its line, verdict and reason" \
  grep -q "add.sql:2: allowed (expand): ALTER TABLE wp_posts ADD COLUMN notes" "$TMP/out"
check "the summary counts both statements" grep -qx "2 allowed, 0 refused" "$TMP/out"
check_eq "a directory with a DROP COLUMN in expand: exit 1" 1 "$(lint_rc "$TMP/dir")"
check "the DROP is refused with its reason" \
  grep -q "DROP COLUMN \`legacy_notes\` on \`wp_posts\`: old code still relies on it" "$TMP/out"
check_eq "files are linted in name order" "0001_add.sql 0002_drop.sql" \
  "$(grep -o '[0-9]*_[a-z]*\.sql' "$TMP/out" | uniq | xargs)"
check_eq "--phase contract allows the DROP: exit 0" 0 "$(lint_rc "$TMP/dir" --phase contract)"
check "the contract run says so" grep -q "allowed (contract): ALTER TABLE wp_posts DROP" "$TMP/out"

# 2. a release with cutover/migrations.yml
cp "$TMP/dir/0001_add.sql" "$TMP/rel/db/0001_add.sql"
cp "$TMP/dir/0002_drop.sql" "$TMP/rel/db/0002_drop.sql"
cat > "$TMP/rel/cutover/migrations.yml" <<'EOF'
migrations:
  - name: add-notes
    phase: expand
    sql: db/0001_add.sql
  - name: backfill-notes
    phase: expand
    command: "wp eval-file scripts/backfill.php"
  - name: drop-legacy
    phase: contract
    sql: db/0002_drop.sql
EOF
check_eq "a release with a command migration: exit 1" 1 "$(lint_rc "$TMP/rel")"
check "the command is reported as unlinted" \
  grep -q "migrations.yml:5: unlinted (expand): wp eval-file scripts/backfill.php" "$TMP/out"
check "the manifest's contract phase allows the DROP" \
  grep -q "0002_drop.sql:1: allowed (contract)" "$TMP/out"
check "the summary counts the unlinted command" grep -qx "3 allowed, 1 refused, 1 unlinted command" "$TMP/out"
check_eq "--allow-commands: exit 0" 0 "$(lint_rc "$TMP/rel" --allow-commands)"
check_eq "--phase contract keeps the contract migration only: exit 0" 0 \
  "$(lint_rc "$TMP/rel" --phase contract)"
check "and nothing of the expand phase" bash -c "! grep -q 'expand' '$TMP/out'"
sed -i 's/phase: contract/phase: expand/' "$TMP/rel/cutover/migrations.yml"
check_eq "the DROP moved to expand is refused, even with --allow-commands: exit 1" 1 \
  "$(lint_rc "$TMP/rel" --allow-commands)"
check "its reason names the migration's file and line" grep -q "0002_drop.sql:1: refused (expand)" "$TMP/out"

# 3. the release as a tarball
tar -C "$TMP/rel" -czf "$TMP/release.tar.gz" .
check_eq "a release tarball is unpacked and linted: exit 1" 1 "$(lint_rc "$TMP/release.tar.gz" --allow-commands)"
check "the tarball's DROP is reported" grep -q "DROP COLUMN \`legacy_notes\`" "$TMP/out"
check_eq "the temporary directory is gone" "" "$(find /tmp -maxdepth 1 -name 'cutover-lint.*' -newer "$TMP/release.tar.gz" 2>/dev/null)"

# 4. --json
lint_rc "$TMP/rel" --json > /dev/null
check_eq "--json: ok, counts and one entry per statement" 'false 2 2 1 4' \
  "$(jq -r '"\(.ok) \(.allowed) \(.refused) \(.unlinted) \(.statements | length)"' "$TMP/out")"
check_eq "--json: an entry names its migration, phase, verdict and reason" \
  'drop-legacy expand refused true' \
  "$(jq -r '.statements[] | select(.migration == "drop-legacy")
            | "\(.migration) \(.phase) \(.verdict) \(.reason | startswith("DROP COLUMN `legacy_notes`"))"' "$TMP/out")"

# 5. bad manifests and bad usage
printf 'migrations:\n  - name: x\n    phase: sideways\n    sql: a.sql\n' > "$TMP/rel/cutover/migrations.yml"
check_eq "a manifest with a bad phase: exit 1" 1 "$(lint_rc "$TMP/rel")"
check "its error names the line" grep -q 'migrations.yml line 3: phase "sideways" is not expand or contract' "$TMP/out"
printf 'migrations:\n  - name: x\n    phase: expand\n    sql: ../etc/passwd\n' > "$TMP/rel/cutover/migrations.yml"
check_eq "a manifest path that climbs out of the release: exit 1" 1 "$(lint_rc "$TMP/rel")"
check_eq "no PATH: exit 2" 2 "$(lint_rc)"
check_eq "a PATH that does not exist: exit 2" 2 "$(lint_rc "$TMP/nothing.sql")"
check_eq "--phase sideways: exit 2" 2 "$(lint_rc "$TMP/add.sql" --phase sideways)"
check "bad usage prints the usage" grep -q "usage: cutover lint PATH" "$TMP/err"
check_eq "--help: exit 0" 0 "$(lint_rc --help)"
check "--help prints the usage on stdout" grep -q "usage: cutover lint PATH" "$TMP/out"
check "cutover --help lists lint" bash -c "'$CLI' --help | grep -q '^  lint  PATH'"

finish
