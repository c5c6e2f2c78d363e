/*
 * test_web_alarms - the alarm receivers' pure parts (common/web/): reading
 *	Alertmanager's webhook and EventBridge's CloudWatch alarm state
 *	change into alarms, what each refuses, which environments an alarm
 *	concerns (the environment label, match rules on labels, alarmName
 *	and dimensions), the derived event id, and the alarm-fired data
 *	they make, held against schemas/alarm-fired.json.
 *
 * DESCRIPTION
 *	The payloads are the fixtures of tests/data/alarms, changed in
 *	place with cJSON for each case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/share.h"
#include "io/schema.h"
#include "web/web_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_MAX (64 * 1024)

/* fixture - a payload of tests/data/alarms */
static cJSON *fixture(const char *name)
{
    char rel[128], path[PATH_MAX], err[256];
    cJSON *doc;

    snprintf(rel, sizeof(rel), "tests/data/alarms/%s", name);
    assert_int_equal(share_path(rel, path, sizeof(path)), 0);
    doc = json_file_read(path, FILE_MAX, err, sizeof(err));
    if (doc == NULL)
        fail_msg("%s: %s", rel, err);
    return doc;
}

/* set_string - replace (or add) obj's member name with a string */
static void set_string(cJSON *obj, const char *name, const char *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
    cJSON_AddStringToObject(obj, name, value);
}

/* first_alert - the first alert of an Alertmanager payload */
static cJSON *first_alert(cJSON *doc)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "alerts"), 0);
}

/* eb_state - the state object of an EventBridge event */
static cJSON *eb_state(cJSON *doc)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "detail"),
                                            "state");
}

/* refused - parse must fail with a message containing expected */
static void refused(web_alarm_parse_fn parse, const cJSON *doc, const char *expected)
{
    struct web_alarm_batch batch = {0};
    char err[512] = "";

    assert_int_equal(parse(doc, &batch, err, sizeof(err)), -1);
    if (strstr(err, expected) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", expected, err);
    web_alarm_batch_free(&batch);
}

/* parsed - parse must succeed */
static void parsed(web_alarm_parse_fn parse, const cJSON *doc, struct web_alarm_batch *batch)
{
    char err[512] = "";

    memset(batch, 0, sizeof(*batch));
    if (parse(doc, batch, err, sizeof(err)) != 0)
        fail_msg("refused: %s", err);
}

/* test_alertmanager_firing - one alarm per alert, defaults where labels are missing */
static void test_alertmanager_firing(void **state)
{
    cJSON *doc = fixture("alertmanager-firing.json");
    struct web_alarm_batch b;

    (void)state;
    parsed(web_alertmanager_parse, doc, &b);
    assert_int_equal(b.count, 2);
    assert_string_equal(b.alarms[0].name, "CheckoutErrors");
    assert_string_equal(b.alarms[0].state, "ALARM");
    assert_string_equal(b.alarms[0].severity, "page");
    assert_string_equal(b.alarms[0].reason, "checkout answers 5xx");
    assert_string_equal(b.alarms[0].source, "cutover");
    assert_string_equal(b.alarms[0].environment, "ENVIRONMENT");
    assert_string_equal(b.alarms[0].key, "c1d2e3f4a5b6c7d8/2026-12-04T08:00:00.000Z/firing");
    assert_string_equal(b.alarms[1].severity, WEB_SEVERITY_DEFAULT);
    assert_string_equal(b.alarms[1].reason, "disk 95 % full");
    assert_null(b.alarms[1].environment);
    web_alarm_batch_free(&b);
    cJSON_Delete(doc);
}

/* test_alertmanager_resolved - resolved is OK, and another key than firing's */
static void test_alertmanager_resolved(void **state)
{
    cJSON *doc = fixture("alertmanager-firing.json");
    struct web_alarm_batch b;

    (void)state;
    set_string(first_alert(doc), "status", "resolved");
    parsed(web_alertmanager_parse, doc, &b);
    assert_string_equal(b.alarms[0].state, "OK");
    assert_string_equal(b.alarms[0].key, "c1d2e3f4a5b6c7d8/2026-12-04T08:00:00.000Z/resolved");
    web_alarm_batch_free(&b);
    cJSON_Delete(doc);
}

/* test_alertmanager_refused - wrong version, missing members, bad status, long names */
static void test_alertmanager_refused(void **state)
{
    cJSON *doc = fixture("alertmanager-firing.json"), *alert = first_alert(doc);
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(alert, "labels");
    char long_name[300];

    (void)state;
    refused(web_alertmanager_parse, cJSON_GetObjectItemCaseSensitive(doc, "status"),
            "not a JSON object");
    set_string(doc, "version", "3");
    refused(web_alertmanager_parse, doc, "version \"3\" is not Alertmanager's webhook version 4");
    set_string(doc, "version", "4");
    set_string(alert, "status", "pending");
    refused(web_alertmanager_parse, doc, "alert 0: status is neither firing nor resolved");
    set_string(alert, "status", "firing");
    cJSON_DeleteItemFromObjectCaseSensitive(alert, "fingerprint");
    refused(web_alertmanager_parse, doc, "alert 0: status, labels, fingerprint and startsAt wanted");
    set_string(alert, "fingerprint", "f");
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    set_string(labels, "alertname", long_name);
    refused(web_alertmanager_parse, doc, "an alarm name longer than 256 characters (alert 0)");
    cJSON_DeleteItemFromObjectCaseSensitive(labels, "alertname");
    refused(web_alertmanager_parse, doc, "an alarm without a name (alert 0)");
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "alerts");
    refused(web_alertmanager_parse, doc, "receiver and alerts wanted");
    cJSON_Delete(doc);
}

