/*
 * test_db - db and the migration runner against a real PostgreSQL.
 *
 * DESCRIPTION
 *	Needs CUTOVER_DATABASE_URL (ops/devstack env gives it); without it
 *	the database tests are skipped. Each test works in a schema of its
 *	own (test_db_<pid>_<n>, set as search_path, dropped afterwards), so
 *	schema_migrations and the tables the test migrations create never
 *	touch the real ones. The connection-failure test needs no server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/config.h"
#include "io/db.h"
#include "io/migrate.h"

#include "capture.h"
#include "db_schema.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 4

struct fixture {
    struct db_schema s;
    struct db *db; /* s.db */
    char dir[64];
};

/* fixture_create - a connection in a fresh schema and an empty directory */
static int fixture_create(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    *state = fx;
    if (db_schema_open(&fx->s, "test_db") != 0)
        return 0;
    fx->db = fx->s.db;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_db.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    return 0;
}

/* dir_remove - remove a directory of plain files */
static void dir_remove(const char *dir)
{
    char path[512];
    struct dirent *entry;
    DIR *d = opendir(dir);

    while (d && (entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* fixture_free - drop the schema, close, remove the directory */
static int fixture_free(void **state)
{
    struct fixture *fx = *state;

    db_schema_close(&fx->s);
    if (fx->dir[0])
        dir_remove(fx->dir);
    free(fx);
    return 0;
}

/* need_db - skip the test when no database is configured */
static struct fixture *need_db(void **state)
{
    struct fixture *fx = *state;

    if (fx->db == NULL)
        skip();
    return fx;
}

/* write_file - create dir/name holding text */
static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* query_long - the first column of the first row of a query as a number */
static long query_long(struct db *db, const char *sql)
{
    PGresult *res = db_query(db, sql, 0, NULL);

    assert_non_null(res);
    assert_int_equal(PQntuples(res), 1);
    long v = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

/* write_two - two good migrations: a table with one row, another table */
static void write_two(const char *dir)
{
    write_file(dir, "0001_first.sql", "CREATE TABLE t_first (id int);\nINSERT INTO t_first VALUES (1);\n");
    write_file(dir, "0002_second.sql", "CREATE TABLE t_second (x text);\n");
}

/* test_migrate_twice - the second run applies nothing */
static void test_migrate_twice(void **state)
{
    struct fixture *fx = need_db(state);
    char err[512] = "";

    write_two(fx->dir);
    assert_int_equal(migrate_run(fx->db, fx->dir, err, sizeof(err)), 0);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM schema_migrations"), 2);
    assert_int_equal(migrate_run(fx->db, fx->dir, err, sizeof(err)), 0);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM schema_migrations"), 2);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM t_first"), 1);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM schema_migrations WHERE version = 2 AND name = '0002_second.sql'"), 1);
}

/* migrate_child - one of several processes starting at once; never returns */
static void migrate_child(const char *url, const char *schema, const char *dir)
{
    char err[512] = "";
    struct db *db = db_connect(url);

    if (db == NULL || db_schema_use(db, schema) != 0)
        _exit(2);
    int rc = migrate_run(db, dir, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "child %ld: %s\n", (long)getpid(), err);
    db_close(db);
    _exit(rc == 0 ? 0 : 1);
}

/* test_migrate_concurrent - processes at once: each file applied once */
static void test_migrate_concurrent(void **state)
{
    struct fixture *fx = need_db(state);
    pid_t pids[WORKERS];
    int status;

    write_two(fx->dir);
    fflush(NULL);
    for (int i = 0; i < WORKERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0)
            migrate_child(getenv("CUTOVER_DATABASE_URL"), fx->s.name, fx->dir);
    }
    for (int i = 0; i < WORKERS; i++) {
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM schema_migrations"), 2);
    assert_int_equal(query_long(fx->db, "SELECT count(DISTINCT version) FROM schema_migrations"), 2);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM t_first"), 1);
}

/* test_migrate_failure - a failing file rolls back entirely and is named */
static void test_migrate_failure(void **state)
{
    struct fixture *fx = need_db(state);
    char err[512] = "";

    write_file(fx->dir, "0001_first.sql", "CREATE TABLE t_first (id int);\n");
    write_file(fx->dir, "0002_broken.sql", "CREATE TABLE t_partial (id int);\nSELECT no_such_column FROM t_partial;\n");
    write_file(fx->dir, "0003_after.sql", "CREATE TABLE t_after (id int);\n");
    assert_int_equal(migrate_run(fx->db, fx->dir, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "0002_broken.sql"));
    assert_non_null(strstr(err, "no_such_column"));
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM schema_migrations"), 1);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM pg_tables WHERE tablename = 't_partial' AND schemaname = current_schema()"), 0);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM pg_tables WHERE tablename = 't_after' AND schemaname = current_schema()"), 0);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM pg_tables WHERE tablename = 't_first' AND schemaname = current_schema()"), 1);
    assert_int_equal(query_long(fx->db, "SELECT 1"), 1); /* the session is usable, not stuck in a failed transaction */
}

