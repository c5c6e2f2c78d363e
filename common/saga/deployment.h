/*
 * deployment - a deployment's saga in PostgreSQL: lock its row, feed an
 *              input to the pure state machine (saga.h), and write what
 *              comes out: the new state, the audit row, the effects to
 *              perform, the durable timers, the status event.
 *
 * SYNOPSIS
 *	db_begin(db);
 *	struct deployment d;
 *	if (deployment_lock(db, id, &d) == 0) {
 *		struct saga_input in = { .kind = SAGA_IN_SCALED, .epoch = epoch };
 *		struct deployment_note note = { "cutover.green-scaled", ev->id, ev->source };
 *		verdict = deployment_apply(ctx, &d, &in, &note, why, sizeof(why));
 *	}
 *	deployment_release(&d);
 *	db_commit(db);
 *
 * DESCRIPTION
 *	Every call here runs inside the caller's transaction and never calls a
 *	provider: effects are written to the effects table (the write-ahead
 *	log) for their owning worker to perform (effect.h). The owner of each
 *	effect kind is one table (effect.c, effect_owner) that every worker's
 *	effect steps are checked against at start-up. Timers, epochs, the
 *	live color, status events and starting the next queued deployment are
 *	bookkeeping done right here.
 *
 *	An ignored or rejected input is written to the history (transitions,
 *	from = to) with its reason, so that "alarm after completed changes
 *	nothing" can be read back.
 */
#ifndef CUTOVER_DEPLOYMENT_H
#define CUTOVER_DEPLOYMENT_H

#include "io/db.h"
#include "io/event.h"
#include "saga/saga.h"
#include "saga/saga_ctx.h"

#include <cjson/cJSON.h>

struct deployment {
    char id[37];
    char environment[64];
    char build_id[129];
    char version[129];
    char live_color[8]; /* the environment's live color now */
    char provider[16];
    int queued;
    cJSON *artifact;   /* {uri, sha256} */
    cJSON *env_config; /* the environment's document */
    struct saga_state saga;
};

/* Where an input came from, for the audit row. */
struct deployment_note {
    const char *event_type; /* "cutover.alarm-fired", "timer:step-due", ... */
    const char *event_id;   /* may be NULL */
    const char *actor;      /* source, requested_by, worker; may be NULL */
    const char *reason;     /* the event's own reason; may be NULL */
};

/* deployment_lock - SELECT ... FOR UPDATE the deployment and its
 * environment; 0 found, 1 no such deployment, -1 database error */
int deployment_lock(struct db *db, const char *id, struct deployment *d);
/* deployment_lock_active - the environment's active (not queued, not
 * terminal) deployment; 0 found, 1 none, -1 database error */
int deployment_lock_active(struct db *db, const char *environment, struct deployment *d);
/* deployment_load - the same without a lock, outside any transaction
 * (effect steps read their deployment this way) */
int deployment_load(struct db *db, const char *id, struct deployment *d);
void deployment_release(struct deployment *d);

/* deployment_apply - feed one input; returns the verdict (SAGA_TRANSITION,
 * SAGA_IGNORE, SAGA_REJECT, SAGA_DEFER) or -1 on a database error; why
 * receives the table's reason */
int deployment_apply(struct saga_ctx *ctx, struct deployment *d, const struct saga_input *in,
                     const struct deployment_note *note, char *why, size_t why_len);

/* deployment_record - an audit row about d in its history that changes
 * no state (note->reason says what happened); 0 or -1 */
int deployment_record(struct saga_ctx *ctx, const struct deployment *d,
                      const struct deployment_note *note);

/* deployment_strategy_check - a strategy document (a build's, or an
 * environment's default) against the saga's rules and its analysis
 * gates' (analysis_metric.h); 0, or -1 with why */
int deployment_strategy_check(const cJSON *doc, char *why, size_t why_len);

/* deployment_strategy_parse - a strategy document (as deployment_strategy_check
 * accepts it) into out; bluegreen when absent */
void deployment_strategy_parse(const cJSON *doc, struct saga_strategy *out);

/* deployment_receive - a build-ready event (scaler): the same build_id
 * twice is one deployment; a newer build supersedes an active deployment
 * that has moved no traffic, and otherwise waits (queued) until the
 * active one ends. 0 or -1 with err set */
int deployment_receive(struct saga_ctx *ctx, const struct cloud_event *ev, struct event_error *err);

/* deployment_start - give a received deployment its colors and apply START */
int deployment_start(struct saga_ctx *ctx, struct deployment *d, const struct deployment_note *note);

/* deployment_apply_event - a worker event (data.deployment_id, data.epoch)
 * fed to its deployment as input kind: a missing or foreign deployment or
 * a missing epoch rejects the record; ignore, reject and defer verdicts are
 * recorded in the history and the record is done. 0 or -1 with err set */
int deployment_apply_event(struct saga_ctx *ctx, const struct cloud_event *ev,
                           enum saga_input_kind kind, struct event_error *err);

/* The capacity of an environment whose document names none. */
#define DEPLOYMENT_DEFAULT_CAPACITY 2

/* deployment_env_int - an integer of the environment document by a
 * slash-separated path ("timeouts/deploy"), or fallback */
long deployment_env_int(const struct deployment *d, const char *path, long fallback);

/* deployment_emit - a worker event about d (environment, deployment_id,
 * epoch added to data) into the outbox; takes ownership of data */
int deployment_emit(struct saga_ctx *ctx, const struct deployment *d, const char *topic, cJSON *data);

#endif
