/*
 * db_internal - inside common/io/: the connection handle that db.c and
 *               db_queue.c share.
 */
#ifndef CUTOVER_DB_INTERNAL_H
#define CUTOVER_DB_INTERNAL_H

#include "io/db.h"

#include <stddef.h>
#include <stdint.h>

#define DB_ERROR_MAX    512
#define DB_MAX_CHANNELS 4
#define DB_PREPARED_MAX 256
#define DB_QUEUE_MAX    32

/* A statement prepared on the connection, by its text. */
struct db_prepared {
    uint64_t hash;
    char *sql;
};

/* A statement waiting for the next round trip (db_queue.c). */
struct db_queued {
    char *statement; /* a prepared statement's name, or SQL text */
    int prepared;
    int nparams;
    char **params;
};

struct db {
    PGconn *conn;
    struct db_prepared prepared[DB_PREPARED_MAX]; /* named cutover_<generation>_<index> */
    size_t prepared_count;
    unsigned prepared_generation;
    int prepared_backend; /* the backend pid they were prepared on */
    int ran_prepared;     /* the last statement (or the failed one) ran by name */
    char sqlstate[6];
    char error[DB_ERROR_MAX];
    int transient;
    char channels[DB_MAX_CHANNELS][64]; /* LISTENed to, again after a reconnect */
    size_t channel_count;
    uint64_t transaction;    /* serial of the last db_begin on this handle */
    uint64_t last_committed; /* serial of the last transaction whose COMMIT succeeded */
    int in_transaction;      /* between db_begin and db_commit or db_rollback */
    int begin_queued;        /* its BEGIN is still in the queue: nothing was sent */
    struct db_queued queue[DB_QUEUE_MAX];
    size_t queued;
};

/* db_queue_add - queue a statement (copied) for the next round trip; 0,
 * -1 when the queue is full or out of memory */
int db_queue_add(struct db *db, const char *statement, int prepared, int nparams,
                 const char *const *params);
/* db_queue_run - the queued statements, then statement (when not NULL),
 * in one round trip; the queue is empty after. The first failure's
 * result (what came after it was not run), else the last result; NULL
 * when the connection failed. Sets ran_prepared for that result. */
PGresult *db_queue_run(struct db *db, const char *statement, int prepared, int nparams,
                       const char *const *params);
/* db_queue_clear - drop what is queued, unsent */
void db_queue_clear(struct db *db);

#endif
