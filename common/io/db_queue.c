/*
 * db_queue - statements that wait for the next round trip. Inside a
 *            transaction its BEGIN, and the writes whose rows nobody reads
 *            (db_exec), go out with the next statement that needs an
 *            answer, or with COMMIT, in one round trip: libpq's pipeline
 *            mode, one Sync after the last.
 *
 * DESCRIPTION
 *	PostgreSQL runs a pipeline's statements in order and, after one
 *	fails, skips the rest up to the Sync (PGRES_PIPELINE_ABORTED): the
 *	first failure is the answer, as if each had been sent alone and the
 *	transaction had failed there.
 */
#include "io/db_internal.h"

#include <stdlib.h>
#include <string.h>

/* db_queued_free - one queued statement's copies */
static void db_queued_free(struct db_queued *q)
{
    for (int i = 0; i < q->nparams; i++)
        free(q->params[i]);
    free(q->params);
    free(q->statement);
}

/* db_queue_add - queue a statement (copied) for the next round trip */
int db_queue_add(struct db *db, const char *statement, int prepared, int nparams,
                 const char *const *params)
{
    struct db_queued *q;

    if (db->queued == DB_QUEUE_MAX)
        return -1;
    q = &db->queue[db->queued];
    *q = (struct db_queued){strdup(statement), prepared, 0, NULL};
    if (nparams > 0)
        q->params = calloc((size_t)nparams, sizeof(char *));
    if (q->statement == NULL || (nparams > 0 && q->params == NULL)) {
        db_queued_free(q);
        return -1;
    }
    for (; q->nparams < nparams; q->nparams++) {
        if (params[q->nparams] && (q->params[q->nparams] = strdup(params[q->nparams])) == NULL) {
            db_queued_free(q);
            return -1;
        }
    }
    db->queued++;
    return 0;
}

/* db_queue_clear - drop what is queued, unsent */
void db_queue_clear(struct db *db)
{
    for (size_t i = 0; i < db->queued; i++)
        db_queued_free(&db->queue[i]);
    db->queued = 0;
    db->begin_queued = 0;
}

/* db_queue_send - put one statement into the pipeline */
static int db_queue_send(struct db *db, const char *statement, int prepared, int nparams,
                         const char *const *params)
{
    return prepared ? PQsendQueryPrepared(db->conn, statement, nparams, params, NULL, NULL, 0)
                    : PQsendQueryParams(db->conn, statement, nparams, NULL, params, NULL, NULL,
                                        0);
}

/* db_queue_send_all - the queue, then statement, then the Sync */
static int db_queue_send_all(struct db *db, const char *statement, int prepared, int nparams,
                             const char *const *params)
{
    for (size_t i = 0; i < db->queued; i++) {
        struct db_queued *q = &db->queue[i];

        if (db_queue_send(db, q->statement, q->prepared, q->nparams,
                          (const char *const *)q->params) != 1)
            return -1;
    }
    if (statement && db_queue_send(db, statement, prepared, nparams, params) != 1)
        return -1;
    return PQpipelineSync(db->conn) == 1 ? 0 : -1;
}

/* db_queue_result - the next statement's result and the NULL after it */
static PGresult *db_queue_result(struct db *db)
{
    PGresult *res = PQgetResult(db->conn), *end;

    if (res != NULL && (end = PQgetResult(db->conn)) != NULL)
        PQclear(end); /* not expected: one result per statement */
    return res;
}

/* db_queue_collect - read count results and the Sync's; the first
 * failure, else the last result */
static PGresult *db_queue_collect(struct db *db, size_t count, int last_prepared)
{
    PGresult *answer = NULL;
    int failed = 0;

    for (size_t i = 0; i < count; i++) {
        PGresult *res = db_queue_result(db);
        ExecStatusType status = PQresultStatus(res);
        int ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;

        if (failed || (ok && i + 1 < count)) {
            PQclear(res);
            continue;
        }
        answer = res;
        failed = !ok;
        db->ran_prepared = i < db->queued ? db->queue[i].prepared : last_prepared;
    }
    PQclear(PQgetResult(db->conn)); /* PGRES_PIPELINE_SYNC */
    return answer;
}

/* db_queue_run - the queue, then statement, in one round trip */
PGresult *db_queue_run(struct db *db, const char *statement, int prepared, int nparams,
                       const char *const *params)
{
    PGresult *answer = NULL;
    size_t count = db->queued + (statement != NULL);

    if (PQenterPipelineMode(db->conn) != 1) {
        db_queue_clear(db);
        return NULL;
    }
    if (db_queue_send_all(db, statement, prepared, nparams, params) == 0)
        answer = db_queue_collect(db, count, prepared);
    db_queue_clear(db);
    if (PQexitPipelineMode(db->conn) != 1) {
        PQclear(answer);
        return NULL;
    }
    return answer;
}
