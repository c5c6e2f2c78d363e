/*
 * analysis_prometheus - the "prometheus" metric provider of the analysis
 *                       gates: a PromQL instant query against the
 *                       environment's analysis.prometheus_url (see
 *                       analysis_source.h, io/prometheus.h).
 */
#include "saga/analysis_source.h"

#include "io/prometheus.h"

#include <stdio.h>

/* prometheus_check - a PromQL query is a non-empty string */
static int prometheus_check(const cJSON *query, char *err, size_t err_len)
{
    if (cJSON_IsString(query) && query->valuestring[0] != '\0')
        return 0;
    snprintf(err, err_len, "a prometheus query is a non-empty string");
    return -1;
}

/* prometheus_describe - the query with its variables filled in */
static int prometheus_describe(const struct analysis_metric *m, const cJSON *query,
                               const struct analysis_vars *vars, char *out, size_t out_len)
{
    return analysis_render(m, query->valuestring, vars, out, out_len);
}

/* prometheus_read - render and run one instant query */
static enum analysis_read prometheus_read(void *session, const struct analysis_metric *m,
                                          const cJSON *query, const struct analysis_vars *vars,
                                          char *sent, size_t sent_len, double *value,
                                          char *detail, size_t detail_len)
{
    static const enum analysis_read read_of[] = {[PROMETHEUS_VALUE] = ANALYSIS_READ_VALUE,
                                                 [PROMETHEUS_NO_DATA] = ANALYSIS_READ_NO_DATA,
                                                 [PROMETHEUS_ERROR] = ANALYSIS_READ_ERROR};

    (void)session;
    if (m->prometheus_url == NULL) {
        snprintf(detail, detail_len, "the environment names no analysis.prometheus_url");
        return ANALYSIS_READ_ERROR;
    }
    if (prometheus_describe(m, query, vars, sent, sent_len) != 0) {
        snprintf(detail, detail_len, "%s", sent);
        return ANALYSIS_READ_ERROR;
    }
    return read_of[prometheus_query(m->prometheus_url, sent, value, detail, detail_len)];
}

const struct analysis_source analysis_prometheus = {
    .name = "prometheus",
    .member = "query",
    .check = prometheus_check,
    .describe = prometheus_describe,
    .read = prometheus_read,
};
