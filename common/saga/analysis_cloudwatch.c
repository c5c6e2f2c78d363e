/*
 * analysis_cloudwatch - the "cloudwatch" metric provider of the analysis
 *                       gates: a metric's "cloudwatch" form as a
 *                       GetMetricData request through the aws provider's
 *                       signed client (see analysis_source.h,
 *                       provider/aws/aws_cloudwatch.h).
 *
 * DESCRIPTION
 *	The form is one metric
 *	    {"namespace", "metric_name", "stat", "dimensions": {NAME: VALUE},
 *	     "period", "window_seconds"}
 *	or a math expression over up to five metrics that carry ids
 *	    {"expression": "100 * errors / requests",
 *	     "metrics": [{"id": "errors", "namespace", ...}, ...],
 *	     "period", "window_seconds"}.
 *	Dimension values are templates (analysis_render); dimensions go out
 *	sorted by name. The period is one
 *	of CloudWatch's: 1, 5, 10, 30 or a multiple of 60 seconds. The window
 *	(window_seconds, a multiple of the period, default one period) ends
 *	at the last period boundary, so that the datapoints read are of whole
 *	periods; the value is the window's latest datapoint, none is no data.
 *	A window of a few periods tolerates metrics that arrive late (the
 *	ALB's do by a minute or more).
 */
#include "saga/analysis_source.h"

#include "base/buf.h"
#include "provider/aws/aws_cloudwatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLOUDWATCH_VALUE_MAX 256
#define CLOUDWATCH_WINDOW_MAX (24 * 3600)

/* A GetMetricData request with its dimension values rendered. */
struct cloudwatch_request {
    struct aws_cloudwatch_query q;
    char values[AWS_CLOUDWATCH_METRICS_MAX][AWS_CLOUDWATCH_DIMENSIONS_MAX][CLOUDWATCH_VALUE_MAX];
};

/* Where template values come from; no metric: the form is only checked. */
struct cloudwatch_fill {
    const struct analysis_metric *m;
    const struct analysis_vars *vars;
};

/* cloudwatch_str - a string member; NULL when absent or empty */
static const char *cloudwatch_str(const cJSON *obj, const char *name)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));

    return s && *s ? s : NULL;
}

/* cloudwatch_int - an integer member, fallback when absent, -1 when not an integer */
static int cloudwatch_int(const cJSON *obj, const char *name, int fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (v == NULL)
        return fallback;
    return cJSON_IsNumber(v) && v->valuedouble == (double)v->valueint ? v->valueint : -1;
}

