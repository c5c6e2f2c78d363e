/*
 * test_aws_cloudwatch - CloudWatch GetMetricData for the analysis gates:
 *	the form body of a request (one metric; an expression over two)
 *	held against botocore's encoding of the same request, the answers
 *	judged (values, none, PartialData, an error status, no result, not
 *	a number, not XML), and the ALB dimensions read from an
 *	environment's aws section.
 *
 * DESCRIPTION
 *	The expected bodies were made by botocore's Query serializer
 *	(botocore.serialize.create_serializer("query")) from the same
 *	parameters, and percent-encoded as botocore sends them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "provider/aws/aws_cloudwatch.h"

#define LB "app/shop-alb/50dc6c495c0c9188"
#define TG "targetgroup/shop-green/73e2d6bc24d8a067"
#define T0 1796373600LL /* 2026-12-04T08:40:00Z */

#define MEMBER(n) "&MetricDataQueries.member." #n "."
#define STAT(n, name, stat, ret)                                                          \
    MEMBER(n) "MetricStat.Metric.Namespace=AWS%2FApplicationELB"                          \
    MEMBER(n) "MetricStat.Metric.MetricName=" name                                        \
    MEMBER(n) "MetricStat.Metric.Dimensions.member.1.Name=LoadBalancer"                   \
    MEMBER(n) "MetricStat.Metric.Dimensions.member.1.Value=app%2Fshop-alb%2F50dc6c495c0c9188" \
    MEMBER(n) "MetricStat.Metric.Dimensions.member.2.Name=TargetGroup"                    \
    MEMBER(n) "MetricStat.Metric.Dimensions.member.2.Value="                              \
              "targetgroup%2Fshop-green%2F73e2d6bc24d8a067"                               \
    MEMBER(n) "MetricStat.Period=60" MEMBER(n) "MetricStat.Stat=" stat                    \
    MEMBER(n) "ReturnData=" ret
#define WINDOW "&StartTime=2026-12-04T08%3A40%3A00Z&EndTime=2026-12-04T08%3A45%3A00Z" \
               "&ScanBy=TimestampDescending"

/* botocore's body for the one-metric request of test_body_one */
static const char body_one[] = "Action=GetMetricData&Version=2010-08-01"
    MEMBER(1) "Id=result" STAT(1, "HTTPCode_Target_5XX_Count", "Sum", "true") WINDOW;

/* botocore's body for the expression request of test_body_expression */
static const char body_expression[] = "Action=GetMetricData&Version=2010-08-01"
    MEMBER(1) "Id=errors" STAT(1, "HTTPCode_Target_5XX_Count", "Sum", "false")
    MEMBER(2) "Id=requests" STAT(2, "RequestCount", "p99.5", "false")
    MEMBER(3) "Id=result" MEMBER(3) "Expression=100%20%2A%20errors%20%2F%20requests"
    MEMBER(3) "ReturnData=true" WINDOW;

/* alb_metric - an AWS/ApplicationELB metric of the green target group */
static struct aws_cloudwatch_metric alb_metric(const char *id, const char *name, const char *stat)
{
    return (struct aws_cloudwatch_metric){
        .id = id, .namespace_name = "AWS/ApplicationELB", .metric_name = name, .stat = stat,
        .dimension_count = 2, .dimensions = {{"LoadBalancer", LB}, {"TargetGroup", TG}}};
}

/* body_is - the form body of q is want */
static void body_is(const struct aws_cloudwatch_query *q, const char *want)
{
    struct buf b;

    buf_init(&b, 1 << 16);
    assert_int_equal(aws_cloudwatch_body(q, &b), 0);
    assert_string_equal(b.data, want);
    buf_free(&b);
}

/* test_body_one - one metric is the query "result"; times in ISO 8601; encoded like botocore */
static void test_body_one(void **unused)
{
    struct aws_cloudwatch_query q = {.period = 60, .start = T0, .end = T0 + 300,
                                     .metric_count = 1};

    (void)unused;
    q.metrics[0] = alb_metric(NULL, "HTTPCode_Target_5XX_Count", "Sum");
    body_is(&q, body_one);
}

/* test_body_expression - metrics keep their ids, return no data; the expression is "result" */
static void test_body_expression(void **unused)
{
    struct aws_cloudwatch_query q = {.expression = "100 * errors / requests", .period = 60,
                                     .start = T0, .end = T0 + 300, .metric_count = 2};
    struct buf b;

    (void)unused;
    q.metrics[0] = alb_metric("errors", "HTTPCode_Target_5XX_Count", "Sum");
    q.metrics[1] = alb_metric("requests", "RequestCount", "p99.5");
    body_is(&q, body_expression);
    q.metric_count = 0;
    buf_init(&b, 1 << 16);
    assert_int_equal(aws_cloudwatch_body(&q, &b), -1);
    buf_free(&b);
}

