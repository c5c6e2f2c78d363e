/*
 * analysis_metric - one metric check of an analysis gate: its definition,
 *                   one measurement, and its verdict over the measurements.
 *
 * SYNOPSIS
 *	struct analysis_metric m;
 *	analysis_metric_parse(spec_item, env_config, &m, err, sizeof(err));
 *	struct analysis_vars vars = {"green", "blue", "2.4.0", "shop"};
 *	struct analysis_measurement r;
 *	analysis_measure(&m, &vars, &r);
 *	enum analysis_verdict v = analysis_metric_verdict(&m, outcomes, n, planned);
 *
 * DESCRIPTION
 *	A metric (one item of a step's "analysis": {"metrics": [...]}):
 *	  name            what the history and the metrics call it
 *	  provider        "prometheus" (the default) or "cloudwatch"
 *	  query           prometheus: a PromQL instant query
 *	  cloudwatch      cloudwatch: a GetMetricData form (analysis_cloudwatch.c)
 *	                  Template variables ({{color}}, {{old_color}},
 *	                  {{version}}, {{environment}}, {{target_group}},
 *	                  {{old_target_group}}, {{load_balancer}}) are filled
 *	                  in (analysis_source.h)
 *	  min, max        the success range (either may be left out)
 *	  baseline        {"max_increase": X}: the same query run for the old
 *	                  color ({{color}} = the old color); the new color's
 *	                  value may exceed the old color's by at most X
 *	  min_requests    {"query" or "cloudwatch": Q, "min": N}, in the
 *	                  metric's provider's form: below N requests (or no
 *	                  data) the measurement is low-traffic, never a pass
 *	  interval_seconds  between measurements (default 10); the first comes
 *	                  one interval after the weight took effect
 *	  count           measurements to take (default: as many intervals as
 *	                  the step's pause holds, at least one)
 *	  failure_limit   consecutive failing (or inconclusive) measurements
 *	                  tolerated (default 0)
 *	  no_data         what an empty result or NaN counts as: "fail",
 *	                  "pass" or "inconclusive" (default)
 *	  error_limit     consecutive provider errors tolerated (default 3)
 *	Prometheus's address is the environment's "analysis": {"prometheus_url"};
 *	CloudWatch's region and dimensions come from its "aws" section.
 *
 *	Verdict: failed when the trailing run of failures exceeds
 *	failure_limit; inconclusive when the trailing run of inconclusive
 *	measurements (no data, low traffic) exceeds failure_limit or that of
 *	errors exceeds error_limit; once every planned measurement is taken,
 *	passed only when the last one passed (a last failure fails, anything
 *	else is inconclusive: no traffic never passes); else still running.
 */
#ifndef CUTOVER_ANALYSIS_METRIC_H
#define CUTOVER_ANALYSIS_METRIC_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define ANALYSIS_QUERY_MAX 2048

enum analysis_outcome {
    ANALYSIS_PASS,
    ANALYSIS_FAIL,
    ANALYSIS_NO_DATA,
    ANALYSIS_LOW_TRAFFIC,
    ANALYSIS_ERROR,
    ANALYSIS_OUTCOME_COUNT
};

enum analysis_verdict { ANALYSIS_RUNNING, ANALYSIS_PASSED, ANALYSIS_FAILED, ANALYSIS_INCONCLUSIVE };

enum analysis_no_data { ANALYSIS_NO_DATA_INCONCLUSIVE, ANALYSIS_NO_DATA_FAIL, ANALYSIS_NO_DATA_PASS };

struct analysis_source;

struct analysis_metric {
    const char *name;
    const struct analysis_source *source; /* the provider */
    const cJSON *query;                   /* in the provider's form */
    const cJSON *env;                     /* the environment's document; NULL when checking */
    const char *prometheus_url;
    bool has_min, has_max, has_baseline;
    double min, max, max_increase;
    const cJSON *requests_query; /* NULL: no traffic guard */
    double requests_min;
    int interval_seconds, count, failure_limit, error_limit;
    enum analysis_no_data no_data;
};

/* The deployment's values for the query templates. */
struct analysis_vars {
    const char *color;
    const char *old_color;
    const char *version;
    const char *environment;
};

struct analysis_measurement {
    enum analysis_outcome outcome;
    char query[ANALYSIS_QUERY_MAX]; /* as sent */
    bool has_value, has_baseline;
    double value, baseline;
    char detail[256];
};

/* analysis_metric_parse - one metric of spec (borrowed strings); 0, or -1 with err */
int analysis_metric_parse(const cJSON *item, const cJSON *env_config, struct analysis_metric *m,
                          char *err, size_t err_len);
/* analysis_spec_check - every metric of a step's analysis; 0, or -1 with err */
int analysis_spec_check(const cJSON *analysis, char *err, size_t err_len);
/* analysis_planned - how many measurements the metric takes in a pause */
int analysis_planned(const struct analysis_metric *m, int pause_seconds);
/* analysis_measure - one measurement through the metric's provider */
void analysis_measure(const struct analysis_metric *m, const struct analysis_vars *vars,
                      struct analysis_measurement *out);
/* analysis_metric_verdict - the verdict over the outcomes so far, in order */
enum analysis_verdict analysis_metric_verdict(const struct analysis_metric *m,
                                              const enum analysis_outcome *outcomes, int n,
                                              int planned);

const char *analysis_outcome_name(enum analysis_outcome o);
int analysis_outcome_parse(const char *name, enum analysis_outcome *out); /* 0 or -1 */
const char *analysis_verdict_name(enum analysis_verdict v);

#endif
