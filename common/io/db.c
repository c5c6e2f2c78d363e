/*
 * db - PostgreSQL through libpq: connect with retry, parameterized queries,
 *      transactions (migrations: migrate.c).
 *
 * SYNOPSIS
 *	#include "io/db.h"
 *
 *	struct db *db = db_connect(NULL);	(NULL: CUTOVER_DATABASE_URL)
 *	PGresult *res = db_query(db, sql, nparams, params);
 *	db_begin(db); db_exec(db, sql, n, params); db_commit(db);
 *	if (db_transient(db)) db_reconnect(db);
 *	db_close(db);
 *
 * DESCRIPTION
 *	db_connect() and db_reconnect() try CUTOVER_DB_CONNECT_ATTEMPTS times,
 *	pausing between attempts with jittered exponential backoff (100 ms
 *	doubling up to CUTOVER_DB_RETRY_MAX_MS, each pause a random point in
 *	its upper half). Each failure is a warn line naming the URL with its
 *	password masked. The connection carries application_name (the
 *	program name) so that pg_stat_activity shows who is who.
 *
 *	Every statement is parameterized. A statement with parameters is
 *	prepared on its first use on a connection and executed by name after
 *	(up to DB_PREPARED_MAX of them per connection; more run unprepared):
 *	the server parses and plans it once, not on every round trip. The
 *	statements are the program's own text, so there are few. A new
 *	connection (a reconnect: its backend pid changes) starts again with
 *	none. A prepared statement the server no longer knows or whose cached
 *	plan it refuses (a migration changed a table under it) is failed as
 *	transient once, and every statement is prepared again after.
 *
 *	A failure is logged once at warn with its SQLSTATE and remembered:
 *	db_last_sqlstate(), db_last_error(), and db_transient(), which is
 *	true when a retry may succeed (connection lost, server shutting down
 *	or starting, too many connections, serialization failure, deadlock).
 *
 *	Inside a transaction, BEGIN and the db_exec() writes wait in a queue
 *	(db_queue.c) and go out with the next statement that needs an answer,
 *	or with COMMIT: one round trip for all of them. A statement new to the
 *	connection is prepared once what is queued has been sent.
 *
 *	db_exec_script() is the one way to run unparameterized text: the
 *	migration files shipped with cutover (migrate.c).
 *
 *	Metrics: each statement's round trip goes into the histogram
 *	cutover_db_query_duration_seconds, each failure into
 *	cutover_db_query_errors_total.
 */
#include "io/db_internal.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DB_BACKOFF_START_MS 100

/* Seconds: a statement on a near server takes well under a millisecond. */
static const double db_query_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                          0.025,  0.05,    0.1,    0.25,   0.5,   1,     5};

/* db_metric_duration - cutover_db_query_duration_seconds */
static struct metric_family *db_metric_duration(void)
{
    return metrics_histogram("cutover_db_query_duration_seconds",
                             "Round trip of one PostgreSQL statement.", NULL, 0, db_query_buckets,
                             sizeof(db_query_buckets) / sizeof(db_query_buckets[0]));
}

/* db_metric_errors - cutover_db_query_errors_total */
static struct metric_family *db_metric_errors(void)
{
    return metrics_counter("cutover_db_query_errors_total",
                           "PostgreSQL statements that failed or were not sent.", NULL, 0);
}

/* db_jitter_ms - a random pause in [ms/2, ms] */
static long db_jitter_ms(long ms)
{
    static unsigned seed;

    if (seed == 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        seed = (unsigned)now.tv_nsec ^ (unsigned)getpid() ^ 1u;
    }
    long half = ms / 2;
    return half + (half > 0 ? rand_r(&seed) % (half + 1) : 0);
}

/* db_backoff - sleep before attempt number attempt (1-based, > 1) */
static void db_backoff(int attempt)
{
    long cap = config_get_int("CUTOVER_DB_RETRY_MAX_MS");
    long ms = DB_BACKOFF_START_MS;

    for (int i = 2; i < attempt && ms < cap; i++)
        ms *= 2;
    if (ms > cap)
        ms = cap;
    ms = db_jitter_ms(ms);
    clock_sleep_ms(ms);
}