/* test_query_params - hostile parameter text round-trips unchanged */
static void test_query_params(void **state)
{
    struct fixture *fx = need_db(state);
    const char *params[] = { "O'Brien'); DROP TABLE schema_migrations; --", "\"q\" \\ $1 ;", NULL };

    assert_int_equal(db_exec(fx->db, "CREATE TABLE t_params (a text, b text, c text)", 0, NULL), 0);
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_params VALUES ($1, $2, $3)", 3, params), 0);
    PGresult *res = db_query(fx->db, "SELECT a, b, c FROM t_params WHERE a = $1", 1, params);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 0), params[0]);
    assert_string_equal(PQgetvalue(res, 0, 1), params[1]);
    assert_true(PQgetisnull(res, 0, 2));
    PQclear(res);
}

/* test_syntax_error - a real error: not transient, SQLSTATE kept */
static void test_syntax_error(void **state)
{
    struct fixture *fx = need_db(state);

    assert_null(db_query(fx->db, "SELEC 1", 0, NULL));
    assert_string_equal(db_last_sqlstate(fx->db), "42601");
    assert_false(db_transient(fx->db));
    assert_true(strlen(db_last_error(fx->db)) > 0);
    assert_true(db_ok(fx->db));
    assert_int_equal(query_long(fx->db, "SELECT 2"), 2);
    assert_string_equal(db_last_sqlstate(fx->db), "");
}

