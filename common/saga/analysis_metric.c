/*
 * analysis_metric - one metric check of an analysis gate (see
 *                   analysis_metric.h).
 */
#include "saga/analysis_metric.h"

#include "saga/analysis_source.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ANALYSIS_DEFAULT_INTERVAL_S 10
#define ANALYSIS_DEFAULT_ERROR_LIMIT 3

static const char *const analysis_outcome_names[ANALYSIS_OUTCOME_COUNT] = {
    [ANALYSIS_PASS] = "pass",         [ANALYSIS_FAIL] = "fail",   [ANALYSIS_NO_DATA] = "no-data",
    [ANALYSIS_LOW_TRAFFIC] = "low-traffic", [ANALYSIS_ERROR] = "error",
};

/* The metric providers, by the name a metric's "provider" gives. */
static const struct analysis_source *const analysis_sources[] = {
    &analysis_prometheus,
    &analysis_cloudwatch,
};

#define ANALYSIS_SOURCE_COUNT (sizeof(analysis_sources) / sizeof(analysis_sources[0]))

/* A measurement's way to its provider. */
struct analysis_reader {
    const struct analysis_metric *m;
    void *session; /* what the provider's open() made */
};

static const char *const analysis_verdict_names[] = {
    [ANALYSIS_RUNNING] = "running", [ANALYSIS_PASSED] = "passed", [ANALYSIS_FAILED] = "failed",
    [ANALYSIS_INCONCLUSIVE] = "inconclusive",
};

/* analysis_outcome_name - "pass", "fail", "no-data", "low-traffic", "error" */
const char *analysis_outcome_name(enum analysis_outcome o)
{
    return (unsigned)o < ANALYSIS_OUTCOME_COUNT ? analysis_outcome_names[o] : "?";
}

/* analysis_outcome_parse - the outcome named name; 0 or -1 */
int analysis_outcome_parse(const char *name, enum analysis_outcome *out)
{
    for (int o = 0; o < ANALYSIS_OUTCOME_COUNT; o++)
        if (strcmp(analysis_outcome_names[o], name) == 0) {
            *out = (enum analysis_outcome)o;
            return 0;
        }
    return -1;
}

/* analysis_verdict_name - "running", "passed", "failed", "inconclusive" */
const char *analysis_verdict_name(enum analysis_verdict v)
{
    return (unsigned)v <= ANALYSIS_INCONCLUSIVE ? analysis_verdict_names[v] : "?";
}

/* analysis_number - a member as a number; 1 when present */
static int analysis_number(const cJSON *obj, const char *name, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (cJSON_IsNumber(v))
        *out = v->valuedouble;
    return cJSON_IsNumber(v);
}

/* analysis_int - an integer member, or fallback */
static int analysis_int(const cJSON *obj, const char *name, int fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsNumber(v) ? v->valueint : fallback;
}

/* analysis_no_data_parse - the no_data policy; -1 when unknown */
static int analysis_no_data_parse(const cJSON *v, enum analysis_no_data *out)
{
    static const char *const names[] = {"inconclusive", "fail", "pass"};

    *out = ANALYSIS_NO_DATA_INCONCLUSIVE;
    if (v == NULL)
        return 0;
    for (int i = 0; cJSON_IsString(v) && i < 3; i++)
        if (strcmp(v->valuestring, names[i]) == 0) {
            *out = (enum analysis_no_data)i;
            return 0;
        }
    return -1;
}

/* analysis_query_check - query in the provider's form; 0, or -1 with err naming the metric */
static int analysis_query_check(const struct analysis_metric *m, const cJSON *query, char *err,
                                size_t err_len)
{
    char why[256];

    if (m->source->check(query, why, sizeof(why)) == 0)
        return 0;
    snprintf(err, err_len, "%s: %s", m->name, why);
    return -1;
}

/* analysis_source_named - the provider called name; NULL when none is */
static const struct analysis_source *analysis_source_named(const char *name)
{
    for (size_t i = 0; name && i < ANALYSIS_SOURCE_COUNT; i++)
        if (strcmp(analysis_sources[i]->name, name) == 0)
            return analysis_sources[i];
    return NULL;
}

