/*
 * db_schema - a connection working in a schema of its own (see
 *             db_schema.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* db_schema_ddl - create or drop the schema s names */
static int db_schema_ddl(struct db_schema *s, int create)
{
    const char *params[] = {s->name};

    if (db_exec(s->db, "SELECT set_config('cutover.test_schema', $1, false)", 1, params) != 0)
        return -1;
    return db_exec(s->db,
                   create ? "DO $$ BEGIN EXECUTE format('CREATE SCHEMA %I',"
                            " current_setting('cutover.test_schema')); END $$"
                          : "DO $$ BEGIN EXECUTE format('DROP SCHEMA %I CASCADE',"
                            " current_setting('cutover.test_schema')); END $$",
                   0, NULL);
}

/* db_schema_use - point a connection's search_path at schema name */
int db_schema_use(struct db *db, const char *name)
{
    const char *params[] = {name};

    return db_exec(db, "SELECT set_config('search_path', $1, false)", 1, params);
}

/* db_schema_open - connect and enter a fresh schema */
int db_schema_open(struct db_schema *s, const char *prefix)
{
    static int serial;

    memset(s, 0, sizeof(*s));
    if (getenv("CUTOVER_DATABASE_URL") == NULL)
        return -1;
    snprintf(s->name, sizeof(s->name), "%s_%ld_%d", prefix, (long)getpid(), ++serial);
    s->db = db_connect(getenv("CUTOVER_DATABASE_URL"));
    assert_non_null(s->db);
    assert_int_equal(db_schema_ddl(s, 1), 0);
    assert_int_equal(db_schema_use(s->db, s->name), 0);
    return 0;
}

/* db_schema_close - drop the schema and disconnect */
void db_schema_close(struct db_schema *s)
{
    if (s->db == NULL)
        return;
    if (!db_ok(s->db))
        db_reconnect(s->db);
    db_schema_ddl(s, 0);
    db_close(s->db);
    s->db = NULL;
}

/* db_schema_rows_read - rows of table read by this session's scans so far */
long long db_schema_rows_read(struct db_schema *s, const char *table)
{
    const char *params[] = {table};
    PGresult *res;
    long long rows;

    /* this session's counts, flushed once this statement ends */
    assert_int_equal(db_exec(s->db, "SELECT pg_stat_force_next_flush()", 0, NULL), 0);
    assert_int_equal(db_exec(s->db, "SELECT pg_stat_clear_snapshot()", 0, NULL), 0);
    res = db_query(s->db,
                   "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"
                   " FROM pg_stat_user_tables WHERE relid = $1::regclass",
                   1, params);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 1);
    rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return rows;
}
