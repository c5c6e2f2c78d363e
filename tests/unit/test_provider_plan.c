/*
 * test_provider_plan - the plan backend: found by name, records each call
 *	in order, answers reads from what it was last told, succeeds at once.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found_by_name),
        cmocka_unit_test(test_records_calls_in_order),
        cmocka_unit_test(test_reads_answer_what_was_told),
        cmocka_unit_test(test_polls_finish_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