/* analysis_foreign_query - a provider other than own whose query member item has; NULL if none */
static const struct analysis_source *analysis_foreign_query(const cJSON *item,
                                                            const struct analysis_source *own)
{
    for (size_t i = 0; i < ANALYSIS_SOURCE_COUNT; i++)
        if (analysis_sources[i] != own &&
            cJSON_GetObjectItemCaseSensitive(item, analysis_sources[i]->member) != NULL)
            return analysis_sources[i];
    return NULL;
}

/* analysis_source_of - the metric's provider and its query; -1 with err */
static int analysis_source_of(const cJSON *item, struct analysis_metric *m, char *err,
                              size_t err_len)
{
    const cJSON *provider = cJSON_GetObjectItemCaseSensitive(item, "provider");
    const struct analysis_source *foreign;

    m->source = analysis_source_named(provider ? cJSON_GetStringValue(provider)
                                               : analysis_prometheus.name);
    if (m->source == NULL) {
        snprintf(err, err_len, "%s: unknown provider", m->name);
        return -1;
    }
    if ((foreign = analysis_foreign_query(item, m->source)) != NULL) {
        snprintf(err, err_len, "%s: \"%s\" is for provider %s", m->name, foreign->member,
                 foreign->name);
        return -1;
    }
    if ((m->query = cJSON_GetObjectItemCaseSensitive(item, m->source->member)) == NULL) {
        snprintf(err, err_len, "%s: a %s metric needs a \"%s\"", m->name, m->source->name,
                 m->source->member);
        return -1;
    }
    return analysis_query_check(m, m->query, err, err_len);
}

/* analysis_metric_guards - baseline and min_requests */
static int analysis_metric_guards(const cJSON *item, struct analysis_metric *m, char *err,
                                  size_t err_len)
{
    const cJSON *baseline = cJSON_GetObjectItemCaseSensitive(item, "baseline");
    const cJSON *requests = cJSON_GetObjectItemCaseSensitive(item, "min_requests");

    m->has_baseline = baseline != NULL;
    if (baseline && !analysis_number(baseline, "max_increase", &m->max_increase)) {
        snprintf(err, err_len, "%s: baseline needs max_increase", m->name);
        return -1;
    }
    if (requests == NULL)
        return 0;
    m->requests_query = cJSON_GetObjectItemCaseSensitive(requests, m->source->member);
    if (m->requests_query == NULL || !analysis_number(requests, "min", &m->requests_min)) {
        snprintf(err, err_len, "%s: min_requests needs a %s and a min", m->name,
                 m->source->member);
        return -1;
    }
    return analysis_query_check(m, m->requests_query, err, err_len);
}

/* analysis_metric_parse - one metric of a step's analysis */
int analysis_metric_parse(const cJSON *item, const cJSON *env_config, struct analysis_metric *m,
                          char *err, size_t err_len)
{
    const cJSON *monitoring = cJSON_GetObjectItemCaseSensitive(env_config, "analysis");

    memset(m, 0, sizeof(*m));
    m->name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
    m->env = env_config;
    m->prometheus_url =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(monitoring, "prometheus_url"));
    m->has_min = analysis_number(item, "min", &m->min);
    m->has_max = analysis_number(item, "max", &m->max);
    m->interval_seconds = analysis_int(item, "interval_seconds", ANALYSIS_DEFAULT_INTERVAL_S);
    m->count = analysis_int(item, "count", 0);
    m->failure_limit = analysis_int(item, "failure_limit", 0);
    m->error_limit = analysis_int(item, "error_limit", ANALYSIS_DEFAULT_ERROR_LIMIT);
    if (m->name == NULL) {
        snprintf(err, err_len, "a metric needs a name and a query");
        return -1;
    }
    if (analysis_no_data_parse(cJSON_GetObjectItemCaseSensitive(item, "no_data"), &m->no_data) != 0 ||
        m->interval_seconds < 1 || m->count < 0 || m->failure_limit < 0 || m->error_limit < 0 ||
        (m->has_min && m->has_max && m->min > m->max)) {
        snprintf(err, err_len, "%s: bad no_data, interval, count, limits or range", m->name);
        return -1;
    }
    if (analysis_source_of(item, m, err, err_len) != 0)
        return -1;
    return analysis_metric_guards(item, m, err, err_len);
}

