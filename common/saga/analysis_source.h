/*
 * analysis_source - the metric providers of the analysis gates, behind
 *                   one table of functions: each turns one query (with the
 *                   deployment's variables) into one number.
 *
 * SYNOPSIS
 *	const struct analysis_source *s = &analysis_cloudwatch;
 *	s->check(query, err, sizeof(err));		(when a spec is applied)
 *	void *session = s->open ? s->open(m, err, sizeof(err)) : NULL;
 *	switch (s->read(session, m, query, vars, sent, sizeof(sent), &v, detail, sizeof(detail))) ...
 *	if (s->close) s->close(session);
 *
 *	analysis_render(m, "up{color=\"{{color}}\"}", vars, out, sizeof(out));
 *
 * DESCRIPTION
 *	A metric names its provider ("provider", default "prometheus"); the
 *	provider's query is the metric's member named by the source's
 *	"member" ("query": a PromQL string; "cloudwatch": a GetMetricData
 *	form), and so is that of its min_requests. open() makes what one
 *	measurement's reads share (the CloudWatch client: its credentials and
 *	connection serve the metric, its baseline and its request guard).
 *
 *	analysis_render() fills in the template variables: {{color}},
 *	{{old_color}}, {{version}}, {{environment}}, and from the
 *	environment's "aws" section {{target_group}} (the color's target group
 *	as CloudWatch's TargetGroup dimension, "targetgroup/name/id"),
 *	{{old_target_group}} and {{load_balancer}} (the ALB, "app/name/id").
 */
#ifndef CUTOVER_ANALYSIS_SOURCE_H
#define CUTOVER_ANALYSIS_SOURCE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "saga/analysis_metric.h"

enum analysis_read { ANALYSIS_READ_VALUE, ANALYSIS_READ_NO_DATA, ANALYSIS_READ_ERROR };

struct analysis_source {
    const char *name;   /* the metric's "provider" */
    const char *member; /* the member that holds its query */
    /* check - whether query is a form this provider reads; 0, or -1 with err */
    int (*check)(const cJSON *query, char *err, size_t err_len);
    /* open - what one measurement's reads share; NULL with err on failure (open may be NULL) */
    void *(*open)(const struct analysis_metric *m, char *err, size_t err_len);
    void (*close)(void *session);
    /* describe - the query as it would be sent; 0, or -1 with why in out */
    int (*describe)(const struct analysis_metric *m, const cJSON *query,
                    const struct analysis_vars *vars, char *out, size_t out_len);
    /* read - run the query: as sent in sent, its number in *value, else why in detail */
    enum analysis_read (*read)(void *session, const struct analysis_metric *m,
                               const cJSON *query, const struct analysis_vars *vars, char *sent,
                               size_t sent_len, double *value, char *detail, size_t detail_len);
};

extern const struct analysis_source analysis_prometheus;
extern const struct analysis_source analysis_cloudwatch;

/* analysis_render - text with its {{variables}} filled in; 0, or -1 with why in out */
int analysis_render(const struct analysis_metric *m, const char *text,
                    const struct analysis_vars *vars, char *out, size_t out_len);

#endif