/* db_set_error - remember a failure: SQLSTATE (may be NULL) and message */
static void db_set_error(struct db *db, const char *sqlstate, const char *message)
{
    snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", sqlstate ? sqlstate : "");
    snprintf(db->error, sizeof(db->error), "%s", message ? message : "unknown error");
    size_t len = strlen(db->error);
    while (len > 0 && isspace((unsigned char)db->error[len - 1]))
        db->error[--len] = '\0';
}

/* db_clear_error - forget the last failure */
static void db_clear_error(struct db *db)
{
    db->sqlstate[0] = '\0';
    db->error[0] = '\0';
    db->transient = 0;
}

/* db_sqlstate_transient - whether a SQLSTATE names a failure worth retrying */
static int db_sqlstate_transient(const char *state)
{
    static const char *const retry[] = { "57P01", "57P02", "57P03", "40001", "40P01", "53300" };

    if (strncmp(state, "08", 2) == 0)
        return 1;
    for (size_t i = 0; i < sizeof(retry) / sizeof(retry[0]); i++) {
        if (strcmp(state, retry[i]) == 0)
            return 1;
    }
    return 0;
}

/* db_notice_cb - server notices become debug lines, not raw stderr text */
static void db_notice_cb(void *arg, const char *message)
{
    (void)arg;
    log_debug("database notice: %.*s", (int)strcspn(message, "\n"), message);
}

/* db_try_connect - one connection attempt; the connection or NULL.
 * GSSAPI encryption is off unless the URL or PGGSSENCMODE asks for it (the
 * URL's own parameters come after, and win): libpq's default, prefer, looks
 * for a Kerberos credential cache on every connect, and that initializes
 * Kerberos, about 0.7 MB of resident pages in every process, for a database
 * reached with a password. GSSAPI authentication is not affected. */
static PGconn *db_try_connect(const char *url, char *why, size_t why_len)
{
    const char *const keys[] = { "gssencmode", "dbname", "application_name", NULL };
    const char *const values[] = { "disable", url, program_invocation_short_name, NULL };
    size_t first = getenv("PGGSSENCMODE") ? 1 : 0;

    PGconn *conn = PQconnectdbParams(keys + first, values + first, 1);
    if (conn && PQstatus(conn) == CONNECTION_OK) {
        PQsetNoticeProcessor(conn, db_notice_cb, NULL);
        return conn;
    }
    snprintf(why, why_len, "%s", conn ? PQerrorMessage(conn) : "out of memory");
    why[strcspn(why, "\n")] = '\0';
    PQfinish(conn);
    return NULL;
}

/* db_connect - connect, retrying with backoff; NULL after the attempts */
struct db *db_connect(const char *url)
{
    char masked[1024], why[DB_ERROR_MAX];
    long attempts = config_get_int("CUTOVER_DB_CONNECT_ATTEMPTS");

    if (url == NULL)
        url = config_get("CUTOVER_DATABASE_URL");
    config_mask_url(url, masked, sizeof(masked));
    for (int attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1)
            db_backoff(attempt);
        PGconn *conn = db_try_connect(url, why, sizeof(why));
        if (conn) {
            struct db *db = calloc(1, sizeof(*db));
            if (db == NULL) {
                PQfinish(conn);
                return NULL;
            }
            db->conn = conn;
            db_metric_duration();
            db_metric_errors();
            return db;
        }
        log_warn("database %s: connection attempt %d of %ld failed: %s", masked, attempt, attempts, why);
    }
    log_error("database %s: no connection after %ld attempts", masked, attempts);
    return NULL;
}

/* db_prepared_forget - prepare every statement again, under new names */
static void db_prepared_forget(struct db *db)
{
    for (size_t i = 0; i < db->prepared_count; i++)
        free(db->prepared[i].sql);
    db->prepared_count = 0;
    db->prepared_generation++;
}

/* db_close - disconnect and free */
void db_close(struct db *db)
{
    if (db == NULL)
        return;
    db_prepared_forget(db);
    db_queue_clear(db);
    PQfinish(db->conn);
    free(db);
}

/* db_conn - the libpq connection (for what this module does not offer) */
PGconn *db_conn(struct db *db)
{
    return db->conn;
}

