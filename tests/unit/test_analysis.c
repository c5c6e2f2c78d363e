/*
 * test_analysis - the analysis gates' pure parts: Prometheus's answers
 *                 judged, metric definitions parsed and refused (for
 *                 Prometheus and CloudWatch), the template variables
 *                 (the ALB's dimensions among them) and a CloudWatch
 *                 query as the history records it, the number of
 *                 measurements in a pause, and a metric's verdict over
 *                 its measurements (limits, no data, low traffic,
 *                 provider errors, the last measurement).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "io/prometheus.h"
#include "saga/analysis_metric.h"
#include "saga/analysis_source.h"

/* parse - prometheus_parse of body; the value through *v */
static enum prometheus_result parse(const char *body, double *v)
{
    char err[256];

    return prometheus_parse(body, v, err, sizeof(err));
}

/* test_prometheus_answers - scalar, one series, none, several, NaN, Inf, errors */
static void test_prometheus_answers(void **unused)
{
    double v = 0;

    (void)unused;
    assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
                           "\"result\":[1700000000.1,\"0.25\"]}}", &v), PROMETHEUS_VALUE);
    assert_true(v == 0.25);
    assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                           "\"result\":[{\"metric\":{},\"value\":[1,\"3\"]}]}}", &v),
                     PROMETHEUS_VALUE);
    assert_true(v == 3);
    assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                           "\"result\":[]}}", &v), PROMETHEUS_NO_DATA);
    assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                           "\"result\":[{\"value\":[1,\"NaN\"]}]}}", &v), PROMETHEUS_NO_DATA);
    assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                           "\"result\":[{\"value\":[1,\"+Inf\"]}]}}", &v), PROMETHEUS_VALUE);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                           "\"result\":[{\"value\":[1,\"1\"]},{\"value\":[1,\"2\"]}]}}", &v),
                     PROMETHEUS_ERROR);
    assert_int_equal(parse("{\"status\":\"error\",\"error\":\"parse error\"}", &v),
                     PROMETHEUS_ERROR);
    assert_int_equal(parse("<html>", &v), PROMETHEUS_ERROR);
    assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
                           "\"result\":[]}}", &v), PROMETHEUS_ERROR);
    assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
                           "\"result\":[1,\"12abc\"]}}", &v), PROMETHEUS_ERROR);
}

/* metric_of - parse one metric from JSON text; 0 or -1 */
static int metric_of(const char *json, struct analysis_metric *m, cJSON **keep)
{
    char err[256];

    *keep = cJSON_Parse(json);
    return analysis_metric_parse(*keep, NULL, m, err, sizeof(err));
}

/* test_metric_definitions - defaults, and the definitions refused */
static void test_metric_definitions(void **unused)
{
    static const char *const refused[] = {
        "{\"query\":\"up\"}",
        "{\"name\":\"x\"}",
        "{\"name\":\"x\",\"query\":\"up\",\"no_data\":\"ignore\"}",
        "{\"name\":\"x\",\"query\":\"up\",\"min\":2,\"max\":1}",
        "{\"name\":\"x\",\"query\":\"up\",\"baseline\":{}}",
        "{\"name\":\"x\",\"query\":\"up\",\"min_requests\":{\"min\":5}}",
        "{\"name\":\"x\",\"query\":\"up\",\"interval_seconds\":0}",
    };
    struct analysis_metric m;
    cJSON *doc;

    (void)unused;
    assert_int_equal(metric_of("{\"name\":\"err\",\"query\":\"up\",\"max\":0.1}", &m, &doc), 0);
    assert_int_equal(m.interval_seconds, 10);
    assert_int_equal(m.failure_limit, 0);
    assert_int_equal(m.error_limit, 3);
    assert_int_equal(m.no_data, ANALYSIS_NO_DATA_INCONCLUSIVE);
    assert_true(m.has_max && !m.has_min && !m.has_baseline && m.requests_query == NULL);
    assert_int_equal(analysis_planned(&m, 60), 6);
    assert_int_equal(analysis_planned(&m, 5), 1);
    cJSON_Delete(doc);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(metric_of(refused[i], &m, &doc), -1);
        cJSON_Delete(doc);
    }
}

/* A CloudWatch metric of the green target group, in the metric's form. */
#define CW_5XX                                                                            \
    "{\"namespace\":\"AWS/ApplicationELB\",\"metric_name\":\"HTTPCode_Target_5XX_Count\","   \
    "\"stat\":\"Sum\",\"dimensions\":{\"LoadBalancer\":\"{{load_balancer}}\","                \
    "\"TargetGroup\":\"{{target_group}}\"}"
