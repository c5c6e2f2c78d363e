/*
 * test_provider_plan - the plan backend: found by name, records each call
 *	in order, answers reads from what it was last told, succeeds at once;
 *	on a document with an "aws" object each call names its AWS calls and
 *	the document's resources, and a cache flush without aws.cloudfront is
 *	nothing to flush.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/plan/provider_plan.h"

#include <string.h>

/* open_plan - a plan state for environment "rehearsal" at capacity 3 */
static void *open_plan(void)
{
    cJSON *config = cJSON_Parse("{\"name\":\"rehearsal\",\"provider\":\"plan\",\"capacity\":3}");
    char err[256];
    void *p = NULL;
    assert_int_equal(provider_plan_ops.open("rehearsal", config, &p, err, sizeof(err)), 0);
    cJSON_Delete(config);
    return p;
}

/* test_found_by_name - provider_find knows "plan" */
static void test_found_by_name(void **state)
{
    (void)state;
    const struct provider_ops *ops = provider_find("plan");
    assert_non_null(ops);
    assert_string_equal(ops->name, "plan");
}

/* test_records_calls_in_order - each mutation is one recorded line */
static void test_records_calls_in_order(void **state)
{
    (void)state;
    void *p = open_plan();
    char err[256], handle[128], url[256];
    struct provider_release rel = {"d-1", "1.2.3", "file:///tmp/a.tar.gz", NULL};
    struct provider_weights w = {90, 10};
    assert_int_equal(provider_plan_ops.scale(p, COLOR_GREEN, 4, err, sizeof(err)), 0);
    assert_int_equal(provider_plan_ops.deploy_start(p, COLOR_GREEN, &rel, handle,
                                                    sizeof(handle), err, sizeof(err)), 0);
    assert_int_equal(provider_plan_ops.preview_open(p, COLOR_GREEN, "d-1", url, sizeof(url),
                                                    err, sizeof(err)), 0);
    assert_int_equal(provider_plan_ops.set_weights(p, &w, err, sizeof(err)), 0);
    assert_int_equal(provider_plan_ops.preview_close(p, "d-1", err, sizeof(err)), 0);
    assert_int_equal(provider_plan_count(p), 5);
    assert_string_equal(provider_plan_call(p, 0), "scale green 4");
    assert_non_null(strstr(provider_plan_call(p, 1), "deploy_start green version=1.2.3"));
    assert_string_equal(provider_plan_call(p, 2), "preview_open green deployment=d-1");
    assert_string_equal(provider_plan_call(p, 3), "set_weights blue=90 green=10");
    assert_string_equal(provider_plan_call(p, 4), "preview_close deployment=d-1");
    assert_null(provider_plan_call(p, 5));
    provider_plan_ops.close(p);
}

/* test_reads_answer_what_was_told - weights and health follow the calls */
static void test_reads_answer_what_was_told(void **state)
{
    (void)state;
    void *p = open_plan();
    char err[256];
    struct provider_weights w;
    struct provider_health h;
    assert_int_equal(provider_plan_ops.get_weights(p, &w, err, sizeof(err)), 0);
    assert_int_equal(w.blue, 100);
    assert_int_equal(w.green, 0);
    assert_int_equal(provider_plan_ops.health(p, COLOR_BLUE, &h, err, sizeof(err)), 0);
    assert_int_equal(h.healthy, 3);
    struct provider_weights told = {25, 75};
    provider_plan_ops.set_weights(p, &told, err, sizeof(err));
    provider_plan_ops.scale(p, COLOR_GREEN, 5, err, sizeof(err));
    assert_int_equal(provider_plan_ops.get_weights(p, &w, err, sizeof(err)), 0);
    assert_int_equal(w.green, 75);
    assert_int_equal(provider_plan_ops.health(p, COLOR_GREEN, &h, err, sizeof(err)), 0);
    assert_int_equal(h.desired, 5);
    assert_int_equal(h.healthy, 5);
    provider_plan_ops.close(p);
}

/* test_polls_finish_at_once - deployments and cache flushes are done */
static void test_polls_finish_at_once(void **state)
{
    (void)state;
    void *p = open_plan();
    char err[256], handle[128], detail[128];
    enum provider_deploy_status status = DEPLOY_FAILED;
    int done = 0;
    assert_int_equal(provider_plan_ops.deploy_poll(p, "h", &status, detail, sizeof(detail)), 0);
    assert_int_equal(status, DEPLOY_SUCCEEDED);
    assert_int_equal(provider_plan_ops.cache_flush_start(p, "ref-1", handle, sizeof(handle),
                                                         err, sizeof(err)), 0);
    assert_string_equal(handle, "ref-1");
    assert_int_equal(provider_plan_ops.cache_flush_poll(p, handle, &done, err, sizeof(err)), 0);
    assert_int_equal(done, 1);
    provider_plan_ops.close(p);
}

/* AWS_DOC - an aws document: groups, listener, target groups, CodeDeploy, CloudFront */
#define AWS_DOC(cloudfront)                                                                   \
    "{\"name\":\"shop\",\"provider\":\"plan\",\"capacity\":2,"                               \
    "\"preview\":{\"header\":\"X-Preview\"},\"aws\":{\"listener_arn\":\"L\","                \
    "\"target_groups\":{\"blue\":\"TB\",\"green\":\"TG\"},"                                  \
    "\"auto_scaling_groups\":{\"blue\":\"shop-blue\",\"green\":\"shop-green\"},"             \
    "\"codedeploy\":{\"application\":\"shop\",\"deployment_groups\":{\"blue\":\"dg-b\","      \
    "\"green\":\"dg-g\"}},\"capacity\":{\"max\":6}" cloudfront "}}"