/* cloudwatch_id_ok - an id CloudWatch takes, other than the result's own */
static int cloudwatch_id_ok(const char *id)
{
    static const char tail[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

    return id && id[0] >= 'a' && id[0] <= 'z' && strspn(id, tail) == strlen(id) &&
           strlen(id) <= 64 && strcmp(id, AWS_CLOUDWATCH_RESULT_ID) != 0;
}

/* cloudwatch_dimension_cmp - dimensions by name, for qsort */
static int cloudwatch_dimension_cmp(const void *a, const void *b)
{
    return strcmp(((const struct aws_param *)a)->name, ((const struct aws_param *)b)->name);
}

/* cloudwatch_dimensions - a metric's dimensions sorted by name, their values rendered when fill
 * has a metric. Sorted: the request must not depend on the document's key order, which
 * PostgreSQL's jsonb does not keep (and moto matches dimensions in order) */
static int cloudwatch_dimensions(const cJSON *dims, const struct cloudwatch_fill *fill,
                                 struct aws_cloudwatch_metric *out,
                                 char values[][CLOUDWATCH_VALUE_MAX], char *err, size_t err_len)
{
    const cJSON *d;

    if (dims != NULL && !cJSON_IsObject(dims))
        goto bad;
    cJSON_ArrayForEach(d, dims) {
        struct aws_param *p = &out->dimensions[out->dimension_count];

        if (!cJSON_IsString(d) || out->dimension_count == AWS_CLOUDWATCH_DIMENSIONS_MAX)
            goto bad;
        p->name = d->string;
        p->value = d->valuestring;
        if (fill->m && analysis_render(fill->m, d->valuestring, fill->vars,
                                       values[out->dimension_count], CLOUDWATCH_VALUE_MAX) != 0) {
            snprintf(err, err_len, "dimension %s: %s", d->string, values[out->dimension_count]);
            return -1;
        }
        if (fill->m)
            p->value = values[out->dimension_count];
        out->dimension_count++;
    }
    qsort(out->dimensions, out->dimension_count, sizeof(out->dimensions[0]),
          cloudwatch_dimension_cmp);
    return 0;
bad:
    snprintf(err, err_len, "cloudwatch dimensions: an object of at most %d strings",
             AWS_CLOUDWATCH_DIMENSIONS_MAX);
    return -1;
}

/* cloudwatch_metric - one metric of the form; with_id: it needs an id for the expression */
static int cloudwatch_metric(const cJSON *obj, int with_id, const struct cloudwatch_fill *fill,
                             struct aws_cloudwatch_metric *out,
                             char values[][CLOUDWATCH_VALUE_MAX], char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    out->id = cloudwatch_str(obj, "id");
    out->namespace_name = cloudwatch_str(obj, "namespace");
    out->metric_name = cloudwatch_str(obj, "metric_name");
    out->stat = cloudwatch_str(obj, "stat");
    if (!out->namespace_name || !out->metric_name || !out->stat ||
        (with_id && !cloudwatch_id_ok(out->id))) {
        snprintf(err, err_len, "a cloudwatch metric needs a namespace, a metric_name, a stat%s",
                 with_id ? " and an id (a-z, then letters, digits or _; not \"result\")" : "");
        return -1;
    }
    return cloudwatch_dimensions(cJSON_GetObjectItemCaseSensitive(obj, "dimensions"), fill, out,
                                 values, err, err_len);
}

/* cloudwatch_window - period and window checked; the window ends at the last period boundary */
static int cloudwatch_window(const cJSON *form, struct aws_cloudwatch_query *q, char *err,
                             size_t err_len)
{
    int period = cloudwatch_int(form, "period", -1);
    int window = cloudwatch_int(form, "window_seconds", period);
    int period_ok = period == 1 || period == 5 || period == 10 || period == 30 ||
                    (period > 0 && period % 60 == 0);

    if (!period_ok || window < period || window % period != 0 || window > CLOUDWATCH_WINDOW_MAX) {
        snprintf(err, err_len, "a cloudwatch query needs a period of 1, 5, 10, 30 or n * 60 "
                               "seconds, and a window_seconds that is a multiple of it");
        return -1;
    }
    q->period = period;
    q->end = (long long)time(NULL) / period * period;
    q->start = q->end - window;
    return 0;
}

/* cloudwatch_form - the request of a form, its values rendered when fill has a metric */
static int cloudwatch_form(const cJSON *form, const struct cloudwatch_fill *fill,
                           struct cloudwatch_request *r, char *err, size_t err_len)
{
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(form, "metrics"), *item;
    struct aws_cloudwatch_query *q = &r->q;

    memset(q, 0, sizeof(*q));
    if (!cJSON_IsObject(form) || cloudwatch_window(form, q, err, err_len) != 0)
        return -1;
    if ((q->expression = cloudwatch_str(form, "expression")) == NULL) {
        q->metric_count = 1;
        return cloudwatch_metric(form, 0, fill, &q->metrics[0], r->values[0], err, err_len);
    }
    if (!cJSON_IsArray(metrics) || cJSON_GetArraySize(metrics) < 1 ||
        cJSON_GetArraySize(metrics) > AWS_CLOUDWATCH_METRICS_MAX) {
        snprintf(err, err_len, "a cloudwatch expression needs 1 to %d metrics",
                 AWS_CLOUDWATCH_METRICS_MAX);
        return -1;
    }
    cJSON_ArrayForEach(item, metrics) {
        if (cloudwatch_metric(item, 1, fill, &q->metrics[q->metric_count],
                              r->values[q->metric_count], err, err_len) != 0)
            return -1;
        q->metric_count++;
    }
    return 0;
}

/* cloudwatch_metric_text - "Namespace MetricName Stat {Name=Value, ...}" */
static int cloudwatch_metric_text(struct buf *b, const struct aws_cloudwatch_metric *m)
{
    int rc = buf_printf(b, "%s %s %s {", m->namespace_name, m->metric_name, m->stat);

    for (size_t d = 0; d < m->dimension_count; d++)
        rc |= buf_printf(b, "%s%s=%s", d ? ", " : "", m->dimensions[d].name,
                         m->dimensions[d].value);
    return rc | buf_putc(b, '}');
}

/* cloudwatch_text - the request as the history records it */
static void cloudwatch_text(const struct aws_cloudwatch_query *q, char *out, size_t out_len)
{
    char start[AWS_CLOUDWATCH_TIME_LEN], end[AWS_CLOUDWATCH_TIME_LEN];
    struct buf b;
    int rc;

    buf_init(&b, out_len - 1);
    rc = buf_puts(&b, "GetMetricData ");
    if (q->expression)
        rc |= buf_printf(&b, "%s where ", q->expression);
    for (size_t i = 0; i < q->metric_count; i++) {
        if (q->expression)
            rc |= buf_printf(&b, "%s%s = ", i ? "; " : "", q->metrics[i].id);
        rc |= cloudwatch_metric_text(&b, &q->metrics[i]);
    }
    aws_cloudwatch_time(q->start, start);
    aws_cloudwatch_time(q->end, end);
    rc |= buf_printf(&b, ", period %d s, latest in %s..%s", q->period, start, end);
    snprintf(out, out_len, "%s%s", b.data ? b.data : "", rc ? "..." : "");
    buf_free(&b);
}

/* cloudwatch_prepare - the request with the deployment's values, and its text in out */
static int cloudwatch_prepare(const struct analysis_metric *m, const cJSON *query,
                              const struct analysis_vars *vars, struct cloudwatch_request *r,
                              char *out, size_t out_len)
{
    struct cloudwatch_fill fill = {m, vars};

    if (cloudwatch_form(query, &fill, r, out, out_len) != 0)
        return -1;
    cloudwatch_text(&r->q, out, out_len);
    return 0;
}

/* cloudwatch_check - whether query is a form this provider reads */
static int cloudwatch_check(const cJSON *query, char *err, size_t err_len)
{
    struct cloudwatch_fill none = {NULL, NULL};
    struct cloudwatch_request r;

    return cloudwatch_form(query, &none, &r, err, err_len);
}

/* cloudwatch_open - the signed client a measurement's reads share */
static void *cloudwatch_open(const struct analysis_metric *m, char *err, size_t err_len)
{
    return aws_cloudwatch_client(m->env, err, err_len);
}

/* cloudwatch_close - free the client */
static void cloudwatch_close(void *session)
{
    aws_client_free(session);
}

/* cloudwatch_describe - the request as it would be sent */
static int cloudwatch_describe(const struct analysis_metric *m, const cJSON *query,
                               const struct analysis_vars *vars, char *out, size_t out_len)
{
    struct cloudwatch_request r;

    return cloudwatch_prepare(m, query, vars, &r, out, out_len);
}

/* cloudwatch_read - one GetMetricData call */
static enum analysis_read cloudwatch_read(void *session, const struct analysis_metric *m,
                                          const cJSON *query, const struct analysis_vars *vars,
                                          char *sent, size_t sent_len, double *value,
                                          char *detail, size_t detail_len)
{
    static const enum analysis_read read_of[] = {[AWS_CLOUDWATCH_VALUE] = ANALYSIS_READ_VALUE,
                                                 [AWS_CLOUDWATCH_NO_DATA] = ANALYSIS_READ_NO_DATA,
                                                 [AWS_CLOUDWATCH_ERROR] = ANALYSIS_READ_ERROR};
    struct cloudwatch_request r;

    if (cloudwatch_prepare(m, query, vars, &r, sent, sent_len) != 0) {
        snprintf(detail, detail_len, "%s", sent);
        return ANALYSIS_READ_ERROR;
    }
    return read_of[aws_cloudwatch_value(session, &r.q, value, detail, detail_len)];
}

const struct analysis_source analysis_cloudwatch = {
    .name = "cloudwatch",
    .member = "cloudwatch",
    .check = cloudwatch_check,
    .open = cloudwatch_open,
    .close = cloudwatch_close,
    .describe = cloudwatch_describe,
    .read = cloudwatch_read,
};
