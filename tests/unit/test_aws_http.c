/*
 * test_aws_http - signed AWS calls: endpoints, the Query and JSON helpers,
 *	error parsing and messages, retries (which, how many, within the
 *	timeout), the XML helper, a CloudWatch GetMetricData call.
 *
 * DESCRIPTION
 *	AWS endpoints cannot be reached here; a stand-in, the fake server of
 *	fake_http.h, answers a script of canned responses in order and
 *	appends every request it receives to a file that the test reads
 *	after the call returns. The end-to-end checks against moto's server
 *	belong to the AWS provider's integration tests.
 *	The XML helper runs on libxml2 loaded at its first parse (xml_lib.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "base/log.h"
#include "provider/aws/aws_cloudwatch.h"
#include "provider/aws/aws_http.h"
#include "provider/aws/aws_xml.h"

#include "fake_http.h"

/* One scripted answer; status 0 means: read the request, never answer. */
struct answer {
    int status;
    const char *body;
};

static char tmpdir[] = "/tmp/cutover-aws-http-XXXXXX";
static char log_path[600];

#define ERROR_XML                                                                         \
    "<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">" \
    "<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"            \
    "<RequestId>req-%s</RequestId></ErrorResponse>"

/* answer_cb - record one request, send the served-th answer of the script in arg */
static void answer_cb(int fd, int served, const void *arg)
{
    const struct answer *a = (const struct answer *)arg + served - 1;
    char req[16384];
    size_t len = fake_http_read_request(fd, req, sizeof(req));
    FILE *f = fopen(log_path, "a");

    if (f) {
        fwrite(req, 1, len, f);
        fputs("\n--end--\n", f);
        fclose(f);
    }
    if (a->status == 0)
        pause();
    fake_http_respond(fd, a->status, "x-amzn-RequestId: hdr-id\r\n", a->body);
}

/* server_start - the stand-in answering script[0..n) in order, with an empty log */
static struct fake_http server_start(const struct answer *script, size_t n)
{
    unlink(log_path);
    return fake_http_start((int)n, answer_cb, script);
}

