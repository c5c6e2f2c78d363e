/*
 * aws_cloudwatch - one number from CloudWatch GetMetricData, for the
 *                  analysis gates: a metric (or a math expression over a
 *                  few metrics) over a time window, its latest datapoint.
 *
 * SYNOPSIS
 *	struct aws_cloudwatch_query q = {
 *	    .period = 60, .start = end - 300, .end = end, .metric_count = 1,
 *	    .metrics = {{.namespace_name = "AWS/ApplicationELB",
 *	                 .metric_name = "HTTPCode_Target_5XX_Count", .stat = "Sum",
 *	                 .dimension_count = 1,
 *	                 .dimensions = {{"TargetGroup", "targetgroup/shop-green/73e2d6bc24d8a067"}}}}};
 *	struct aws_client *c = aws_cloudwatch_client(env_config, err, sizeof(err));
 *	double v;
 *	switch (aws_cloudwatch_value(c, &q, &v, detail, sizeof(detail))) {
 *	case AWS_CLOUDWATCH_VALUE:   ... v
 *	case AWS_CLOUDWATCH_NO_DATA: ... no datapoint in the window
 *	case AWS_CLOUDWATCH_ERROR:   ... detail says why
 *	}
 *	aws_client_free(c);
 *
 *	char tg[256];
 *	aws_cloudwatch_dimension(env_config, "TargetGroup", "green", tg, sizeof(tg), err, len);
 *
 * DESCRIPTION
 *	The request is the Query API's GetMetricData (version 2010-08-01,
 *	signed for "monitoring") with ScanBy=TimestampDescending. Without an
 *	expression, the one metric is the query "result" (ReturnData true);
 *	with one, the metrics keep their ids and ReturnData false, and the
 *	expression is the query "result". Each metric is aggregated by stat
 *	over period seconds.
 *
 *	The answer's result "result": its first value (the latest datapoint)
 *	is the value; no value is no data. StatusCode Complete or
 *	PartialData both give their first value: PartialData means more
 *	(older) datapoints wait behind a NextToken, and the latest is on the
 *	first page. StatusCode InternalError or Forbidden, a value that is
 *	not a number, an answer without a "result", and every failed call
 *	(after the client's retries on throttling and 5xx) are errors; the
 *	detail names the code and the messages.
 *
 *	aws_cloudwatch_dimension() reads the environment's "aws" object:
 *	"TargetGroup" is the color's target group ARN's resource part
 *	("targetgroup/name/id"), "LoadBalancer" the ALB's ("app/name/id", from
 *	aws.listener_arn); these are the values of the AWS/ApplicationELB
 *	dimensions.
 */
#ifndef CUTOVER_AWS_CLOUDWATCH_H
#define CUTOVER_AWS_CLOUDWATCH_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "base/buf.h"
#include "provider/aws/aws_http.h"

#define AWS_CLOUDWATCH_METRICS_MAX 5
#define AWS_CLOUDWATCH_DIMENSIONS_MAX 10
#define AWS_CLOUDWATCH_RESULT_ID "result"
#define AWS_CLOUDWATCH_TIME_LEN 32

/* One metric, aggregated by stat over the query's period. */
struct aws_cloudwatch_metric {
    const char *id; /* with an expression: its name there ("m1"); else unused */
    const char *namespace_name;
    const char *metric_name;
    const char *stat; /* "Sum", "Average", "p99"... */
    size_t dimension_count;
    struct aws_param dimensions[AWS_CLOUDWATCH_DIMENSIONS_MAX]; /* name, value */
};

struct aws_cloudwatch_query {
    const char *expression; /* NULL: the one metric's own datapoints */
    int period;             /* seconds */
    long long start, end;   /* the window, seconds since the epoch */
    size_t metric_count;
    struct aws_cloudwatch_metric metrics[AWS_CLOUDWATCH_METRICS_MAX];
};

enum aws_cloudwatch_result { AWS_CLOUDWATCH_VALUE, AWS_CLOUDWATCH_NO_DATA, AWS_CLOUDWATCH_ERROR };

/* aws_cloudwatch_client - a signed client for the environment's aws.region */
struct aws_client *aws_cloudwatch_client(const cJSON *env_config, char *err, size_t err_len);
/* aws_cloudwatch_dimension - a color's "TargetGroup" or the "LoadBalancer" value; 0 or -1 */
int aws_cloudwatch_dimension(const cJSON *env_config, const char *dimension, const char *color,
                             char *out, size_t out_len, char *err, size_t err_len);
/* aws_cloudwatch_body - the request's form body, as signed and sent; 0 or -1 */
int aws_cloudwatch_body(const struct aws_cloudwatch_query *q, struct buf *out);
/* aws_cloudwatch_time - seconds since the epoch as the API writes them: 2026-12-04T08:40:00Z */
void aws_cloudwatch_time(long long t, char out[AWS_CLOUDWATCH_TIME_LEN]);
/* aws_cloudwatch_parse - judge a GetMetricData answer */
enum aws_cloudwatch_result aws_cloudwatch_parse(const char *body, size_t len, double *value,
                                                char *detail, size_t detail_len);
/* aws_cloudwatch_value - one GetMetricData call, judged */
enum aws_cloudwatch_result aws_cloudwatch_value(struct aws_client *c,
                                                const struct aws_cloudwatch_query *q,
                                                double *value, char *detail, size_t detail_len);

#endif