/* prepared_count - how many of the session's prepared statements have text sql */
static long prepared_count(struct db *db, const char *sql)
{
    const char *params[] = {sql};
    PGresult *res = db_query(db, "SELECT count(*) FROM pg_prepared_statements"
                                 " WHERE statement = $1", 1, params);
    long n;

    assert_non_null(res);
    n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

/* add_one - SELECT $1 + 1 through db_query */
static long add_one(struct db *db, const char *value)
{
    const char *params[] = {value};
    PGresult *res = db_query(db, "SELECT $1::int + 1", 1, params);
    long n;

    assert_non_null(res);
    n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

/* test_prepared - a statement with parameters is prepared once per
 * connection and reused; after a reconnect it is prepared again; a
 * syntax error in one is the statement's error */
static void test_prepared(void **state)
{
    struct fixture *fx = need_db(state);
    const char *params[] = {"1"};

    assert_int_equal(add_one(fx->db, "1"), 2);
    assert_int_equal(add_one(fx->db, "41"), 42);
    assert_int_equal(prepared_count(fx->db, "SELECT $1::int + 1"), 1);
    assert_null(db_query(fx->db, "SELECT pg_terminate_backend(pg_backend_pid())", 0, NULL));
    assert_int_equal(db_reconnect(fx->db), 0);
    assert_int_equal(prepared_count(fx->db, "SELECT $1::int + 1"), 0);
    assert_int_equal(add_one(fx->db, "2"), 3);
    assert_int_equal(prepared_count(fx->db, "SELECT $1::int + 1"), 1);
    assert_null(db_query(fx->db, "SELEC $1", 1, params));
    assert_string_equal(db_last_sqlstate(fx->db), "42601");
    assert_false(db_transient(fx->db));
}

/* test_plan_invalidated - a table changed under a prepared statement
 * whose result it changes: that one use fails as transient, the next
 * prepares it again and succeeds */
static void test_plan_invalidated(void **state)
{
    struct fixture *fx = need_db(state);
    const char *params[] = {"1"};
    PGresult *res;

    assert_int_equal(db_exec(fx->db, "CREATE TABLE t_plan (a int)", 0, NULL), 0);
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_plan VALUES ($1)", 1, params), 0);
    res = db_query(fx->db, "SELECT * FROM t_plan WHERE a = $1", 1, params);
    assert_non_null(res);
    PQclear(res);
    assert_int_equal(db_exec(fx->db, "ALTER TABLE t_plan ADD COLUMN b int", 0, NULL), 0);
    assert_null(db_query(fx->db, "SELECT * FROM t_plan WHERE a = $1", 1, params));
    assert_true(db_transient(fx->db));
    res = db_query(fx->db, "SELECT * FROM t_plan WHERE a = $1", 1, params);
    assert_non_null(res);
    assert_int_equal(PQnfields(res), 2);
    PQclear(res);
}

/* test_transaction - rollback undoes, commit keeps */
static void test_transaction(void **state)
{
    struct fixture *fx = need_db(state);

    assert_int_equal(db_exec(fx->db, "CREATE TABLE t_tx (id int)", 0, NULL), 0);
    assert_int_equal(db_begin(fx->db), 0);
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_tx VALUES (1)", 0, NULL), 0);
    assert_int_equal(db_rollback(fx->db), 0);
    assert_int_equal(db_begin(fx->db), 0);
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_tx VALUES (2)", 0, NULL), 0);
    assert_int_equal(db_commit(fx->db), 0);
    assert_int_equal(query_long(fx->db, "SELECT sum(id) FROM t_tx"), 2);
    assert_int_equal(db_begin(fx->db), 0);
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_tx VALUES (4)", 0, NULL), 0);
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_tx VALUES ('x')", 0, NULL), 0); /* queued */
    assert_int_equal(db_commit(fx->db), -1); /* it fails there: nothing of it is kept */
    assert_string_equal(db_last_sqlstate(fx->db), "22P02");
    assert_false(db_transient(fx->db));
    assert_int_equal(query_long(fx->db, "SELECT sum(id) FROM t_tx"), 2);
}

/* session_state - the state pg_stat_activity shows for backend pid, as
 * another session sees it */
static void session_state(struct db *peer, const char *pid, char *out, size_t len)
{
    const char *params[] = {pid};
    PGresult *res = db_query(peer, "SELECT state FROM pg_stat_activity WHERE pid = $1::int", 1,
                             params);

    assert_non_null(res);
    assert_int_equal(PQntuples(res), 1);
    snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

/* test_begin_deferred - db_begin sends nothing, nor do the writes after
 * it (db_exec): they go out with the transaction's first statement that
 * needs an answer (one round trip), which sees them; a failed write shows
 * there; a transaction without statements commits and rolls back without
 * a word to the server; a script runs inside it too; a statement that
 * fails to prepare fails the transaction */
static void test_begin_deferred(void **state)
{
    struct fixture *fx = need_db(state);
    struct db *peer = db_connect(getenv("CUTOVER_DATABASE_URL"));
    char pid[16], seen[64];
    const char *params[] = {"4"};

    assert_non_null(peer);
    snprintf(pid, sizeof(pid), "%ld", query_long(fx->db, "SELECT pg_backend_pid()"));
    assert_int_equal(db_exec(fx->db, "CREATE TABLE t_tx (id int)", 0, NULL), 0);
    assert_int_equal(db_begin(fx->db), 0);
    session_state(peer, pid, seen, sizeof(seen));
    assert_string_equal(seen, "idle");
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_tx VALUES (1)", 0, NULL), 0);
    session_state(peer, pid, seen, sizeof(seen));
    assert_string_equal(seen, "idle");
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM t_tx"), 1);
    session_state(peer, pid, seen, sizeof(seen));
    assert_string_equal(seen, "idle in transaction");
    assert_int_equal(db_rollback(fx->db), 0);
    assert_int_equal(db_begin(fx->db), 0);
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_tx VALUES ('y')", 0, NULL), 0);
    assert_null(db_query(fx->db, "SELECT count(*) FROM t_tx", 0, NULL));
    assert_string_equal(db_last_sqlstate(fx->db), "22P02");
    assert_int_equal(db_commit(fx->db), -1);
    assert_int_equal(db_begin(fx->db), 0);
    assert_int_equal(db_commit(fx->db), 0);
    assert_int_equal(db_begin(fx->db), 0);
    assert_int_equal(db_rollback(fx->db), 0);
    session_state(peer, pid, seen, sizeof(seen));
    assert_string_equal(seen, "idle");
    assert_int_equal(db_begin(fx->db), 0);
    assert_int_equal(db_exec_script(fx->db, "INSERT INTO t_tx VALUES (2); INSERT INTO t_tx VALUES (3);"), 0);
    assert_int_equal(db_rollback(fx->db), 0);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM t_tx"), 0);
    assert_int_equal(db_begin(fx->db), 0);
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_tx VALUES ('x')", 0, NULL), 0);
    assert_int_equal(db_commit(fx->db), -1); /* the first statement failed: ROLLBACK */
    assert_int_equal(db_begin(fx->db), 0);
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_tx VALUES ($1::int) RETURNIN", 1, params), -1);
    assert_int_equal(db_exec(fx->db, "INSERT INTO t_tx VALUES (5)", 0, NULL), 0);
    assert_int_equal(db_commit(fx->db), -1);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM t_tx"), 0);
    session_state(peer, pid, seen, sizeof(seen));
    assert_string_equal(seen, "idle");
    db_close(peer);
}

/* notify_from - send payload on channel from db; the statement succeeds */
static void notify_from(struct db *db, const char *channel, const char *payload)
{
    const char *params[] = {channel, payload};

    assert_int_equal(db_exec(db, "SELECT pg_notify($1, $2)", 2, params), 0);
}

/* test_notified_skips_sender - db_notified counts the notifications for
 * its payload, and "*", except those a given server process sent: a
 * worker's own connection, whose transactions it follows with a tick of
 * its own anyway */
static void test_notified_skips_sender(void **state)
{
    struct fixture *fx = need_db(state);
    struct db *listener = db_connect(getenv("CUTOVER_DATABASE_URL"));
    struct db *peer = db_connect(getenv("CUTOVER_DATABASE_URL"));
    int skipped = PQbackendPID(db_conn(fx->db)), seen = 0;
    char channel[64];

    assert_non_null(listener);
    assert_non_null(peer);
    snprintf(channel, sizeof(channel), "test_db_wake_%ld", (long)getpid());
    assert_int_equal(db_listen(listener, channel), 0);
    notify_from(fx->db, channel, "me");
    notify_from(fx->db, channel, "*");
    notify_from(peer, channel, "other");
    notify_from(peer, channel, "me");
    for (int waited = 0; seen == 0 && waited < 5000; waited += 10) {
        clock_sleep_ms(10);
        seen += db_notified(listener, "me", skipped);
    }
    clock_sleep_ms(200); /* anything still on its way */
    seen += db_notified(listener, "me", skipped);
    assert_int_equal(seen, 1);
    notify_from(fx->db, channel, "me");
    notify_from(peer, channel, "*");
    clock_sleep_ms(200);
    assert_int_equal(db_notified(listener, "me", 0), 2);
    db_close(peer);
    db_close(listener);
}

/* test_queue_overflow - a transaction of more writes than the queue holds
 * keeps them all, in order, and a rollback keeps none */
static void test_queue_overflow(void **state)
{
    struct fixture *fx = need_db(state);
    char value[16];
    const char *params[] = {value};

    assert_int_equal(db_exec(fx->db, "CREATE TABLE t_many (n int PRIMARY KEY, prev int)", 0, NULL), 0);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(db_begin(fx->db), 0);
        for (int i = 1; i <= 100; i++) {
            snprintf(value, sizeof(value), "%d", i);
            assert_int_equal(db_exec(fx->db,
                                     "INSERT INTO t_many SELECT $1::int, (SELECT max(n) FROM t_many)",
                                     1, params),
                             0);
        }
        assert_int_equal(round == 0 ? db_rollback(fx->db) : db_commit(fx->db), 0);
    }
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM t_many"), 100);
    assert_int_equal(query_long(fx->db, "SELECT count(*) FROM t_many WHERE prev IS DISTINCT FROM"
                                        " (CASE WHEN n > 1 THEN n - 1 END)"),
                     0);
}

/* test_terminated - a killed backend is transient and reconnect recovers */
static void test_terminated(void **state)
{
    struct fixture *fx = need_db(state);

    assert_null(db_query(fx->db, "SELECT pg_terminate_backend(pg_backend_pid())", 0, NULL));
    assert_true(db_transient(fx->db));
    assert_false(db_ok(fx->db));
    assert_null(db_query(fx->db, "SELECT 1", 0, NULL));
    assert_true(db_transient(fx->db));
    assert_int_equal(db_reconnect(fx->db), 0);
    assert_true(db_ok(fx->db));
    assert_int_equal(db_schema_use(fx->db, fx->s.name), 0);
    assert_int_equal(query_long(fx->db, "SELECT 3"), 3);
}

/* gssencmode_of - the gssencmode a new connection to url was made with */
static char *gssencmode_of(const char *url)
{
    struct db *db = db_connect(url);
    char *mode = NULL;

    assert_non_null(db);
    PQconninfoOption *options = PQconninfo(db_conn(db));
    for (PQconninfoOption *o = options; o && o->keyword; o++) {
        if (strcmp(o->keyword, "gssencmode") == 0 && o->val)
            mode = strdup(o->val);
    }
    PQconninfoFree(options);
    db_close(db);
    assert_non_null(mode);
    return mode;
}

/* expect_gssencmode - a connection to url uses gssencmode want */
static void expect_gssencmode(const char *url, const char *want)
{
    char *mode = gssencmode_of(url);

    assert_string_equal(mode, want);
    free(mode);
}

/* test_gssencmode - off by default; the URL's parameter or PGGSSENCMODE wins */
static void test_gssencmode(void **state)
{
    const char *url = getenv("CUTOVER_DATABASE_URL");
    char with[1024];

    need_db(state);
    unsetenv("PGGSSENCMODE");
    expect_gssencmode(url, "disable");
    snprintf(with, sizeof(with), "%s%sgssencmode=prefer", url,
             strncmp(url, "postgres", 8) != 0 ? " " : strchr(url, '?') ? "&" : "?");
    expect_gssencmode(with, "prefer");
    setenv("PGGSSENCMODE", "prefer", 1);
    expect_gssencmode(url, "prefer");
    unsetenv("PGGSSENCMODE");
}

/* test_connect_gives_up - bounded attempts, password never logged */
static void test_connect_gives_up(void **state)
{
    char err[256] = "";
    FILE *tmp;

    (void)state;
    setenv("CUTOVER_DB_CONNECT_ATTEMPTS", "3", 1);
    setenv("CUTOVER_DB_RETRY_MAX_MS", "10", 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    int saved = capture_begin(&tmp);
    struct db *db = db_connect("postgresql://cutover:topsecretpw@127.0.0.1:1/none?connect_timeout=2");
    char *logged = capture_end(tmp, saved);
    unsetenv("CUTOVER_DB_CONNECT_ATTEMPTS");
    unsetenv("CUTOVER_DB_RETRY_MAX_MS");
    config_free();
    assert_null(db);
    assert_null(strstr(logged, "topsecretpw"));
    assert_non_null(strstr(logged, "cutover:****@127.0.0.1:1"));
    assert_non_null(strstr(logged, "attempt 3 of 3"));
    assert_null(strstr(logged, "attempt 4"));
    free(logged);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_gives_up),
        cmocka_unit_test_setup_teardown(test_migrate_twice, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_migrate_concurrent, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_migrate_failure, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_query_params, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_syntax_error, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_transaction, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_begin_deferred, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_queue_overflow, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_notified_skips_sender, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_terminated, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_prepared, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_plan_invalidated, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_gssencmode, fixture_create, fixture_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
