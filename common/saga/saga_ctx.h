/*
 * saga_ctx - the narrow handle every function of the saga engine takes:
 *            a database connection, the name of the worker it runs in,
 *            and where its events go.
 *
 * SYNOPSIS
 *	struct saga_ctx ctx = { db, "scaler", my_emit, my_publish, my_sink };
 *	db_begin(db);
 *	deployment_receive(&ctx, ev, err);
 *	db_commit(db);
 *	saga_publish(&ctx);
 *
 * DESCRIPTION
 *	The engine never sees the worker skeleton: a worker process binds
 *	the context to its database and outbox (saga_worker.h), and a test
 *	binds it to a bare connection and a list of emitted events, so that
 *	the engine runs against a real PostgreSQL without Kafka.
 *
 *	emit queues one event inside the caller's transaction (for a worker,
 *	a row of the outbox) and takes ownership of data; publish sends what
 *	is committed now, and may be NULL where nothing is sent.
 */
#ifndef CUTOVER_SAGA_CTX_H
#define CUTOVER_SAGA_CTX_H

#include "io/db.h"

#include <cjson/cJSON.h>

struct saga_ctx {
    struct db *db;
    const char *worker; /* "scaler": owner of effects, crash points, audit actor */
    int (*emit)(void *sink, const char *topic, const char *environment, cJSON *data);
    void (*publish)(void *sink);
    void *sink;
};

/* saga_emit - an event into ctx's sink inside the current transaction;
 * takes ownership of data; 0 or -1 */
int saga_emit(struct saga_ctx *ctx, const char *topic, const char *environment, cJSON *data);

/* saga_publish - send what is committed now (nothing without a publisher) */
void saga_publish(struct saga_ctx *ctx);

#endif