/* db_ok - whether the connection is usable */
int db_ok(struct db *db)
{
    return db && db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

/* db_listen_one - LISTEN on channel: an identifier, which no statement
 * parameter can carry, so it is quoted by libpq */
static int db_listen_one(struct db *db, const char *channel)
{
    char *quoted = PQescapeIdentifier(db->conn, channel, strlen(channel));
    char sql[128];

    if (quoted == NULL)
        return -1;
    snprintf(sql, sizeof(sql), "LISTEN %s", quoted);
    PQfreemem(quoted);
    return db_exec(db, sql, 0, NULL);
}

/* db_relisten - LISTEN again on every channel (a new session) */
static int db_relisten(struct db *db)
{
    for (size_t i = 0; i < db->channel_count; i++) {
        if (db_listen_one(db, db->channels[i]) != 0)
            return -1;
    }
    return 0;
}

/* db_listen - LISTEN on channel, now and after every reconnect; 0 or -1 */
int db_listen(struct db *db, const char *channel)
{
    if (db->channel_count >= DB_MAX_CHANNELS || strlen(channel) >= sizeof(db->channels[0]))
        return -1;
    snprintf(db->channels[db->channel_count], sizeof(db->channels[0]), "%s", channel);
    db->channel_count++;
    return db_listen_one(db, channel);
}

/* db_notified - take the notifications waiting: how many carry payload
 * or "*", which is for every listener (any when NULL), and were not sent
 * by skipped_sender; -1 when the connection is broken */
int db_notified(struct db *db, const char *payload, int skipped_sender)
{
    PGnotify *n;
    int count = 0;

    if (!db_ok(db) || PQconsumeInput(db->conn) == 0)
        return -1;
    while ((n = PQnotifies(db->conn)) != NULL) {
        if ((skipped_sender == 0 || n->be_pid != skipped_sender)
            && (payload == NULL || strcmp(n->extra, payload) == 0 || strcmp(n->extra, "*") == 0))
            count++;
        PQfreemem(n);
    }
    return count;
}

/* db_socket - the connection's socket; -1 when none */
int db_socket(struct db *db)
{
    return db && db->conn ? PQsocket(db->conn) : -1;
}

/* db_reconnect - reset a broken connection with backoff; 0 or -1 */
int db_reconnect(struct db *db)
{
    long attempts = config_get_int("CUTOVER_DB_CONNECT_ATTEMPTS");

    for (int attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1)
            db_backoff(attempt);
        PQreset(db->conn);
        db_queue_clear(db); /* a new session is in no transaction */
        db->in_transaction = 0;
        if (PQstatus(db->conn) == CONNECTION_OK && db_relisten(db) == 0) {
            db_clear_error(db);
            log_info("database connection re-established after %d attempt(s)", attempt);
            return 0;
        }
        db_set_error(db, NULL, PQerrorMessage(db->conn));
        db->transient = 1;
        log_warn("database reconnect attempt %d of %ld failed: %s", attempt, attempts, db->error);
    }
    log_error("database: no connection after %ld attempts", attempts);
    return -1;
}

/* db_record_failure - remember and log why a statement failed */
static void db_record_failure(struct db *db, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *message = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

    if (message == NULL)
        message = PQerrorMessage(db->conn);
    db_set_error(db, state, message);
    db->transient = PQstatus(db->conn) == CONNECTION_BAD || db->sqlstate[0] == '\0'
                    || db_sqlstate_transient(db->sqlstate);
    log_warn("database statement failed sqlstate=%s transient=%d: %s", db->sqlstate[0] ? db->sqlstate : "none",
             db->transient, db->error);
}