/* server_log - what the stand-in received, a string the caller frees */
static char *server_log(void)
{
    FILE *f = fopen(log_path, "r");
    char *text = calloc(1, 65536);

    assert_non_null(f);
    assert_non_null(text);
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* setup - test credentials, endpoint at the stand-in, quick backoff */
static int setup(void **state)
{
    (void)state;
    setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-test", 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("CUTOVER_AWS_ENDPOINT_URL");
    unsetenv("CUTOVER_AWS_ENDPOINT_URL_ELBV2");
    unsetenv("CUTOVER_AWS_ENDPOINT_URL_CODEDEPLOY");
    unsetenv("CUTOVER_AWS_MAX_ATTEMPTS");
    unsetenv("CUTOVER_AWS_TIMEOUT_MS");
    return 0;
}

/* client_for - a client whose ELBv2 and CodeDeploy endpoints are the stand-in */
static struct aws_client *client_for(const struct fake_http *s)
{
    char url[64], err[256];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s->port);
    setenv("CUTOVER_AWS_ENDPOINT_URL", url, 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    struct aws_client *c = aws_client_create("eu-west-1", err, sizeof(err));
    assert_non_null(c);
    aws_client_set_backoff_base_ms(c, 2);
    return c;
}

/* test_endpoints - default hosts, the global CloudFront, overrides */
static void test_endpoints(void **state)
{
    char url[256], err[128];
    const char *name, *region;

    (void)state;
    assert_int_equal(config_load(err, sizeof(err)), 0);
    assert_int_equal(aws_endpoint_resolve(AWS_SERVICE_ELBV2, "eu-west-1", url, sizeof(url), &name, &region), 0);
    assert_string_equal(url, "https://elasticloadbalancing.eu-west-1.amazonaws.com");
    assert_string_equal(name, "elasticloadbalancing");
    assert_int_equal(aws_endpoint_resolve(AWS_SERVICE_AUTOSCALING, "cn-north-1", url, sizeof(url), &name, &region), 0);
    assert_string_equal(url, "https://autoscaling.cn-north-1.amazonaws.com.cn");
    assert_int_equal(aws_endpoint_resolve(AWS_SERVICE_CLOUDFRONT, "eu-west-1", url, sizeof(url), &name, &region), 0);
    assert_string_equal(url, "https://cloudfront.amazonaws.com");
    assert_string_equal(region, "us-east-1");
    assert_int_equal(aws_endpoint_resolve(AWS_SERVICE_S3, "eu-west-1", url, sizeof(url), &name, &region), 0);
    assert_string_equal(url, "https://s3.eu-west-1.amazonaws.com");
    setenv("CUTOVER_AWS_ENDPOINT_URL", "http://moto:5000/", 1);
    setenv("CUTOVER_AWS_ENDPOINT_URL_CODEDEPLOY", "http://codedeploy-mock:1", 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    assert_int_equal(aws_endpoint_resolve(AWS_SERVICE_ELBV2, "eu-west-1", url, sizeof(url), &name, &region), 0);
    assert_string_equal(url, "http://moto:5000");
    assert_int_equal(aws_endpoint_resolve(AWS_SERVICE_CODEDEPLOY, "eu-west-1", url, sizeof(url), &name, &region), 0);
    assert_string_equal(url, "http://codedeploy-mock:1");
    assert_string_equal(name, "codedeploy");
}

/* test_query_call - form body, signed headers, Host with the port */
static void test_query_call(void **state)
{
    static const struct answer script[] = { { 200, "<DescribeListenersResponse/>" } };
    struct fake_http s = server_start(script, 1);
    struct aws_client *c = client_for(&s);
    struct aws_param p[] = { { "Names.member.1", "a b+c/é" } };
    struct aws_response r;
    char err[512], host[64];

    (void)state;
    assert_int_equal(aws_client_query(c, AWS_SERVICE_ELBV2, "DescribeListeners", "2015-12-01", p, 1,
                                      &r, err, sizeof(err)), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "<DescribeListenersResponse/>");
    char *log = server_log();
    snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%d\r\n", s.port);
    assert_non_null(strstr(log, "POST / HTTP/1.1\r\n"));
    assert_non_null(strstr(log, host));
    assert_non_null(strstr(log, "Credential=AKIDTEST/"));
    assert_non_null(strstr(log, "/eu-west-1/elasticloadbalancing/aws4_request, "
                                "SignedHeaders=content-type;host;x-amz-date, Signature="));
    assert_non_null(strstr(log, "\r\n\r\nAction=DescribeListeners&Version=2015-12-01&"
                                "Names.member.1=a%20b%2Bc%2F%C3%A9\n--end--"));
    assert_null(strstr(log, "secret-test"));
    free(log);
    aws_response_free(&r);
    aws_client_free(c);
    fake_http_stop(&s);
}

/* test_json_call - X-Amz-Target, content type, JSON errors are not retried */
static void test_json_call(void **state)
{
    static const struct answer script[] = {
        { 400, "{\"__type\":\"com.amazonaws.codedeploy#DeploymentGroupDoesNotExistException\","
               "\"message\":\"No group\"}" },
    };
    struct fake_http s = server_start(script, 1);
    struct aws_client *c = client_for(&s);
    struct aws_response r;
    char err[512];

    (void)state;
    assert_int_equal(aws_client_json(c, AWS_SERVICE_CODEDEPLOY, "CodeDeploy_20141006.GetDeployment",
                                     "{\"deploymentId\":\"d-1\"}", &r, err, sizeof(err)), -1);
    assert_string_equal(err, "DeploymentGroupDoesNotExistException: No group (request id hdr-id)");
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.error.http_status, 400);
    char *log = server_log();
    assert_non_null(strstr(log, "X-Amz-Target: CodeDeploy_20141006.GetDeployment\r\n"));
    assert_non_null(strstr(log, "Content-Type: application/x-amz-json-1.1\r\n"));
    assert_non_null(strstr(log, "SignedHeaders=content-type;host;x-amz-date;x-amz-target,"));
    free(log);
    aws_response_free(&r);
    aws_client_free(c);
    fake_http_stop(&s);
}

/* test_retry_then_success - 503 and throttling are retried */
static void test_retry_then_success(void **state)
{
    static const struct answer script[] = {
        { 503, "" },
        { 400, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}" },
        { 200, "{}" },
    };
    struct fake_http s = server_start(script, 3);
    struct aws_client *c = client_for(&s);
    struct aws_response r;
    char err[512];

    (void)state;
    assert_int_equal(aws_client_json(c, AWS_SERVICE_CODEDEPLOY, "X.Y", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(r.status, 200);
    aws_response_free(&r);
    aws_client_free(c);
    fake_http_stop(&s);
}

/* test_cloudwatch_call - GetMetricData signed for "monitoring", throttling retried, value read */
static void test_cloudwatch_call(void **state)
{
    static const struct answer script[] = {
        { 400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
               "<Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId>"
               "</ErrorResponse>" },
        { 200, "<GetMetricDataResponse><GetMetricDataResult><MetricDataResults><member>"
               "<Id>result</Id><StatusCode>Complete</StatusCode><Values><member>7.0</member>"
               "</Values></member></MetricDataResults></GetMetricDataResult>"
               "</GetMetricDataResponse>" },
        { 400, "<ErrorResponse><Error><Code>InvalidParameterValue</Code><Message>bad stat</Message>"
               "</Error><RequestId>r-3</RequestId></ErrorResponse>" },
    };
    struct aws_cloudwatch_query q = {
        .period = 60, .start = 1796373600, .end = 1796373660, .metric_count = 1,
        .metrics = {{ .namespace_name = "AWS/ApplicationELB", .metric_name = "RequestCount",
                      .stat = "Sum" }}};
    struct fake_http s = server_start(script, 3);
    struct aws_client *c = client_for(&s);
    char detail[256];
    double v = 0;

    (void)state;
    assert_int_equal(aws_cloudwatch_value(c, &q, &v, detail, sizeof(detail)), AWS_CLOUDWATCH_VALUE);
    assert_true(v == 7.0);
    assert_int_equal(aws_cloudwatch_value(c, &q, &v, detail, sizeof(detail)), AWS_CLOUDWATCH_ERROR);
    assert_string_equal(detail, "GetMetricData: InvalidParameterValue: bad stat (request id r-3)");
    char *log = server_log();
    assert_non_null(strstr(log, "/eu-west-1/monitoring/aws4_request, "));
    assert_non_null(strstr(log, "\r\n\r\nAction=GetMetricData&Version=2010-08-01&"
                                "MetricDataQueries.member.1.Id=result&"));
    free(log);
    aws_client_free(c);
    fake_http_stop(&s);
}

/* test_attempts_used_up - CUTOVER_AWS_MAX_ATTEMPTS bounds the tries */
static void test_attempts_used_up(void **state)
{
    static const struct answer script[] = { { 500, "" }, { 502, "" }, { 200, "{}" } };
    struct fake_http s = server_start(script, 3);
    struct aws_response r;
    char err[512];

    (void)state;
    setenv("CUTOVER_AWS_MAX_ATTEMPTS", "2", 1);
    struct aws_client *c = client_for(&s);
    assert_int_equal(aws_client_json(c, AWS_SERVICE_CODEDEPLOY, "X.Y", NULL, &r, err, sizeof(err)), -1);
    assert_int_equal(r.attempts, 2);
    assert_string_equal(err, "HTTP 502 (request id hdr-id)");
    aws_response_free(&r);
    aws_client_free(c);
    fake_http_stop(&s);
}

/* test_connection_refused - connection errors are retried, then reported */
static void test_connection_refused(void **state)
{
    static const struct answer script[] = { { 200, "" } };
    struct fake_http s = server_start(script, 1);
    struct aws_response r;
    char err[512];

    (void)state;
    fake_http_stop(&s); /* the port is now closed */
    struct aws_client *c = client_for(&s);
    assert_int_equal(aws_client_json(c, AWS_SERVICE_CODEDEPLOY, "X.Y", NULL, &r, err, sizeof(err)), -1);
    assert_int_equal(r.attempts, 3);
    assert_string_equal(r.error.code, "ConnectionError");
    aws_response_free(&r);
    aws_client_free(c);
}

/* test_timeout_bounds_call - a silent server: the call ends within its timeout */
static void test_timeout_bounds_call(void **state)
{
    static const struct answer script[] = { { 0, "" } };
    struct fake_http s = server_start(script, 1);
    struct aws_response r;
    struct timespec t0, t1;
    char err[512];

    (void)state;
    setenv("CUTOVER_AWS_TIMEOUT_MS", "300", 1);
    struct aws_client *c = client_for(&s);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(aws_client_json(c, AWS_SERVICE_CODEDEPLOY, "X.Y", NULL, &r, err, sizeof(err)), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 250 && ms < 1500);
    assert_string_equal(r.error.code, "Timeout");
    aws_response_free(&r);
    aws_client_free(c);
    fake_http_stop(&s);
}

/* test_error_parse - Query XML, JSON, the error-type header, nothing at all */
static void test_error_parse(void **state)
{
    struct aws_error e;
    char body[1024], line[1024];

    (void)state;
    aws_error_parse(503, "", 0, NULL, NULL, &e);
    assert_string_equal(e.code, "HTTP 503");
    assert_true(aws_error_retryable(&e));
    aws_error_parse(400, "{\"message\":\"bad\"}", 17, "rid", "ValidationException:http://x/", &e);
    aws_error_format(&e, line, sizeof(line));
    assert_string_equal(line, "ValidationException: bad (request id rid)");
    assert_false(aws_error_retryable(&e));
    snprintf(body, sizeof(body), ERROR_XML, "SignatureDoesNotMatch",
             "The request signature we calculated does not match", "42");
    aws_error_parse(403, body, strlen(body), "hdr-id", NULL, &e);
    aws_error_format(&e, line, sizeof(line));
    assert_string_equal(line, "SignatureDoesNotMatch: The request signature we calculated does "
                              "not match (request id req-42)");
    assert_false(aws_error_retryable(&e));
    snprintf(body, sizeof(body), ERROR_XML, "Throttling", "Rate exceeded", "1");
    aws_error_parse(400, body, strlen(body), NULL, NULL, &e);
    assert_true(aws_error_retryable(&e));
}

/* test_xml_helper - select members, read fields, namespaces ignored */
static void test_xml_helper(void **state)
{
    static const char doc[] =
        "<DescribeListenersResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">"
        "<DescribeListenersResult><Listeners>"
        "<member><ListenerArn>arn:1</ListenerArn><Port>80</Port>"
        "<DefaultActions><member><Type>forward</Type></member></DefaultActions></member>"
        "<member><ListenerArn>arn:2</ListenerArn><Port>443</Port></member>"
        "</Listeners></DescribeListenersResult></DescribeListenersResponse>";
    const struct aws_xml_node *m[4];
    char err[128], text[64];

    (void)state;
    struct aws_xml *x = aws_xml_parse(doc, strlen(doc), err, sizeof(err));
    assert_non_null(x);
    assert_int_equal(aws_xml_select(x, NULL, "//Listeners/member", m, 4), 2);
    assert_int_equal(aws_xml_text(x, m[1], "ListenerArn", text, sizeof(text)), 0);
    assert_string_equal(text, "arn:2");
    assert_int_equal(aws_xml_text(x, m[0], "DefaultActions/member/Type", text, sizeof(text)), 0);
    assert_string_equal(text, "forward");
    assert_int_equal(aws_xml_text(x, NULL, "DescribeListenersResponse/DescribeListenersResult/"
                                           "Listeners/member/Port", text, sizeof(text)), 0);
    assert_string_equal(text, "80");
    assert_int_equal(aws_xml_text(x, NULL, "//NoSuch", text, sizeof(text)), -1);
    assert_int_equal(aws_xml_select(x, NULL, "//bad'name", m, 4), -1);
    assert_int_equal(aws_xml_text(x, m[0], "ListenerArn", text, 3), -1);
    aws_xml_free(x);
    assert_null(aws_xml_parse("<a><b></a>", 10, err, sizeof(err)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_endpoints, setup),
        cmocka_unit_test_setup(test_query_call, setup),
        cmocka_unit_test_setup(test_json_call, setup),
        cmocka_unit_test_setup(test_retry_then_success, setup),
        cmocka_unit_test_setup(test_cloudwatch_call, setup),
        cmocka_unit_test_setup(test_attempts_used_up, setup),
        cmocka_unit_test_setup(test_connection_refused, setup),
        cmocka_unit_test_setup(test_timeout_bounds_call, setup),
        cmocka_unit_test_setup(test_error_parse, setup),
        cmocka_unit_test_setup(test_xml_helper, setup),
    };
    char cmd[700];
    int failed;

    if (!mkdtemp(tmpdir))
        return 1;
    snprintf(log_path, sizeof(log_path), "%s/requests", tmpdir);
    log_init("test_aws_http");
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    config_free();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        failed++;
    return failed;
}