/* open_aws_plan - a plan state for the document text doc */
static void *open_aws_plan(const char *doc)
{
    cJSON *config = cJSON_Parse(doc);
    char err[256];
    void *p = NULL;
    assert_non_null(config);
    assert_int_equal(provider_plan_ops.open("shop", config, &p, err, sizeof(err)), 0);
    cJSON_Delete(config);
    return p;
}

/* test_aws_calls_named - each call's AWS call names the document's resources */
static void test_aws_calls_named(void **state)
{
    (void)state;
    void *p = open_aws_plan(AWS_DOC(",\"cloudfront\":{\"distribution_id\":\"E1\","
                                    "\"paths\":[\"/a/*\",\"/\"]}"));
    char err[256], handle[128], url[256];
    struct provider_release rel = {"d-1", "2.0", "s3://b/shop-2.0.zip", NULL};
    struct provider_weights w = {90, 10};
    provider_plan_ops.scale(p, COLOR_GREEN, 2, err, sizeof(err));
    provider_plan_ops.deploy_start(p, COLOR_GREEN, &rel, handle, sizeof(handle), err,
                                   sizeof(err));
    provider_plan_ops.preview_open(p, COLOR_GREEN, "d-1", url, sizeof(url), err, sizeof(err));
    provider_plan_ops.set_weights(p, &w, err, sizeof(err));
    provider_plan_ops.cache_flush_start(p, "ref-1", handle, sizeof(handle), err, sizeof(err));
    assert_string_equal(provider_plan_call(p, 0), "scale green 2");
    assert_string_equal(provider_plan_aws_call(p, 0),
                        "autoscaling:UpdateAutoScalingGroup shop-green MinSize=2"
                        " DesiredCapacity=2 MaxSize=6");
    assert_string_equal(provider_plan_aws_call(p, 1),
                        "codedeploy:CreateDeployment application=shop deploymentGroupName=dg-g"
                        " revision=s3://b/shop-2.0.zip");
    assert_string_equal(provider_plan_aws_call(p, 2),
                        "elasticloadbalancing:CreateRule L Priority=10 if X-Preview: green"
                        " forward TG tag cutover-preview=d-1");
    assert_string_equal(provider_plan_aws_call(p, 3),
                        "elasticloadbalancing:ModifyListener L forward TB=90 TG=10");
    assert_string_equal(handle, "ref-1");
    assert_string_equal(provider_plan_aws_call(p, 4),
                        "cloudfront:CreateInvalidation E1 Paths=/a/*,/ CallerReference=ref-1");
    provider_plan_ops.close(p);
}

/* test_aws_without_cdn - an aws document without cloudfront has nothing to flush */
static void test_aws_without_cdn(void **state)
{
    (void)state;
    void *p = open_aws_plan(AWS_DOC(""));
    char err[256], handle[128] = "x";
    assert_int_equal(provider_plan_ops.cache_flush_start(p, "ref-1", handle, sizeof(handle),
                                                         err, sizeof(err)), 0);
    assert_string_equal(handle, "");
    assert_null(provider_plan_aws_call(p, 0));
    provider_plan_ops.close(p);
}

/* test_no_aws_names_nothing - without an "aws" object no call names an AWS call */
static void test_no_aws_names_nothing(void **state)
{
    (void)state;
    void *p = open_plan();
    char err[256];
    provider_plan_ops.scale(p, COLOR_GREEN, 2, err, sizeof(err));
    provider_plan_note(p, "migrate expand a: sql a.sql");
    assert_null(provider_plan_aws_call(p, 0));
    assert_string_equal(provider_plan_call(p, 1), "migrate expand a: sql a.sql");
    provider_plan_ops.close(p);
}

/* test_command_on_instances - every instance of the color succeeds; on aws, SendCommand */
static void test_command_on_instances(void **state)
{
    (void)state;
    void *p = open_aws_plan(AWS_DOC(""));
    char err[256], handle[128];
    struct provider_command_report rep;
    int done = 0;
    assert_int_equal(provider_plan_ops.command_start(p, COLOR_GREEN, "reload", 60, "ref-2",
                                                     handle, sizeof(handle), err,
                                                     sizeof(err)), 0);
    assert_int_equal(provider_plan_ops.command_poll(p, handle, &rep, &done, err, sizeof(err)),
                     0);
    assert_int_equal(done, 1);
    assert_int_equal(rep.count, 2);
    assert_int_equal(rep.instances[1].state, COMMAND_SUCCEEDED);
    assert_string_equal(provider_plan_call(p, 0), "command_start green timeout=60s: reload");
    assert_non_null(strstr(provider_plan_aws_call(p, 0), "DescribeAutoScalingGroups shop-green"));
    assert_non_null(strstr(provider_plan_aws_call(p, 0),
                           "ssm:SendCommand DocumentName=AWS-RunShellScript"));
    provider_plan_ops.close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found_by_name),
        cmocka_unit_test(test_records_calls_in_order),
        cmocka_unit_test(test_reads_answer_what_was_told),
        cmocka_unit_test(test_polls_finish_at_once),
        cmocka_unit_test(test_aws_calls_named),
        cmocka_unit_test(test_aws_without_cdn),
        cmocka_unit_test(test_no_aws_names_nothing),
        cmocka_unit_test(test_command_on_instances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