/* db_statement_hash - FNV-1a of a statement's text */
static uint64_t db_statement_hash(const char *sql)
{
    uint64_t h = 14695981039346656037ULL;

    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* db_prepared_name - the server's name of prepared statement i */
static void db_prepared_name(const struct db *db, size_t i, char *name, size_t len)
{
    snprintf(name, len, "cutover_%u_%zu", db->prepared_generation, i);
}

/* db_prepared_lookup - whether sql is prepared on this connection: its
 * name into name */
static int db_prepared_lookup(struct db *db, const char *sql, char *name, size_t len)
{
    uint64_t hash = db_statement_hash(sql);

    if (PQbackendPID(db->conn) != db->prepared_backend) {
        db_prepared_forget(db);
        db->prepared_backend = PQbackendPID(db->conn);
    }
    for (size_t i = 0; i < db->prepared_count; i++)
        if (db->prepared[i].hash == hash && strcmp(db->prepared[i].sql, sql) == 0) {
            db_prepared_name(db, i, name, len);
            return 1;
        }
    return 0;
}

/* db_prepare - sql's prepared statement on this connection, prepared now
 * when it is new: its name into name; 1, 0 run it unprepared (no
 * parameters, or the table is full), -1 with *failure the server's answer */
static int db_prepare(struct db *db, const char *sql, int nparams, char *name, size_t len,
                      PGresult **failure)
{
    PGresult *res;
    char *copy;

    if (db_prepared_lookup(db, sql, name, len))
        return 1;
    if (nparams == 0 || db->prepared_count == DB_PREPARED_MAX || (copy = strdup(sql)) == NULL)
        return 0;
    db_prepared_name(db, db->prepared_count, name, len);
    res = PQprepare(db->conn, name, sql, nparams, NULL);
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
        free(copy);
        *failure = res;
        return -1;
    }
    PQclear(res);
    db->prepared[db->prepared_count++] = (struct db_prepared){db_statement_hash(sql), copy};
    return 1;
}

/* db_queue_flush - send what is queued on its own; 0 or -1 with
 * *failure the failed statement's result (NULL: the connection failed) */
static int db_queue_flush(struct db *db, PGresult **failure)
{
    PGresult *res;
    ExecStatusType status;

    if (db->queued == 0)
        return 0;
    res = db_queue_run(db, NULL, 0, 0, NULL);
    status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        PQclear(res);
        return 0;
    }
    *failure = res;
    return -1;
}

/* db_run - sql prepared (or not, see db_prepare) and executed, after what
 * is queued, in the same round trip. A statement new to the connection
 * is prepared after what is queued was sent (BEGIN first): its failure
 * fails the transaction, as the statement's own would. */
static PGresult *db_run(struct db *db, const char *sql, int nparams, const char *const *params)
{
    PGresult *failure = NULL;
    char name[48];
    int prepared;

    if (db->queued > 0 && nparams > 0 && !db_prepared_lookup(db, sql, name, sizeof(name))
        && db_queue_flush(db, &failure) != 0)
        return failure;
    switch (db_prepare(db, sql, nparams, name, sizeof(name), &failure)) {
    case 1:
        prepared = 1;
        break;
    case 0:
        prepared = 0;
        break;
    default:
        db->ran_prepared = 0;
        return failure;
    }
    db->ran_prepared = prepared;
    if (db->queued > 0)
        return db_queue_run(db, prepared ? name : sql, prepared, nparams, params);
    return prepared ? PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0)
                    : PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
}

/* db_plan_lost - a prepared statement the server dropped (26000) or whose
 * plan a change of its tables invalidated (0A000): prepare all again */
static void db_plan_lost(struct db *db)
{
    if (!db->ran_prepared ||
        (strcmp(db->sqlstate, "26000") != 0 && strcmp(db->sqlstate, "0A000") != 0))
        return;
    db_prepared_forget(db);
    db->transient = 1;
}

/* db_query - one parameterized statement, timed; its result or NULL (logged) */
PGresult *db_query(struct db *db, const char *sql, int nparams, const char *const *params)
{
    db_clear_error(db);
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        db_set_error(db, NULL, "connection is not open");
        db->transient = 1;
        log_warn("database statement not sent: connection is not open");
        metrics_add(db_metric_errors(), 1, NULL);
        return NULL;
    }
    double start = clock_mono_seconds();
    PGresult *res = db_run(db, sql, nparams, params);
    ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    metrics_observe(db_metric_duration(), clock_mono_seconds() - start, NULL);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return res;
    metrics_add(db_metric_errors(), 1, NULL);
    db_record_failure(db, res);
    db_plan_lost(db);
    PQclear(res);
    return NULL;
}

/* db_exec_queued - inside a transaction, queue a statement already
 * prepared on the connection (or one without parameters, run unprepared)
 * for the next round trip; 0, -1 when it must go out now */
static int db_exec_queued(struct db *db, const char *sql, int nparams, const char *const *params)
{
    char name[48];

    if (!db->in_transaction || !db_ok(db))
        return -1;
    if (nparams == 0)
        return db_queue_add(db, sql, 0, 0, params);
    if (!db_prepared_lookup(db, sql, name, sizeof(name)))
        return -1;
    return db_queue_add(db, name, 1, nparams, params);
}