#define CW_METRIC(form, extra) \
    "{\"name\":\"cw\",\"provider\":\"cloudwatch\",\"cloudwatch\":" form extra "}"

/* test_cloudwatch_definitions - the cloudwatch forms taken, and those refused */
static void test_cloudwatch_definitions(void **unused)
{
    static const char *const taken[] = {
        CW_METRIC(CW_5XX ",\"period\":60}", ""),
        CW_METRIC(CW_5XX ",\"period\":60,\"window_seconds\":300}",
                  ",\"min_requests\":{\"cloudwatch\":" CW_5XX ",\"period\":60},\"min\":10}"),
        CW_METRIC("{\"expression\":\"100*e/r\",\"period\":10,\"metrics\":[{\"id\":\"e\","
                  "\"namespace\":\"N\",\"metric_name\":\"E\",\"stat\":\"Sum\"},{\"id\":\"r\","
                  "\"namespace\":\"N\",\"metric_name\":\"R\",\"stat\":\"p99\"}]}", ""),
    };
    static const char *const refused[] = {
        "{\"name\":\"x\",\"provider\":\"graphite\",\"query\":\"up\"}",
        "{\"name\":\"x\",\"provider\":\"cloudwatch\",\"query\":\"up\"}",
        "{\"name\":\"x\",\"query\":\"up\",\"cloudwatch\":" CW_5XX ",\"period\":60}}",
        CW_METRIC(CW_5XX "}", ""),                              /* no period */
        CW_METRIC(CW_5XX ",\"period\":45}", ""),                /* not one of CloudWatch's */
        CW_METRIC(CW_5XX ",\"period\":60,\"window_seconds\":90}", ""),
        CW_METRIC("{\"namespace\":\"N\",\"stat\":\"Sum\",\"period\":60}", ""),
        CW_METRIC("{\"namespace\":\"N\",\"metric_name\":\"M\",\"stat\":\"Sum\",\"period\":60,"
                  "\"dimensions\":{\"A\":1}}", ""),
        CW_METRIC("{\"expression\":\"m1\",\"period\":60}", ""),
        CW_METRIC("{\"expression\":\"result\",\"period\":60,\"metrics\":[{\"id\":\"result\","
                  "\"namespace\":\"N\",\"metric_name\":\"E\",\"stat\":\"Sum\"}]}", ""),
        CW_METRIC(CW_5XX ",\"period\":60}", ",\"min_requests\":{\"query\":\"up\",\"min\":1}"),
        CW_METRIC("{\"namespace\":\"N\",\"metric_name\":\"M\",\"stat\":\"Sum\",\"period\":60,"
                  "\"dimensions\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\","
                  "\"f\":\"6\",\"g\":\"7\",\"h\":\"8\",\"i\":\"9\",\"j\":\"10\","
                  "\"k\":\"11\"}}", ""),
    };
    struct analysis_metric m;
    cJSON *doc;

    (void)unused;
    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
        assert_int_equal(metric_of(taken[i], &m, &doc), 0);
        assert_ptr_equal(m.source, &analysis_cloudwatch);
        cJSON_Delete(doc);
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(metric_of(refused[i], &m, &doc), -1);
        cJSON_Delete(doc);
    }
}

/* An environment on aws: the ALB's listener and the two colors' target groups. */
static const char aws_env[] =
    "{\"aws\": {\"listener_arn\": \"arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2\", \"target_groups\": {"
    "\"blue\": \"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-blue/"
    "0123456789abcdef\", \"green\": \"arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "targetgroup/shop-green/73e2d6bc24d8a067\"}}}";

/* test_template_variables - colors, version, the ALB dimensions of each color; unknown ones */
static void test_template_variables(void **unused)
{
    cJSON *env = cJSON_Parse(aws_env);
    struct analysis_metric m = {.name = "x", .env = env};
    struct analysis_vars green = {"green", "blue", "2.0", "shop"};
    struct analysis_vars blue = {"blue", "green", "2.0", "shop"};
    char out[512];

    (void)unused;
    assert_int_equal(analysis_render(&m, "{{color}}/{{old_color}} {{version}}@{{environment}}",
                                     &green, out, sizeof(out)), 0);
    assert_string_equal(out, "green/blue 2.0@shop");
    assert_int_equal(analysis_render(&m, "{{load_balancer}} {{target_group}}", &green, out,
                                     sizeof(out)), 0);
    assert_string_equal(out,
                        "app/shop-alb/50dc6c495c0c9188 targetgroup/shop-green/73e2d6bc24d8a067");
    assert_int_equal(analysis_render(&m, "{{target_group}} {{old_target_group}}", &blue, out,
                                     sizeof(out)), 0);
    assert_string_equal(out, "targetgroup/shop-blue/0123456789abcdef "
                             "targetgroup/shop-green/73e2d6bc24d8a067");
    assert_int_equal(analysis_render(&m, "{{colour}}", &green, out, sizeof(out)), -1);
    assert_int_equal(analysis_render(&m, "{{color", &green, out, sizeof(out)), -1);
    m.env = NULL;
    assert_int_equal(analysis_render(&m, "{{target_group}}", &green, out, sizeof(out)), -1);
    assert_non_null(strstr(out, "target_groups"));
    cJSON_Delete(env);
}

