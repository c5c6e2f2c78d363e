/*
 * worker - the skeleton every worker process runs: options, configuration,
 *          logging, signals, the event loop, Kafka and PostgreSQL set-up,
 *          decoding, dedupe, dead letters and the outbox.
 *
 * SYNOPSIS
 *	static const struct worker_handler handlers[] = {
 *		{ "build-ready", scaler_build_ready },
 *	};
 *	static const struct worker_spec spec = { "scaler", handlers, 1, ... };
 *	int main(int argc, char **argv) { return worker_main(argc, argv, &spec); }
 *
 * DESCRIPTION
 *	For each record: decode it (event.h), validate its data against the
 *	topic's schema, check that its subject names a known environment,
 *	then, in one PostgreSQL transaction, insert it into the inbox (a second
 *	event with the same (source, id) is a duplicate; the same record
 *	delivered again after a crash is skipped silently) and call the
 *	handler. The offset is stored only after the transaction commits.
 *	Anything refused goes to the dead-letter topic through the outbox with
 *	its reason; a transient database failure keeps the record and retries
 *	it with backoff, so nothing is lost and nothing is dead-lettered for
 *	an outage. Events that handlers emit (worker_emit) are written to the
 *	outbox in the same transaction and published after commit, in commit
 *	order; a sweeper republishes what a crash left behind.
 *	Ticks are the periodic jobs of a spec, each with optional start and
 *	stop hooks and an argument the skeleton never looks into: the layer
 *	above (the saga's timers and effects, saga/saga_worker.h) plugs in
 *	there, so the skeleton knows nothing of deployments. A spec without
 *	handlers consumes nothing (no consumer group): its ticks are its work.
 *	SIGTERM and SIGINT drain: the record in hand is finished, deliveries
 *	are flushed, offsets committed, and the process exits 0.
 */
#ifndef CUTOVER_WORKER_H
#define CUTOVER_WORKER_H

#include "io/db.h"
#include "io/event.h"

#include <event2/event.h>

struct worker;

/* worker_handler_fn - handle one accepted event inside the transaction;
 * 0 done, -1 with err set: EVENT_INTERNAL after a transient database error
 * retries the record, anything else sends it to dead-letter */
typedef int (*worker_handler_fn)(struct worker *w, const struct cloud_event *ev,
                                 struct event_error *err);

struct worker_handler {
    const char *topic;
    worker_handler_fn handle;
};

/* A periodic job of the worker; runs outside any transaction, never while
 * the worker drains. A layer above the skeleton (the saga's effects and
 * timers) plugs in here without the skeleton knowing its types. */
struct worker_tick {
    const char *name;
    const char *interval_var; /* a CUTOVER_* integer variable, milliseconds */
    void (*fire)(struct worker *w, const void *arg);
    const void *arg;          /* handed to fire, start and stop */
    /* start - once the database and Kafka are open, before the loop; may be NULL */
    void (*start)(struct worker *w, const void *arg);
    /* stop - at shutdown, while the database is still open; may be NULL */
    void (*stop)(struct worker *w, const void *arg);
    int after_each_record; /* also fire right after each handled record */
    /* committed - right after each record's transaction committed, before
     * the events it wrote are published and before any other callback:
     * work that transaction claimed for this very process; may be NULL */
    void (*committed)(struct worker *w, const void *arg);
};

struct worker_spec {
    const char *name; /* "scaler": logs, consumer group, event source */
    const char *summary;
    const struct worker_handler *handlers;
    size_t handler_count;
    const struct worker_tick *ticks;
    size_t tick_count;
};

int worker_main(int argc, char **argv, const struct worker_spec *spec);

/* worker_wake_on - LISTEN on channel through a connection of its own and
 * run the ticks that run after each record (worker_kick) whenever a
 * notification there carries this worker's name or "*": work another
 * process committed for it, without waiting for the tick's interval.
 * What this process's own connection sent wakes nothing: a tick of its
 * own follows each of its transactions anyway */
void worker_wake_on(struct worker *w, const char *channel);
/* worker_kick_after - run the ticks that run after each record in ms
 * milliseconds (again: the later call wins) */
void worker_kick_after(struct worker *w, long ms);
struct db *worker_db(struct worker *w);
struct event_base *worker_base(struct worker *w);
const char *worker_name(const struct worker *w);

/* worker_emit - queue an event in the outbox inside the current
 * transaction; takes ownership of data */
int worker_emit(struct worker *w, const char *topic, const char *environment, cJSON *data);

/* worker_publish - publish committed outbox rows now (after a commit
 * made outside a handler, e.g. by a tick) */
void worker_publish(struct worker *w);

#endif