#define ANSWER(results)                                                                 \
    "<GetMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">" \
    "<GetMetricDataResult><MetricDataResults>" results "</MetricDataResults>"           \
    "<Messages/></GetMetricDataResult>"                                                 \
    "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"                   \
    "</GetMetricDataResponse>"
#define RESULT(id, status, values, extra)                                               \
    "<member><Id>" id "</Id><Label>x</Label><StatusCode>" status "</StatusCode>"         \
    "<Timestamps>" values "</Timestamps><Values>" values "</Values>" extra "</member>"

/* judge - aws_cloudwatch_parse of body; the value through *v, the detail in detail */
static enum aws_cloudwatch_result judge(const char *body, double *v, char detail[256])
{
    detail[0] = '\0';
    return aws_cloudwatch_parse(body, strlen(body), v, detail, 256);
}

/* test_answers - the latest value, none, PartialData, error statuses, malformed answers */
static void test_answers(void **unused)
{
    char detail[256];
    double v = 0;

    (void)unused;
    assert_int_equal(judge(ANSWER(RESULT("m1", "Complete", "<member>99</member>", "")
                                  RESULT("result", "Complete",
                                         "<member>12.5</member><member>3</member>", "")),
                           &v, detail), AWS_CLOUDWATCH_VALUE);
    assert_true(v == 12.5);
    assert_int_equal(judge(ANSWER(RESULT("result", "Complete", "", "")), &v, detail),
                     AWS_CLOUDWATCH_NO_DATA);
    assert_non_null(strstr(detail, "no datapoint"));
    assert_int_equal(judge(ANSWER(RESULT("result", "PartialData", "<member>1.0E-4</member>",
                                         "")), &v, detail), AWS_CLOUDWATCH_VALUE);
    assert_true(v == 1.0e-4);
    assert_int_equal(judge(ANSWER(RESULT("result", "PartialData", "", "")), &v, detail),
                     AWS_CLOUDWATCH_NO_DATA);
    assert_int_equal(judge(ANSWER(RESULT("result", "InternalError", "<member>1</member>",
                                         "<Messages><member><Code>MaxQueryTimeRangeExceed</Code>"
                                         "<Value>too long</Value></member></Messages>")),
                           &v, detail), AWS_CLOUDWATCH_ERROR);
    assert_string_equal(detail,
                        "GetMetricData: status InternalError: MaxQueryTimeRangeExceed too long");
    assert_int_equal(judge(ANSWER(RESULT("result", "Forbidden", "", "")), &v, detail),
                     AWS_CLOUDWATCH_ERROR);
    assert_int_equal(judge(ANSWER(RESULT("m1", "Complete", "<member>1</member>", "")), &v, detail),
                     AWS_CLOUDWATCH_ERROR);
    assert_non_null(strstr(detail, "no result"));
    assert_int_equal(judge(ANSWER(RESULT("result", "Complete", "<member>12abc</member>", "")), &v,
                           detail), AWS_CLOUDWATCH_ERROR);
    assert_int_equal(judge("{\"MetricDataResults\": []}", &v, detail), AWS_CLOUDWATCH_ERROR);
}

/* dimension - aws_cloudwatch_dimension of env (JSON text); 0 or -1, the value in out */
static int dimension(const char *env, const char *name, const char *color, char out[256])
{
    char err[256];
    cJSON *doc = cJSON_Parse(env);
    int rc = aws_cloudwatch_dimension(doc, name, color, out, 256, err, sizeof(err));

    cJSON_Delete(doc);
    return rc;
}

/* test_dimensions - the target group's and the ALB's ARN suffixes; what has none */
static void test_dimensions(void **unused)
{
    static const char env[] =
        "{\"aws\": {\"listener_arn\": \"arn:aws:elasticloadbalancing:us-east-1:123456789012:"
        "listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2\", \"target_groups\": {"
        "\"blue\": \"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-blue/"
        "0123456789abcdef\", \"green\": \"arn:aws:elasticloadbalancing:us-east-1:123456789012:"
        "targetgroup/shop-green/73e2d6bc24d8a067\"}}}";
    char out[256];

    (void)unused;
    assert_int_equal(dimension(env, "TargetGroup", "green", out), 0);
    assert_string_equal(out, TG);
    assert_int_equal(dimension(env, "TargetGroup", "blue", out), 0);
    assert_string_equal(out, "targetgroup/shop-blue/0123456789abcdef");
    assert_int_equal(dimension(env, "LoadBalancer", "green", out), 0);
    assert_string_equal(out, LB);
    assert_int_equal(dimension(env, "TargetGroup", "purple", out), -1);
    assert_int_equal(dimension(env, "InstanceId", "green", out), -1);
    assert_int_equal(dimension("{\"name\": \"local\"}", "LoadBalancer", "green", out), -1);
    assert_int_equal(dimension("{\"aws\": {\"listener_arn\": \"arn:aws:x:y:z:listener/net/a\"}}",
                               "LoadBalancer", "green", out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_one),
        cmocka_unit_test(test_body_expression),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_dimensions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
