/*
 * worker_internal - the worker skeleton's state, shared by worker.c (set-up,
 *                   loop, signals) and worker_record.c (one record's path).
 *                   Not for workers themselves: they use worker.h.
 */
#ifndef CUTOVER_WORKER_INTERNAL_H
#define CUTOVER_WORKER_INTERNAL_H

#include "io/httpd.h"
#include "io/kafka.h"
#include "io/outbox.h"
#include "io/schema.h"
#include "worker/worker.h"
#include "worker/worker_auth.h"

#define WORKER_MAX_TICKS 8

struct worker {
    const struct worker_spec *spec;
    struct event_base *base;
    struct db *db;
    struct kafka_producer *producer;
    struct kafka_consumer *consumer;
    struct outbox *outbox;
    struct schema_registry *schemas;
    struct event *ev_sigterm;
    struct event *ev_sigint;
    struct event *ev_sweep;
    struct event *ev_retry;
    struct event *ev_ticks[WORKER_MAX_TICKS];
    struct event *ev_kicks[WORKER_MAX_TICKS]; /* one-shot: a tick run now, its timer untouched */
    unsigned emitted;     /* outbox rows written since the last publish */
    struct event *ev_kick_later; /* worker_kick_after */
    struct db *listener;  /* a connection of its own for worker_wake_on; NULL when none */
    struct event *ev_wake; /* the listener's socket readable */
    char source[256];
    long max_event_bytes;
    long retry_delay_ms;
    int stopping;
    unsigned long handled, dead_lettered, skipped, retried;
    struct httpd *httpd;  /* GET /metrics, /healthz; NULL when not asked for */
    const char *verdict;  /* how the record in hand ended: "handled", "skipped", ... */
    int kept;             /* the record in hand was kept for a retry before */
    struct auth_verdict auth; /* the signature policy's verdict on the record in hand */
};

/* worker_record_cb - the consumer's callback: one record's whole path */
int worker_record_cb(rd_kafka_message_t *msg, void *arg);
/* worker_kick - fire the ticks that run after each handled record now */
void worker_kick(struct worker *w);
/* worker_ticks_committed - run the ticks' committed hooks at once */
void worker_ticks_committed(struct worker *w);
/* worker_db_recover - reconnect the database connection (exits when it
 * cannot) and the listener of worker_wake_on when they broke */
void worker_db_recover(struct worker *w);

/* worker_metrics.c: the worker's metrics and their server */
void worker_metrics_start(struct worker *w);
void worker_metrics_stop(struct worker *w);
void worker_metrics_consumed(const char *topic);
/* outcome NULL: the record is kept for a retry */
void worker_metrics_record(const char *topic, const char *outcome, double seconds);
void worker_metrics_dead_letter(const char *topic, const char *reason);

#endif