/* test_cloudwatch_as_sent - the GetMetricData request as the history records it (dimensions
 * sorted by name) */
static void test_cloudwatch_as_sent(void **unused)
{
    cJSON *env = cJSON_Parse(aws_env), *doc;
    struct analysis_metric m;
    struct analysis_vars green = {"green", "blue", "2.0", "shop"};
    char out[ANALYSIS_QUERY_MAX], err[256];

    (void)unused;
    doc = cJSON_Parse(CW_METRIC("{\"namespace\":\"AWS/ApplicationELB\",\"metric_name\":"
                                "\"HTTPCode_Target_5XX_Count\",\"stat\":\"Sum\",\"dimensions\":{"
                                "\"TargetGroup\":\"{{target_group}}\",\"LoadBalancer\":"
                                "\"{{load_balancer}}\"},\"period\":60,\"window_seconds\":300}",
                                ""));
    assert_int_equal(analysis_metric_parse(doc, env, &m, err, sizeof(err)), 0);
    assert_int_equal(m.source->describe(&m, m.query, &green, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "GetMetricData AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum "
                                "{LoadBalancer=app/shop-alb/50dc6c495c0c9188, "
                                "TargetGroup=targetgroup/shop-green/73e2d6bc24d8a067}, "
                                "period 60 s, "
                                "latest in 20"));
    cJSON_Delete(doc);
    cJSON_Delete(env);
}

/* verdict - the verdict of outcomes (a string of p f n l e) for a metric with the limits */
static enum analysis_verdict verdict(const char *outcomes, int failure_limit, int planned)
{
    struct analysis_metric m = {.failure_limit = failure_limit, .error_limit = 1};
    enum analysis_outcome list[32];
    int n = (int)strlen(outcomes);

    for (int i = 0; i < n; i++)
        list[i] = outcomes[i] == 'p'   ? ANALYSIS_PASS
                  : outcomes[i] == 'f' ? ANALYSIS_FAIL
                  : outcomes[i] == 'n' ? ANALYSIS_NO_DATA
                  : outcomes[i] == 'l' ? ANALYSIS_LOW_TRAFFIC
                                       : ANALYSIS_ERROR;
    return analysis_metric_verdict(&m, list, n, planned);
}

/* test_metric_verdicts - consecutive limits, and the last measurement decides */
static void test_metric_verdicts(void **unused)
{
    (void)unused;
    assert_int_equal(verdict("", 0, 3), ANALYSIS_RUNNING);
    assert_int_equal(verdict("pp", 0, 3), ANALYSIS_RUNNING);
    assert_int_equal(verdict("ppp", 0, 3), ANALYSIS_PASSED);
    assert_int_equal(verdict("pf", 0, 3), ANALYSIS_FAILED);
    assert_int_equal(verdict("pf", 1, 3), ANALYSIS_RUNNING);
    assert_int_equal(verdict("fpf", 1, 4), ANALYSIS_RUNNING); /* consecutive, not in total */
    assert_int_equal(verdict("pff", 1, 4), ANALYSIS_FAILED);
    assert_int_equal(verdict("ppf", 1, 3), ANALYSIS_FAILED);  /* the last one failed */
    assert_int_equal(verdict("n", 0, 3), ANALYSIS_INCONCLUSIVE);
    assert_int_equal(verdict("l", 0, 3), ANALYSIS_INCONCLUSIVE);
    assert_int_equal(verdict("pl", 1, 2), ANALYSIS_INCONCLUSIVE); /* no traffic never passes */
    assert_int_equal(verdict("e", 0, 3), ANALYSIS_RUNNING);      /* one error tolerated */
    assert_int_equal(verdict("ee", 0, 3), ANALYSIS_INCONCLUSIVE);
    assert_int_equal(verdict("pep", 0, 3), ANALYSIS_PASSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prometheus_answers),
        cmocka_unit_test(test_metric_definitions),
        cmocka_unit_test(test_cloudwatch_definitions),
        cmocka_unit_test(test_template_variables),
        cmocka_unit_test(test_cloudwatch_as_sent),
        cmocka_unit_test(test_metric_verdicts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