/* test_eventbridge_alarm - alarmName, state, reason with the previous state, dimensions */
static void test_eventbridge_alarm(void **state)
{
    cJSON *doc = fixture("eventbridge-alarm.json");
    struct web_alarm_batch b;

    (void)state;
    parsed(web_eventbridge_parse, doc, &b);
    assert_int_equal(b.count, 1);
    assert_int_equal(b.ignored, 0);
    assert_string_equal(b.alarms[0].key, "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92");
    assert_string_equal(b.alarms[0].name, "shop-green-5xx");
    assert_string_equal(b.alarms[0].state, "ALARM");
    assert_string_equal(b.alarms[0].severity, WEB_SEVERITY_DEFAULT);
    assert_string_equal(b.alarms[0].source, "aws.cloudwatch");
    assert_string_equal(b.alarms[0].reason, "Threshold Crossed: 1 datapoint [12.0] was greater"
                                            " than the threshold (5.0). (was OK)");
    assert_null(b.alarms[0].environment);
    assert_string_equal(web_json_string(b.alarms[0].fields, "dimension:TargetGroup"),
                        "targetgroup/shop-green/0123456789abcdef");
    assert_string_equal(web_json_string(b.alarms[0].fields, "alarmName"), "shop-green-5xx");
    web_alarm_batch_free(&b);
    cJSON_Delete(doc);
}

/* test_eventbridge_states - OK publishes, INSUFFICIENT_DATA is ignored, others refused */
static void test_eventbridge_states(void **state)
{
    cJSON *doc = fixture("eventbridge-alarm.json");
    struct web_alarm_batch b;

    (void)state;
    set_string(eb_state(doc), "value", "OK");
    parsed(web_eventbridge_parse, doc, &b);
    assert_string_equal(b.alarms[0].state, "OK");
    web_alarm_batch_free(&b);
    set_string(eb_state(doc), "value", "INSUFFICIENT_DATA");
    parsed(web_eventbridge_parse, doc, &b);
    assert_int_equal(b.count, 0);
    assert_int_equal(b.ignored, 1);
    web_alarm_batch_free(&b);
    set_string(eb_state(doc), "value", "MAYBE");
    refused(web_eventbridge_parse, doc, "detail.state.value ALARM, OK or INSUFFICIENT_DATA wanted");
    set_string(eb_state(doc), "value", "ALARM");
    set_string(doc, "source", "aws.ec2");
    refused(web_eventbridge_parse, doc, "source \"aws.cloudwatch\" wanted");
    set_string(doc, "source", "aws.cloudwatch");
    set_string(doc, "detail-type", "EC2 Instance State-change Notification");
    refused(web_eventbridge_parse, doc, "detail-type \"CloudWatch Alarm State Change\" wanted");
    set_string(doc, "detail-type", "CloudWatch Alarm State Change");
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "id");
    refused(web_eventbridge_parse, doc, "an id of 1 to 511 bytes wanted");
    cJSON_Delete(doc);
}

/* rules - an environment's alarms member from JSON text */
static cJSON *rules(const char *text)
{
    cJSON *r = cJSON_Parse(text);

    assert_non_null(r);
    return r;
}

/* matches - web_alarm_matches of a in environment with rules given as text */
static int matches(const struct web_alarm *a, const char *environment, const char *text)
{
    cJSON *r = rules(text);
    int m = web_alarm_matches(a, environment, r);

    cJSON_Delete(r);
    return m;
}

/* test_match_alertmanager - the environment label, or every label of a rule */
static void test_match_alertmanager(void **state)
{
    cJSON *doc = fixture("alertmanager-firing.json");
    struct web_alarm_batch b;

    (void)state;
    parsed(web_alertmanager_parse, doc, &b);
    assert_true(matches(&b.alarms[0], "ENVIRONMENT", "[]"));
    assert_false(matches(&b.alarms[0], "shop", "[]"));
    assert_true(matches(&b.alarms[0], "shop", "[{\"match\": {\"alertname\": \"CheckoutErrors\"}}]"));
    assert_true(matches(&b.alarms[0], "shop",
                        "[{\"match\": {\"alertname\": \"Nope\"}},"
                        " {\"match\": {\"alertname\": \"CheckoutErrors\", \"service\": \"shop\"}}]"));
    assert_false(matches(&b.alarms[0], "shop",
                         "[{\"match\": {\"alertname\": \"CheckoutErrors\", \"service\": \"blog\"}}]"));
    assert_false(matches(&b.alarms[0], "shop", "[{\"match\": {\"alertname\": \"checkouterrors\"}}]"));
    assert_false(matches(&b.alarms[0], "shop", "[{\"match\": {}}]"));
    assert_false(matches(&b.alarms[1], "shop", "[{\"match\": {\"alertname\": \"CheckoutErrors\"}}]"));
    assert_true(matches(&b.alarms[1], "db", "[{\"match\": {\"instance\": \"db-1\"}}]"));
    web_alarm_batch_free(&b);
    cJSON_Delete(doc);
}

