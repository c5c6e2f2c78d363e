/*
 * worker_metrics - what a worker process counts about its records and its
 *                  outbox, and the server that exports it (GET /metrics,
 *                  /healthz on CUTOVER_METRICS_ADDR; see README "Metrics").
 *
 * SYNOPSIS
 *	worker_metrics_start(w);		(once the database is open)
 *	worker_metrics_record(w, topic, seconds);	(after each record's path)
 *	worker_metrics_dead_letter(topic, reason);
 *	worker_metrics_stop(w);
 *
 * DESCRIPTION
 *	cutover_records_consumed_total{topic} counts each record when Kafka
 *	hands it over (a record kept for a retry is not counted again);
 *	cutover_records_total{topic, outcome} counts it once more when its
 *	path ends, by outcome: handled, dead-lettered, or skipped (seen
 *	before at that offset). cutover_dead_letters_total{topic, reason}
 *	gives the reason code of each dead letter; cutover_record_retries_total
 *	the retries a database outage cost; cutover_handler_duration_seconds
 *	the time of one pass through the path (decode to commit). Topics and
 *	reason codes are fixed lists, so the label sets are bounded.
 *
 *	The outbox backlog (cutover_outbox_backlog, rows committed and not
 *	yet acknowledged by Kafka, and cutover_outbox_oldest_age_seconds) is
 *	read from the outbox table at each scrape by a collector.
 *
 *	/healthz answers 200 while the database connection is up and the
 *	worker is not draining, 503 otherwise.
 */
#include "worker/worker_internal.h"

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"

#include <string.h>

/* Seconds: a record's path is a few queries; a slow one waits on locks. */
static const double worker_handler_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                0.25,  0.5,    1,     2.5,  5,     10};

static const char *const worker_topic_label[] = {"topic"};
static const char *const worker_outcome_labels[] = {"topic", "outcome"};
static const char *const worker_reason_labels[] = {"topic", "reason"};

static struct metric_family *worker_consumed, *worker_records, *worker_dead_letters,
    *worker_retries, *worker_duration, *worker_backlog, *worker_oldest;

/* The worker's families; a histogram's buckets are worker_handler_buckets. */
static const struct worker_family {
    struct metric_family **family;
    enum metric_type type;
    const char *name, *help;
    const char *const *labels;
    size_t label_count;
} worker_families[] = {
    {&worker_consumed, METRIC_COUNTER, "cutover_records_consumed_total",
     "Records taken from Kafka, by topic (a retried record counts once).", worker_topic_label, 1},
    {&worker_records, METRIC_COUNTER, "cutover_records_total",
     "Records whose path ended, by topic and outcome (handled, dead-lettered, skipped).",
     worker_outcome_labels, 2},
    {&worker_dead_letters, METRIC_COUNTER, "cutover_dead_letters_total",
     "Records sent to dead-letter, by topic and reason code.", worker_reason_labels, 2},
    {&worker_retries, METRIC_COUNTER, "cutover_record_retries_total",
     "Records kept and retried after a transient database failure, by topic.",
     worker_topic_label, 1},
    {&worker_duration, METRIC_HISTOGRAM, "cutover_handler_duration_seconds",
     "Time of one pass of a record through the worker, decode to commit.", worker_topic_label, 1},
    {&worker_backlog, METRIC_GAUGE, "cutover_outbox_backlog",
     "Outbox rows committed and not yet acknowledged by Kafka (all workers).", NULL, 0},
    {&worker_oldest, METRIC_GAUGE, "cutover_outbox_oldest_age_seconds",
     "Age of the oldest outbox row not yet acknowledged; 0 when none.", NULL, 0},
};

/* worker_family_register - one family of the table */
static struct metric_family *worker_family_register(const struct worker_family *f)
{
    if (f->type == METRIC_COUNTER)
        return metrics_counter(f->name, f->help, f->labels, f->label_count);
    if (f->type == METRIC_GAUGE)
        return metrics_gauge(f->name, f->help, f->labels, f->label_count);
    return metrics_histogram(f->name, f->help, f->labels, f->label_count, worker_handler_buckets,
                             sizeof(worker_handler_buckets) / sizeof(worker_handler_buckets[0]));
}

/* worker_outbox_collect_cb - the backlog, read at scrape; nothing when the
 * database does not answer (a stale figure would mislead) */
static void worker_outbox_collect_cb(void *arg)
{
    struct worker *w = arg;
    double rows, oldest;

    metrics_clear(worker_backlog);
    metrics_clear(worker_oldest);
    if (w->outbox == NULL || outbox_backlog(w->outbox, &rows, &oldest) != 0)
        return;
    metrics_set(worker_backlog, rows, NULL);
    metrics_set(worker_oldest, oldest, NULL);
}

/* worker_healthz_cb - 200 while the database is up and the worker not draining */
static void worker_healthz_cb(struct evhttp_request *req, const char *path, void *arg)
{
    struct worker *w = arg;
    int ok = !w->stopping && w->db && db_ok(w->db);
    const char *body = ok ? "ok\n" : "unavailable\n";

    (void)path;
    httpd_reply(req, ok ? 200 : 503, "text/plain; charset=utf-8", body, strlen(body));
}

/* worker_metrics_start - register the worker's families and serve them
 * when CUTOVER_METRICS_ADDR is set */
void worker_metrics_start(struct worker *w)
{
    metrics_process();
    for (size_t i = 0; i < sizeof(worker_families) / sizeof(worker_families[0]); i++)
        *worker_families[i].family = worker_family_register(&worker_families[i]);
    for (size_t i = 0; i < w->spec->handler_count; i++) {
        const char *topic = w->spec->handlers[i].topic;

        metrics_add(worker_consumed, 0, &topic); /* 0 from the start, not nothing */
        metrics_add(worker_records, 0, (const char *[]){topic, "handled"});
    }
    metrics_on_collect(worker_outbox_collect_cb, w);
    w->httpd = httpd_metrics_serve(w->base, config_get("CUTOVER_METRICS_ADDR"), worker_healthz_cb,
                                   w);
}

/* worker_metrics_stop - stop serving (before what the collectors read goes away) */
void worker_metrics_stop(struct worker *w)
{
    httpd_free(w->httpd);
    w->httpd = NULL;
}

/* worker_metrics_consumed - a record handed over by Kafka (not a retry) */
void worker_metrics_consumed(const char *topic)
{
    metrics_add(worker_consumed, 1, (const char *[]){topic});
}

/* worker_metrics_record - one pass of a record ended: its time, and its
 * outcome unless it is kept for a retry (outcome NULL) */
void worker_metrics_record(const char *topic, const char *outcome, double seconds)
{
    metrics_observe(worker_duration, seconds, (const char *[]){topic});
    if (outcome)
        metrics_add(worker_records, 1, (const char *[]){topic, outcome});
    else
        metrics_add(worker_retries, 1, (const char *[]){topic});
}

/* worker_metrics_dead_letter - one dead letter and its reason code */
void worker_metrics_dead_letter(const char *topic, const char *reason)
{
    metrics_add(worker_dead_letters, 1, (const char *[]){topic, reason});
}
