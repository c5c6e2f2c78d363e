/*
 * worker_internal - the worker skeleton's state, shared by worker.c (set-up,
 *                   loop, signals) and worker_record.c (one record's path).
 *                   Not for workers themselves: they use worker.h.
 */
#ifndef CUTOVER_WORKER_INTERNAL_H
#define CUTOVER_WORKER_INTERNAL_H

#include "io/kafka.h"
#include "io/outbox.h"
#include "io/schema.h"
#include "worker/worker.h"

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
    char source[256];
    long max_event_bytes;
    long retry_delay_ms;
    int stopping;
    unsigned long handled, dead_lettered, skipped, retried;
};

/* worker_record_cb - the consumer's callback: one record's whole path */
int worker_record_cb(rd_kafka_message_t *msg, void *arg);
/* worker_kick - fire the ticks that run after each handled record now */
void worker_kick(struct worker *w);

#endif