/* analysis_spec_check - every metric of a step's analysis */
int analysis_spec_check(const cJSON *analysis, char *err, size_t err_len)
{
    const cJSON *item;
    struct analysis_metric m;

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(analysis, "metrics"))
        if (analysis_metric_parse(item, NULL, &m, err, err_len) != 0)
            return -1;
    return 0;
}

/* analysis_planned - measurements in a pause: count, else one per interval */
int analysis_planned(const struct analysis_metric *m, int pause_seconds)
{
    int per_pause = pause_seconds / m->interval_seconds;

    if (m->count > 0)
        return m->count;
    return per_pause > 0 ? per_pause : 1;
}

/* analysis_query - one query through the metric's provider; the query as sent in sent */
static enum analysis_read analysis_query(const struct analysis_reader *rd, const cJSON *query,
                                         const struct analysis_vars *vars, char *sent,
                                         size_t sent_len, double *value, char *detail,
                                         size_t detail_len)
{
    return rd->m->source->read(rd->session, rd->m, query, vars, sent, sent_len, value, detail,
                               detail_len);
}

/* analysis_traffic - LOW_TRAFFIC or ERROR when the request guard stops the measurement; PASS otherwise */
static enum analysis_outcome analysis_traffic(const struct analysis_reader *rd,
                                              const struct analysis_vars *vars,
                                              struct analysis_measurement *out)
{
    const struct analysis_metric *m = rd->m;
    char sent[ANALYSIS_QUERY_MAX];
    double requests = 0;
    enum analysis_read r;

    if (m->requests_query == NULL)
        return ANALYSIS_PASS;
    r = analysis_query(rd, m->requests_query, vars, sent, sizeof(sent), &requests, out->detail,
                       sizeof(out->detail));
    if (r == ANALYSIS_READ_ERROR)
        return ANALYSIS_ERROR;
    if (r == ANALYSIS_READ_VALUE && requests >= m->requests_min)
        return ANALYSIS_PASS;
    snprintf(out->detail, sizeof(out->detail), "%g requests, below the minimum %g",
             r == ANALYSIS_READ_VALUE ? requests : 0, m->requests_min);
    return ANALYSIS_LOW_TRAFFIC;
}

/* analysis_no_data - an empty result under the metric's policy */
static enum analysis_outcome analysis_no_data(const struct analysis_metric *m,
                                              struct analysis_measurement *out, const char *what)
{
    snprintf(out->detail, sizeof(out->detail), "no data for %s", what);
    return m->no_data == ANALYSIS_NO_DATA_FAIL   ? ANALYSIS_FAIL
           : m->no_data == ANALYSIS_NO_DATA_PASS ? ANALYSIS_PASS
                                                 : ANALYSIS_NO_DATA;
}

/* analysis_range - the value against min and max */
static enum analysis_outcome analysis_range(const struct analysis_metric *m,
                                            struct analysis_measurement *out)
{
    if ((m->has_min && !(out->value >= m->min)) || (m->has_max && !(out->value <= m->max))) {
        snprintf(out->detail, sizeof(out->detail), "%g outside [%s%g, %s%g]", out->value,
                 m->has_min ? "" : "-", m->has_min ? m->min : INFINITY, m->has_max ? "" : "+",
                 m->has_max ? m->max : INFINITY);
        return ANALYSIS_FAIL;
    }
    snprintf(out->detail, sizeof(out->detail), "%g within range", out->value);
    return ANALYSIS_PASS;
}

/* analysis_baseline - the value against the old color's */
static enum analysis_outcome analysis_baseline(const struct analysis_reader *rd,
                                               const struct analysis_vars *vars,
                                               struct analysis_measurement *out)
{
    const struct analysis_metric *m = rd->m;
    struct analysis_vars old = {vars->old_color, vars->color, vars->version, vars->environment};
    char sent[ANALYSIS_QUERY_MAX];
    enum analysis_read r = analysis_query(rd, m->query, &old, sent, sizeof(sent), &out->baseline,
                                          out->detail, sizeof(out->detail));

