/*
 * test_scheduler_doc - an environment document's "scheduler" section read
 *                      (scheduler/scheduler_doc.h): defaults, each way a
 *                      bad one is refused, and where the command reaches
 *                      the live color on the local provider.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scheduler/scheduler_doc.h"

#include <stdio.h>
#include <string.h>

/* parse_text - the section of the document text: parse's result, doc and err filled */
static int parse_text(const char *json, struct scheduler_doc *doc, char *err, size_t err_len)
{
    cJSON *config = cJSON_Parse(json);
    int rc;

    assert_non_null(config);
    err[0] = '\0';
    rc = scheduler_doc_parse(config, doc, err, err_len);
    cJSON_Delete(config);
    return rc;
}

/* test_full - every member read */
static void test_full(void **state)
{
    struct scheduler_doc doc;
    char err[256];

    (void)state;
    assert_int_equal(parse_text("{\"scheduler\": {\"command\": \"curl -fsS \\\"$CUTOVER_LIVE_URL\\\"\","
                                " \"interval_seconds\": 30, \"timeout_seconds\": 120,"
                                " \"enabled\": true}}", &doc, err, sizeof(err)), 1);
    assert_string_equal(doc.command, "curl -fsS \"$CUTOVER_LIVE_URL\"");
    assert_int_equal(doc.interval_s, 30);
    assert_int_equal(doc.timeout_s, 120);
}

/* test_defaults - a command alone: interval 60 s, timeout 300 s */
static void test_defaults(void **state)
{
    struct scheduler_doc doc;
    char err[256];

    (void)state;
    assert_int_equal(parse_text("{\"scheduler\": {\"command\": \"true\"}}", &doc, err, sizeof(err)),
                     1);
    assert_int_equal(doc.interval_s, SCHEDULER_DEFAULT_INTERVAL_S);
    assert_int_equal(doc.timeout_s, SCHEDULER_DEFAULT_TIMEOUT_S);
}

/* test_none - no section, or one disabled: no scheduled work, no error */
static void test_none(void **state)
{
    struct scheduler_doc doc;
    char err[256];

    (void)state;
    assert_int_equal(parse_text("{\"name\": \"shop\"}", &doc, err, sizeof(err)), 0);
    assert_int_equal(parse_text("{\"scheduler\": {\"command\": \"true\", \"enabled\": false}}",
                                &doc, err, sizeof(err)), 0);
    assert_string_equal(err, "");
}

/* test_refused - each malformed section, with the member its error names */
static void test_refused(void **state)
{
    static const struct {
        const char *json;
        const char *names;
    } cases[] = {
        {"{\"scheduler\": \"curl\"}", "must be an object"},
        {"{\"scheduler\": {}}", "scheduler.command"},
        {"{\"scheduler\": {\"command\": \"\"}}", "scheduler.command"},
        {"{\"scheduler\": {\"command\": 7}}", "scheduler.command"},
        {"{\"scheduler\": {\"command\": \"true\", \"interval_seconds\": 0}}", "interval_seconds"},
        {"{\"scheduler\": {\"command\": \"true\", \"interval_seconds\": 1.5}}", "interval_seconds"},
        {"{\"scheduler\": {\"command\": \"true\", \"interval_seconds\": \"60\"}}", "interval_seconds"},
        {"{\"scheduler\": {\"command\": \"true\", \"timeout_seconds\": 86401}}", "timeout_seconds"},
        {"{\"scheduler\": {\"command\": \"true\", \"enabled\": \"yes\"}}", "scheduler.enabled"},
        {"{\"scheduler\": {\"command\": \"true\", \"every\": 5}}", "unknown member \"every\""},
    };
    struct scheduler_doc doc;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse_text(cases[i].json, &doc, err, sizeof(err)), -1);
        if (strstr(err, cases[i].names) == NULL)
            fail_msg("%s: error \"%s\" does not name \"%s\"", cases[i].json, err, cases[i].names);
    }
}

/* test_command_too_long - a command past SCHEDULER_COMMAND_MAX bytes is refused */
static void test_command_too_long(void **state)
{
    static char json[SCHEDULER_COMMAND_MAX + 64];
    struct scheduler_doc doc;
    char err[256];
    int n = snprintf(json, sizeof(json), "{\"scheduler\": {\"command\": \"");

    (void)state;
    memset(json + n, 'x', SCHEDULER_COMMAND_MAX + 1);
    strcpy(json + n + SCHEDULER_COMMAND_MAX + 1, "\"}}");
    assert_int_equal(parse_text(json, &doc, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "scheduler.command"));
}

/* target_of - scheduler_target_of over a document text */
static int target_of(const char *json, const char *color, struct scheduler_target *t)
{
    cJSON *config = cJSON_Parse(json);
    int rc;

    assert_non_null(config);
    rc = scheduler_target_of(config, color, t);
    cJSON_Delete(config);
    return rc;
}

/* test_target_local - blue's first slot at base_port, green's after blue's slots */
static void test_target_local(void **state)
{
    static const char local[] = "{\"provider\": \"local\", \"local\": {\"listen_port\": 8080,"
                                " \"base_port\": 9000, \"max_instances\": 4}}";
    struct scheduler_target t;

    (void)state;
    assert_int_equal(target_of(local, "blue", &t), 0);
    assert_int_equal(t.port, 9000);
    assert_string_equal(t.url, "http://127.0.0.1:9000");
    assert_int_equal(target_of(local, "green", &t), 0);
    assert_int_equal(t.port, 9004);
    assert_string_equal(t.url, "http://127.0.0.1:9004");
    assert_int_equal(target_of(local, "purple", &t), -1);
}

/* test_target_elsewhere - no local instance address on aws or without a local section */
static void test_target_elsewhere(void **state)
{
    struct scheduler_target t;

    (void)state;
    assert_int_equal(target_of("{\"provider\": \"aws\", \"aws\": {}}", "green", &t), 0);
    assert_int_equal(t.port, 0);
    assert_string_equal(t.url, "");
    assert_int_equal(target_of("{\"provider\": \"local\"}", "blue", &t), 0);
    assert_int_equal(t.port, 0);
}

/* test_target_out_of_range - a stored number past an int (found by
 * fuzz_environment) gives no address instead of an undefined conversion */
static void test_target_out_of_range(void **state)
{
    struct scheduler_target t;

    (void)state;
    assert_int_equal(target_of("{\"provider\": \"local\", \"local\": {\"base_port\": 9e10,"
                               " \"max_instances\": 4}}", "blue", &t), 0);
    assert_int_equal(t.port, 0);
    assert_int_equal(target_of("{\"provider\": \"local\", \"local\": {\"base_port\": 9000,"
                               " \"max_instances\": -1e300}}", "green", &t), 0);
    assert_int_equal(t.port, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_command_too_long),
        cmocka_unit_test(test_target_local),
        cmocka_unit_test(test_target_elsewhere),
        cmocka_unit_test(test_target_out_of_range),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