/* db_exec - a statement whose rows are not needed; 0 or -1. Inside a
 * transaction it waits for the next round trip (db_queue.c): its failure
 * then shows at the next statement or at COMMIT, which rolls back. */
int db_exec(struct db *db, const char *sql, int nparams, const char *const *params)
{
    PGresult *res;

    if (db_exec_queued(db, sql, nparams, params) == 0)
        return 0;
    res = db_query(db, sql, nparams, params);

    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

/* db_begin - start a transaction: its BEGIN goes out with the next
 * statement, in the same round trip */
int db_begin(struct db *db)
{
    db->transaction++;
    db_queue_clear(db);
    db->in_transaction = 0;
    if (db_queue_add(db, "BEGIN", 0, 0, NULL) != 0)
        return db_exec(db, "BEGIN", 0, NULL); /* out of memory: at once */
    db->in_transaction = 1;
    db->begin_queued = 1;
    return 0;
}

/* db_transaction_end - after a COMMIT: nothing queued; a transaction
 * still open means the COMMIT never ran (a statement before it failed in
 * the pipeline, or the pipeline could not be sent): roll it back */
static void db_transaction_end(struct db *db)
{
    PGTransactionStatusType status = db_ok(db) ? PQtransactionStatus(db->conn) : PQTRANS_UNKNOWN;

    db->in_transaction = 0;
    db_queue_clear(db);
    if (status == PQTRANS_INERROR || status == PQTRANS_INTRANS)
        PQclear(PQexecParams(db->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
}

/* db_transaction - the serial of the transaction begun last (see
 * db_committed) */
uint64_t db_transaction(const struct db *db)
{
    return db->transaction;
}

/* db_committed - whether the transaction of serial transaction is known to
 * have committed: its COMMIT came back as such. 0 also when the answer was
 * lost (the connection broke): the caller must then ask the database. */
int db_committed(const struct db *db, uint64_t transaction)
{
    return transaction != 0 && db->last_committed == transaction;
}

/* db_commit - commit; -1 when the server rolled back instead */
int db_commit(struct db *db)
{
    PGresult *res;

    if (db->begin_queued && db->queued == 1) { /* BEGIN alone: nothing to commit */
        db_transaction_end(db);
        db->last_committed = db->transaction;
        return 0;
    }
    res = db_query(db, "COMMIT", 0, NULL);
    db_transaction_end(db);

    if (res == NULL)
        return -1;
    /* COMMIT of a transaction in the failed state succeeds as ROLLBACK */
    int rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
    PQclear(res);
    if (rolled_back) {
        db_set_error(db, "25P02", "commit rolled back: an earlier statement of the transaction failed");
        log_warn("database %s", db->error);
        return -1;
    }
    db->last_committed = db->transaction;
    return 0;
}

/* db_rollback - abandon the transaction */
int db_rollback(struct db *db)
{
    int sent = !db->begin_queued;

    db->in_transaction = 0;
    db_queue_clear(db);
    return sent ? db_exec(db, "ROLLBACK", 0, NULL) : 0;
}

/* db_transient - whether the last failure may succeed on retry */
int db_transient(struct db *db)
{
    return db->transient;
}

/* db_last_sqlstate - SQLSTATE of the last failure, "" when none */
const char *db_last_sqlstate(struct db *db)
{
    return db->sqlstate;
}

/* db_last_error - message of the last failure, "" when none */
const char *db_last_error(struct db *db)
{
    return db->error;
}

/* db_exec_script - run trusted multi-statement text; 0 or -1 */
int db_exec_script(struct db *db, const char *text)
{
    /* PQexec only here: the text is a fixed file shipped with cutover (a migration), and
     * PQexecParams cannot run several statements. */
    PGresult *res;
    ExecStatusType status;

    if (db_queue_flush(db, &res) != 0) {
        db_record_failure(db, res);
        PQclear(res);
        return -1;
    }
    res = PQexec(db->conn, text);
    status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
        PQclear(res);
        return 0;
    }
    db_record_failure(db, res);
    PQclear(res);
    return -1;
}
