/*
 * metrics - the process's Prometheus registry: counters, gauges and
 *           histograms with fixed buckets, in families whose label sets
 *           are bounded, rendered in the text exposition format 0.0.4.
 *
 * SYNOPSIS
 *	static const char *const topic_outcome[] = {"topic", "outcome"};
 *	struct metric_family *records = metrics_counter("cutover_records_total",
 *		"Records consumed, by topic and outcome.", topic_outcome, 2);
 *	metrics_add(records, 1, (const char *[]){"build-ready", "handled"});
 *
 *	static const double seconds[] = {0.001, 0.01, 0.1, 1, 10};
 *	struct metric_family *took = metrics_histogram("cutover_handler_duration_seconds",
 *		"Time to handle one record.", NULL, 0, seconds, 5);
 *	metrics_observe(took, 0.004, NULL);
 *
 *	metrics_on_collect(outbox_backlog_collect, outbox);	(run before each render)
 *	struct buf out;
 *	buf_init(&out, METRICS_RENDER_MAX);
 *	metrics_render(&out);
 *
 * DESCRIPTION
 *	Registering a name twice returns the family already registered (the
 *	type, labels and buckets must match: a mismatch is a broken invariant
 *	and panics). Names and label names are checked against Prometheus's
 *	grammar at registration. A family holds at most METRICS_SERIES_MAX
 *	label sets: the first METRICS_SERIES_MAX - 1 distinct ones get their
 *	own series, every later one is counted under label values "other",
 *	so totals stay right and memory stays bounded whatever values a
 *	hostile input brings. Label values are escaped on output. A family
 *	without labels shows its one series (0) from registration on.
 *
 *	Single-threaded, like every cutover process: no locks.
 */
#ifndef CUTOVER_METRICS_H
#define CUTOVER_METRICS_H

#include "base/buf.h"

#include <stddef.h>

#define METRICS_FAMILIES_MAX 96
#define METRICS_SERIES_MAX   64   /* label sets of a family, unless metrics_bound says more */
#define METRICS_BOUND_MAX    16384 /* the most metrics_bound allows (17 states x 500 environments fit) */
#define METRICS_LABELS_MAX   4
#define METRICS_BUCKETS_MAX  16
#define METRICS_RENDER_MAX   (4u << 20) /* the largest scrape body */

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric_family;

struct metric_family *metrics_counter(const char *name, const char *help,
                                      const char *const *labels, size_t label_count);
struct metric_family *metrics_gauge(const char *name, const char *help,
                                    const char *const *labels, size_t label_count);
struct metric_family *metrics_histogram(const char *name, const char *help,
                                        const char *const *labels, size_t label_count,
                                        const double *buckets, size_t bucket_count);

/* values: one per label of the family (NULL when it has none) */
void metrics_add(struct metric_family *f, double by, const char *const *values); /* counter */
void metrics_set(struct metric_family *f, double value, const char *const *values); /* gauge */
void metrics_observe(struct metric_family *f, double value, const char *const *values);

/* metrics_bound - let f hold up to max label sets (at most
 * METRICS_BOUND_MAX) instead of METRICS_SERIES_MAX: for a family whose
 * label values are bounded elsewhere, e.g. one series per environment
 * and deployment state read from the database */
void metrics_bound(struct metric_family *f, size_t max);

/* metrics_clear - forget every series of a gauge family (before a
 * collector sets the ones that exist now) */
void metrics_clear(struct metric_family *f);

/* metrics_on_collect - fn(arg) runs before each render, to set gauges
 * read at scrape time; at most METRICS_FAMILIES_MAX collectors */
void metrics_on_collect(void (*fn)(void *arg), void *arg);

/* metrics_render - every family in registration order; 0 or -1 over the cap */
int metrics_render(struct buf *out);

/* metrics_reset - forget every family and collector (tests, shutdown) */
void metrics_reset(void);

/* metrics_process - cutover_process_start_time_seconds (now) and
 * cutover_build_info{version} 1 (metrics_process.c) */
void metrics_process(void);

#endif
