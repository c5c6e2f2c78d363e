/*
 * aws_cloudwatch - one number from CloudWatch GetMetricData (see
 *                  aws_cloudwatch.h).
 *
 * DESCRIPTION
 *	The parameters are built in botocore's order (Id, MetricStat,
 *	Expression, ReturnData per query; then StartTime, EndTime, ScanBy), so
 *	that the body of a query can be held against the SDK's for the same
 *	request. The call goes through the aws provider's signed client.
 */
#include "provider/aws/aws_cloudwatch.h"

#include "provider/aws/provider_aws_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLOUDWATCH_VERSION "2010-08-01"
#define CLOUDWATCH_RESULTS_MAX 16
#define CLOUDWATCH_MEMBER "MetricDataQueries.member.%zu."

/* aws_cloudwatch_time - seconds since the epoch as ISO 8601 UTC ("2026-12-04T08:40:00Z") */
void aws_cloudwatch_time(long long t, char out[AWS_CLOUDWATCH_TIME_LEN])
{
    time_t s = (time_t)t;
    struct tm tm;

    gmtime_r(&s, &tm);
    strftime(out, AWS_CLOUDWATCH_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* cloudwatch_metric_params - query n: one metric, aggregated by stat over period */
static void cloudwatch_metric_params(struct aws_query *p, size_t n,
                                     const struct aws_cloudwatch_metric *m, const char *id,
                                     const char *period, int return_data)
{
    aws_query_add(p, id, CLOUDWATCH_MEMBER "Id", n);
    aws_query_add(p, m->namespace_name, CLOUDWATCH_MEMBER "MetricStat.Metric.Namespace", n);
    aws_query_add(p, m->metric_name, CLOUDWATCH_MEMBER "MetricStat.Metric.MetricName", n);
    for (size_t d = 0; d < m->dimension_count; d++) {
        aws_query_add(p, m->dimensions[d].name,
                      CLOUDWATCH_MEMBER "MetricStat.Metric.Dimensions.member.%zu.Name", n, d + 1);
        aws_query_add(p, m->dimensions[d].value,
                      CLOUDWATCH_MEMBER "MetricStat.Metric.Dimensions.member.%zu.Value", n, d + 1);
    }
    aws_query_add(p, period, CLOUDWATCH_MEMBER "MetricStat.Period", n);
    aws_query_add(p, m->stat, CLOUDWATCH_MEMBER "MetricStat.Stat", n);
    aws_query_add(p, return_data ? "true" : "false", CLOUDWATCH_MEMBER "ReturnData", n);
}

/* cloudwatch_params - the request's parameters (Action and Version aside); -1 when too large */
static int cloudwatch_params(const struct aws_cloudwatch_query *q, struct aws_query *p)
{
    char period[16], start[AWS_CLOUDWATCH_TIME_LEN], end[AWS_CLOUDWATCH_TIME_LEN];
    size_t n = q->metric_count;

    aws_query_init(p);
    snprintf(period, sizeof(period), "%d", q->period);
    for (size_t i = 0; i < n && i < AWS_CLOUDWATCH_METRICS_MAX; i++)
        cloudwatch_metric_params(p, i + 1, &q->metrics[i],
                                 q->expression ? q->metrics[i].id : AWS_CLOUDWATCH_RESULT_ID,
                                 period, q->expression == NULL);
    if (q->expression) {
        aws_query_add(p, AWS_CLOUDWATCH_RESULT_ID, CLOUDWATCH_MEMBER "Id", n + 1);
        aws_query_add(p, q->expression, CLOUDWATCH_MEMBER "Expression", n + 1);
        aws_query_add(p, "true", CLOUDWATCH_MEMBER "ReturnData", n + 1);
    }
    aws_cloudwatch_time(q->start, start);
    aws_cloudwatch_time(q->end, end);
    aws_query_add(p, start, "StartTime");
    aws_query_add(p, end, "EndTime");
    aws_query_add(p, "TimestampDescending", "ScanBy");
    return p->overflow || n == 0 || n > AWS_CLOUDWATCH_METRICS_MAX ? -1 : 0;
}

/* aws_cloudwatch_body - the form body of q */
int aws_cloudwatch_body(const struct aws_cloudwatch_query *q, struct buf *out)
{
    struct aws_query *p = malloc(sizeof(*p));
    int rc = -1;

    if (p && cloudwatch_params(q, p) == 0)
        rc = aws_query_encode(out, "GetMetricData", CLOUDWATCH_VERSION, p->params, p->count);
    free(p);
    return rc;
}

/* cloudwatch_result - the answer's member with Id "result"; NULL when there is none */
static const struct aws_xml_node *cloudwatch_result(struct aws_xml *x)
{
    const struct aws_xml_node *members[CLOUDWATCH_RESULTS_MAX];
    int n = aws_xml_select(x, NULL, "//MetricDataResults/member", members, CLOUDWATCH_RESULTS_MAX);
    char id[64];

    for (int i = 0; i < n && i < CLOUDWATCH_RESULTS_MAX; i++)
        if (aws_xml_text(x, members[i], "Id", id, sizeof(id)) == 0 &&
            strcmp(id, AWS_CLOUDWATCH_RESULT_ID) == 0)
            return members[i];
    return NULL;
}

/* cloudwatch_status - an error unless the result's StatusCode is Complete or PartialData */
static enum aws_cloudwatch_result cloudwatch_status(struct aws_xml *x,
                                                    const struct aws_xml_node *result,
                                                    char *detail, size_t detail_len)
{
    char status[32] = "", code[64] = "", message[256] = "";

    aws_xml_text(x, result, "StatusCode", status, sizeof(status));
    if (strcmp(status, "Complete") == 0 || strcmp(status, "PartialData") == 0)
        return AWS_CLOUDWATCH_VALUE;
    aws_xml_text(x, NULL, "//Messages/member/Code", code, sizeof(code));
    aws_xml_text(x, NULL, "//Messages/member/Value", message, sizeof(message));
    snprintf(detail, detail_len, "GetMetricData: status %s%s%s%s%s", status[0] ? status : "missing",
             code[0] || message[0] ? ": " : "", code, code[0] && message[0] ? " " : "", message);
    return AWS_CLOUDWATCH_ERROR;
}

/* cloudwatch_latest - the first (latest) value of the result */
static enum aws_cloudwatch_result cloudwatch_latest(struct aws_xml *x,
                                                    const struct aws_xml_node *result,
                                                    double *value, char *detail, size_t detail_len)
{
    char text[64], *end;

    if (aws_xml_text(x, result, "Values/member", text, sizeof(text)) != 0) {
        snprintf(detail, detail_len, "GetMetricData: no datapoint in the window");
        return AWS_CLOUDWATCH_NO_DATA;
    }
    *value = strtod(text, &end);
    if (end == text || *end != '\0') {
        snprintf(detail, detail_len, "GetMetricData: the value \"%.40s\" is not a number", text);
        return AWS_CLOUDWATCH_ERROR;
    }
    return AWS_CLOUDWATCH_VALUE;
}

/* aws_cloudwatch_parse - the latest value of the result "result", judged */
enum aws_cloudwatch_result aws_cloudwatch_parse(const char *body, size_t len, double *value,
                                                char *detail, size_t detail_len)
{
    char err[128];
    struct aws_xml *x = aws_xml_parse(body, len, err, sizeof(err));
    const struct aws_xml_node *result = x ? cloudwatch_result(x) : NULL;
    enum aws_cloudwatch_result r = AWS_CLOUDWATCH_ERROR;

    if (x == NULL)
        snprintf(detail, detail_len, "GetMetricData: %s", err);
    else if (result == NULL)
        snprintf(detail, detail_len, "GetMetricData: the answer has no result \"%s\"",
                 AWS_CLOUDWATCH_RESULT_ID);
    else if ((r = cloudwatch_status(x, result, detail, detail_len)) == AWS_CLOUDWATCH_VALUE)
        r = cloudwatch_latest(x, result, value, detail, detail_len);
    aws_xml_free(x);
    return r;
}

/* aws_cloudwatch_value - one signed GetMetricData call (with the client's retries), judged */
enum aws_cloudwatch_result aws_cloudwatch_value(struct aws_client *c,
                                                const struct aws_cloudwatch_query *q,
                                                double *value, char *detail, size_t detail_len)
{
    struct aws_query *p = malloc(sizeof(*p));
    struct aws_response r = { 0 };
    char msg[768];
    enum aws_cloudwatch_result result = AWS_CLOUDWATCH_ERROR;

    if (p == NULL || cloudwatch_params(q, p) != 0)
        snprintf(detail, detail_len, "GetMetricData: request too large");
    else if (aws_client_query(c, AWS_SERVICE_CLOUDWATCH, "GetMetricData", CLOUDWATCH_VERSION,
                              p->params, p->count, &r, msg, sizeof(msg)) != 0)
        snprintf(detail, detail_len, "GetMetricData: %s", msg);
    else
        result = aws_cloudwatch_parse(r.body.data, r.body.len, value, detail, detail_len);
    aws_response_free(&r);
    free(p);
    return result;
}

/* aws_cloudwatch_client - a signed client for aws.region (else the usual sources) */
struct aws_client *aws_cloudwatch_client(const cJSON *env_config, char *err, size_t err_len)
{
    return aws_client_create(aws_cfg_region(env_config), err, err_len);
}

/* cloudwatch_resource - the resource part of an ARN (after its fifth ':'); NULL when malformed */
static const char *cloudwatch_resource(const char *arn)
{
    for (int colons = 0; colons < 5; colons++)
        if ((arn = strchr(arn, ':')) == NULL)
            return NULL;
        else
            arn++;
    return arn;
}

/* cloudwatch_suffix - the dimension value in an ARN's resource part: the target group's
 * "targetgroup/name/id" as it is, "app/name/id" of "listener/app/name/id/listener-id" */
static int cloudwatch_suffix(const char *resource, int load_balancer, char *out, size_t out_len)
{
    const char *last = resource ? strrchr(resource, '/') : NULL;
    int len = -1;

    if (resource && load_balancer && strncmp(resource, "listener/app/", 13) == 0 &&
        last > resource + 13)
        len = snprintf(out, out_len, "%.*s", (int)(last - resource - 9), resource + 9);
    else if (resource && !load_balancer && strncmp(resource, "targetgroup/", 12) == 0)
        len = snprintf(out, out_len, "%s", resource);
    return len < 0 || (size_t)len >= out_len ? -1 : 0;
}

/* aws_cloudwatch_dimension - "targetgroup/name/id" of a color, or "app/name/id" of the ALB */
int aws_cloudwatch_dimension(const cJSON *env_config, const char *dimension, const char *color,
                             char *out, size_t out_len, char *err, size_t err_len)
{
    const cJSON *aws = cJSON_GetObjectItemCaseSensitive(env_config, "aws");
    int load_balancer = strcmp(dimension, "LoadBalancer") == 0;
    char arn[AWS_ARN_MAX], path[64];

    if (!load_balancer && strcmp(dimension, "TargetGroup") != 0) {
        snprintf(err, err_len, "no dimension %.60s in the aws section", dimension);
        return -1;
    }
    if (load_balancer)
        snprintf(path, sizeof(path), "listener_arn");
    else
        snprintf(path, sizeof(path), "target_groups/%.40s", color);
    if (aws_cfg_str(aws, path, NULL, arn, sizeof(arn), err, err_len) != 0)
        return -1;
    if (cloudwatch_suffix(cloudwatch_resource(arn), load_balancer, out, out_len) != 0) {
        snprintf(err, err_len, "aws.%s: no %s dimension in %.200s", path, dimension, arn);
        return -1;
    }
    return 0;
}