/* test_match_eventbridge - alarmName or a dimension of the alarm's metrics */
static void test_match_eventbridge(void **state)
{
    cJSON *doc = fixture("eventbridge-alarm.json");
    struct web_alarm_batch b;

    (void)state;
    parsed(web_eventbridge_parse, doc, &b);
    assert_true(matches(&b.alarms[0], "shop", "[{\"match\": {\"alarmName\": \"shop-green-5xx\"}}]"));
    assert_true(matches(&b.alarms[0], "shop",
                        "[{\"match\": {\"dimension:TargetGroup\":"
                        " \"targetgroup/shop-green/0123456789abcdef\"}}]"));
    assert_true(matches(&b.alarms[0], "shop",
                        "[{\"match\": {\"alarmName\": \"shop-green-5xx\","
                        " \"dimension:LoadBalancer\": \"app/shop/fedcba9876543210\"}}]"));
    assert_false(matches(&b.alarms[0], "shop",
                         "[{\"match\": {\"dimension:TargetGroup\": \"targetgroup/blog/1\"}}]"));
    assert_false(matches(&b.alarms[0], "shop", "[{\"match\": {\"TargetGroup\":"
                                               " \"targetgroup/shop-green/0123456789abcdef\"}}]"));
    assert_false(matches(&b.alarms[0], "shop", "[{\"match\": {\"alertname\": \"shop-green-5xx\"}}]"));
    web_alarm_batch_free(&b);
    cJSON_Delete(doc);
}

/* test_event_id - derived from (receiver, key, environment): stable, and distinct */
static void test_event_id(void **state)
{
    char a[37], b[37], c[37], d[37];

    (void)state;
    web_alarm_event_id("alertmanager", "f/2026-12-04T08:00:00Z/firing", "shop", a);
    web_alarm_event_id("alertmanager", "f/2026-12-04T08:00:00Z/firing", "shop", b);
    web_alarm_event_id("alertmanager", "f/2026-12-04T08:00:00Z/firing", "blog", c);
    web_alarm_event_id("eventbridge", "f/2026-12-04T08:00:00Z/firing", "shop", d);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    assert_int_equal(strlen(a), 36);
    assert_true(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
}

/* valid_data - web_alarm_data of a passes schemas/alarm-fired.json */
static void valid_data(const struct schema_registry *reg, const struct web_alarm *a)
{
    cJSON *data = web_alarm_data(a, "shop");
    struct event_error e;

    assert_non_null(data);
    if (schema_validate(reg, "alarm-fired", data, &e) != 0)
        fail_msg("alarm-fired: %s", e.message);
    cJSON_Delete(data);
}

/* long_reason - n copies of a two-byte character */
static char *long_reason(size_t n)
{
    char *text = malloc(2 * n + 1);

    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        memcpy(text + 2 * i, "\xc3\xa9", 2);
    text[2 * n] = '\0';
    return text;
}

/* test_data_schema - both receivers' data passes alarm-fired's schema, a
 * long reason cut at a character to its 4096 */
static void test_data_schema(void **state)
{
    char dir[PATH_MAX], err[512];
    struct schema_registry *reg;
    cJSON *am = fixture("alertmanager-firing.json"), *eb = fixture("eventbridge-alarm.json"), *data;
    struct web_alarm_batch b1, b2;
    char *reason = long_reason(5000);

    (void)state;
    assert_int_equal(share_path("schemas", dir, sizeof(dir)), 0);
    assert_non_null(reg = schema_registry_load(dir, err, sizeof(err)));
    parsed(web_alertmanager_parse, am, &b1);
    parsed(web_eventbridge_parse, eb, &b2);
    valid_data(reg, &b1.alarms[0]);
    valid_data(reg, &b1.alarms[1]);
    valid_data(reg, &b2.alarms[0]);
    b1.alarms[0].reason = reason;
    valid_data(reg, &b1.alarms[0]);
    data = web_alarm_data(&b1.alarms[0], "shop");
    assert_int_equal(strlen(web_json_string(data, "reason")), 2 * 4096);
    cJSON_Delete(data);
    free(reason);
    web_alarm_batch_free(&b1);
    web_alarm_batch_free(&b2);
    cJSON_Delete(am);
    cJSON_Delete(eb);
    schema_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alertmanager_firing),
        cmocka_unit_test(test_alertmanager_resolved),
        cmocka_unit_test(test_alertmanager_refused),
        cmocka_unit_test(test_eventbridge_alarm),
        cmocka_unit_test(test_eventbridge_states),
        cmocka_unit_test(test_match_alertmanager),
        cmocka_unit_test(test_match_eventbridge),
        cmocka_unit_test(test_event_id),
        cmocka_unit_test(test_data_schema),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