    if (r == ANALYSIS_READ_ERROR)
        return ANALYSIS_ERROR;
    if (r == ANALYSIS_READ_NO_DATA)
        return analysis_no_data(m, out, "the old color");
    out->has_baseline = true;
    if (out->value - out->baseline > m->max_increase) {
        snprintf(out->detail, sizeof(out->detail), "%g exceeds the old color's %g by more than %g",
                 out->value, out->baseline, m->max_increase);
        return ANALYSIS_FAIL;
    }
    snprintf(out->detail, sizeof(out->detail), "%g, old color %g (at most +%g)", out->value,
             out->baseline, m->max_increase);
    return ANALYSIS_PASS;
}

/* analysis_measure_with - one measurement through an opened provider */
static void analysis_measure_with(const struct analysis_reader *rd,
                                  const struct analysis_vars *vars,
                                  struct analysis_measurement *out)
{
    const struct analysis_metric *m = rd->m;
    enum analysis_read r;

    if ((out->outcome = analysis_traffic(rd, vars, out)) != ANALYSIS_PASS) {
        m->source->describe(m, m->query, vars, out->query, sizeof(out->query));
        return;
    }
    r = analysis_query(rd, m->query, vars, out->query, sizeof(out->query), &out->value,
                       out->detail, sizeof(out->detail));
    if (r == ANALYSIS_READ_ERROR) {
        out->outcome = ANALYSIS_ERROR;
        return;
    }
    if (r == ANALYSIS_READ_NO_DATA) {
        out->outcome = analysis_no_data(m, out, "the new color");
        return;
    }
    out->has_value = true;
    out->outcome = analysis_range(m, out);
    if (out->outcome == ANALYSIS_PASS && m->has_baseline)
        out->outcome = analysis_baseline(rd, vars, out);
}

/* analysis_measure - one measurement: open the provider, measure, close */
void analysis_measure(const struct analysis_metric *m, const struct analysis_vars *vars,
                      struct analysis_measurement *out)
{
    struct analysis_reader rd = {m, NULL};

    memset(out, 0, sizeof(*out));
    if (m->source->open && (rd.session = m->source->open(m, out->detail,
                                                         sizeof(out->detail))) == NULL) {
        out->outcome = ANALYSIS_ERROR;
        m->source->describe(m, m->query, vars, out->query, sizeof(out->query));
        return;
    }
    analysis_measure_with(&rd, vars, out);
    if (m->source->close)
        m->source->close(rd.session);
}

/* analysis_trailing - how many outcomes at the end of the list are in set */
static int analysis_trailing(const enum analysis_outcome *outcomes, int n, unsigned set)
{
    int run = 0;

    while (run < n && (set & (1u << outcomes[n - 1 - run])) != 0)
        run++;
    return run;
}

/* analysis_metric_verdict - the verdict over the outcomes so far */
enum analysis_verdict analysis_metric_verdict(const struct analysis_metric *m,
                                              const enum analysis_outcome *outcomes, int n,
                                              int planned)
{
    const unsigned inconclusive = 1u << ANALYSIS_NO_DATA | 1u << ANALYSIS_LOW_TRAFFIC;

    if (analysis_trailing(outcomes, n, 1u << ANALYSIS_FAIL) > m->failure_limit)
        return ANALYSIS_FAILED;
    if (analysis_trailing(outcomes, n, inconclusive) > m->failure_limit ||
        analysis_trailing(outcomes, n, 1u << ANALYSIS_ERROR) > m->error_limit)
        return ANALYSIS_INCONCLUSIVE;
    if (n < planned)
        return ANALYSIS_RUNNING;
    if (outcomes[n - 1] == ANALYSIS_PASS)
        return ANALYSIS_PASSED;
    return outcomes[n - 1] == ANALYSIS_FAIL ? ANALYSIS_FAILED : ANALYSIS_INCONCLUSIVE;
}
