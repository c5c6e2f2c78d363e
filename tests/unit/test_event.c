/*
 * test_event - CloudEvents decoding and encoding (common/io/event.c).
 *
 * DESCRIPTION
 *	Both content modes, every required attribute missing in turn, wrong
 *	types, bad times, non-UTF-8 input, oversized values, unknown types
 *	and topics, the encode/decode round trip and dead letters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/event.h"

#define MAX_BYTES (1024 * 1024)

static const char *const attr_names[] = {"specversion", "id", "source", "type", "subject", "time"};
static const char *const ce_headers[] = {"ce_specversion", "ce_id",      "ce_source",
                                         "ce_type",        "ce_subject", "ce_time"};

/* structured_event - a valid build-ready event as a cJSON object */
static cJSON *structured_event(void)
{
    cJSON *ev = cJSON_CreateObject(), *data = cJSON_CreateObject();

    cJSON_AddStringToObject(ev, "specversion", "1.0");
    cJSON_AddStringToObject(ev, "id", "b-1");
    cJSON_AddStringToObject(ev, "source", "ci://test");
    cJSON_AddStringToObject(ev, "type", "cutover.build-ready");
    cJSON_AddStringToObject(ev, "subject", "shop");
    cJSON_AddStringToObject(ev, "time", "2024-05-01T12:00:00Z");
    cJSON_AddStringToObject(data, "environment", "shop");
    cJSON_AddItemToObject(ev, "data", data);
    return ev;
}

/* decode_json - decode the text of a cJSON object as a record on topic */
static int decode_json(const cJSON *json, const char *topic, const struct record_header *h,
                       size_t nh, struct cloud_event *ev, struct event_error *err)
{
    char *text = cJSON_PrintUnformatted(json);
    struct event_record rec = {topic, 0, 7, "shop", 4, text, strlen(text), h, nh};
    int rc = event_decode(&rec, MAX_BYTES, ev, err);

    free(text);
    return rc;
}

/* decode_text - decode a value given as text with no headers */
static int decode_text(const char *value, const char *topic, struct cloud_event *ev,
                       struct event_error *err)
{
    struct event_record rec = {topic, 0, 7, "shop", 4, value, strlen(value), NULL, 0};

    return event_decode(&rec, MAX_BYTES, ev, err);
}

/* binary_headers - the six ce_ headers of a valid build-ready event */
static void binary_headers(struct record_header h[7])
{
    static const char *const values[] = {"1.0", "b-2", "ci://test", "cutover.build-ready",
                                         "shop", "2024-05-01T12:00:00.123+02:00"};

    for (int i = 0; i < 6; i++)
        h[i] = (struct record_header){ce_headers[i], values[i], strlen(values[i])};
    h[6] = (struct record_header){"content-type", "application/json", 16};
}

/* test_structured_ok - a structured event decodes with all attributes */
static void test_structured_ok(void **state)
{
    cJSON *json = structured_event();
    struct record_header ct = {"Content-Type", "application/cloudevents+json; charset=utf-8", 43};
    struct cloud_event ev;
    struct event_error err;

    (void)state;
    assert_int_equal(decode_json(json, "build-ready", &ct, 1, &ev, &err), 0);
    assert_string_equal(ev.id, "b-1");
    assert_string_equal(ev.subject, "shop");
    assert_string_equal(ev.type, "cutover.build-ready");
    assert_non_null(ev.data);
    assert_string_equal(cJSON_GetObjectItem(ev.data, "environment")->valuestring, "shop");
    cloudevent_free(&ev);
    /* The same without any header (kcat): still structured. */
    assert_int_equal(decode_json(json, "build-ready", NULL, 0, &ev, &err), 0);
    assert_string_equal(ev.source, "ci://test");
    cloudevent_free(&ev);
    cJSON_Delete(json);
}

/* test_binary_ok - a binary event decodes from headers and value */
static void test_binary_ok(void **state)
{
    struct record_header h[7];
    const char *value = "{\"environment\":\"shop\",\"build_id\":\"42\"}";
    struct event_record rec = {"build-ready", 1, 9, "shop", 4, value, strlen(value), h, 7};
    struct cloud_event ev;
    struct event_error err;

    (void)state;
    binary_headers(h);
    assert_int_equal(event_decode(&rec, MAX_BYTES, &ev, &err), 0);
    assert_string_equal(ev.id, "b-2");
    assert_string_equal(ev.time, "2024-05-01T12:00:00.123+02:00");
    assert_string_equal(ev.datacontenttype, "application/json");
    assert_string_equal(cJSON_GetObjectItem(ev.data, "build_id")->valuestring, "42");
    cloudevent_free(&ev);
}

/* test_binary_edges - empty value, non-JSON value, empty header */
static void test_binary_edges(void **state)
{
    struct record_header h[7];
    struct event_record rec = {"build-ready", 0, 0, NULL, 0, "", 0, h, 7};
    struct cloud_event ev;
    struct event_error err;

    (void)state;
    binary_headers(h);
    assert_int_equal(event_decode(&rec, MAX_BYTES, &ev, &err), 0);
    assert_null(ev.data); /* left to schema validation */
    cloudevent_free(&ev);
    rec.value = "not json", rec.value_len = 8;
    assert_int_equal(event_decode(&rec, MAX_BYTES, &ev, &err), -1);
    assert_int_equal(err.status, EVENT_NOT_JSON);
    rec.value = "{}", rec.value_len = 2;
    h[1].value_len = 0;
    assert_int_equal(event_decode(&rec, MAX_BYTES, &ev, &err), -1);
    assert_int_equal(err.status, EVENT_BAD_ATTRIBUTE);
    assert_non_null(strstr(err.message, "ce_id"));
}

/* test_structured_missing - each required attribute missing in turn */
static void test_structured_missing(void **state)
{
    struct cloud_event ev;
    struct event_error err;
    char want[64];

    (void)state;
    for (size_t i = 0; i < 6; i++) {
        cJSON *json = structured_event();
        cJSON_DeleteItemFromObject(json, attr_names[i]);
        assert_int_equal(decode_json(json, "build-ready", NULL, 0, &ev, &err), -1);
        assert_int_equal(err.status, EVENT_MISSING_ATTRIBUTE);
        assert_string_equal(event_status_code(err.status), "missing-attribute");
        snprintf(want, sizeof(want), "missing required attribute \"%s\"", attr_names[i]);
        assert_string_equal(err.message, want);
        assert_null(ev.id);
        cJSON_Delete(json);
    }
}

/* test_binary_missing - each ce_ header missing in turn */
static void test_binary_missing(void **state)
{
    const char *value = "{\"environment\":\"shop\"}";
    struct record_header h[7], less[6];
    struct cloud_event ev;
    struct event_error err;
    char want[64];

    (void)state;
    binary_headers(h);
    for (size_t skip = 0; skip < 6; skip++) {
        size_t n = 0;
        for (size_t i = 0; i < 7; i++)
            if (i != skip)
                less[n++] = h[i];
        struct event_record rec = {"build-ready", 0, 0, NULL, 0, value, strlen(value), less, n};
        assert_int_equal(event_decode(&rec, MAX_BYTES, &ev, &err), -1);
        assert_int_equal(err.status, EVENT_MISSING_ATTRIBUTE);
        snprintf(want, sizeof(want), "\"%s\"", attr_names[skip]);
        assert_non_null(strstr(err.message, want));
    }
}

/* test_wrong_types - non-string and empty attributes are bad-attribute */
static void test_wrong_types(void **state)
{
    struct cloud_event ev;
    struct event_error err;

    (void)state;
    for (size_t i = 0; i < 6; i++) {
        cJSON *json = structured_event();
        cJSON_ReplaceItemInObject(json, attr_names[i], cJSON_CreateNumber(1));
        assert_int_equal(decode_json(json, "build-ready", NULL, 0, &ev, &err), -1);
        assert_int_equal(err.status, EVENT_BAD_ATTRIBUTE);
        assert_non_null(strstr(err.message, attr_names[i]));
        cJSON_ReplaceItemInObject(json, attr_names[i], cJSON_CreateString(""));
        assert_int_equal(decode_json(json, "build-ready", NULL, 0, &ev, &err), -1);
        assert_int_equal(err.status, EVENT_BAD_ATTRIBUTE);
        cJSON_Delete(json);
    }
}

/* test_bad_values - specversion, type, topic and data shape */
static void test_bad_values(void **state)
{
    static const struct {
        const char *attr, *value, *topic;
        enum event_status want;
    } cases[] = {
        {"specversion", "0.3", "build-ready", EVENT_BAD_SPECVERSION},
        {"type", "com.example.build", "build-ready", EVENT_UNKNOWN_TYPE},
        {"type", "cutover.no-such-topic", "build-ready", EVENT_UNKNOWN_TYPE},
        {"type", "cutover.", "build-ready", EVENT_UNKNOWN_TYPE},
        {"type", "cutover.alarm-fired", "build-ready", EVENT_WRONG_TOPIC},
        {"type", "cutover.build-ready", "green-scaled", EVENT_WRONG_TOPIC},
    };
    struct cloud_event ev;
    struct event_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *json = structured_event();
        cJSON_ReplaceItemInObject(json, cases[i].attr, cJSON_CreateString(cases[i].value));
        assert_int_equal(decode_json(json, cases[i].topic, NULL, 0, &ev, &err), -1);
        assert_int_equal(err.status, cases[i].want);
        cJSON_Delete(json);
    }
}

/* test_data_shapes - data must be an object; missing data is left to the schema */
static void test_data_shapes(void **state)
{
    struct cloud_event ev;
    struct event_error err;
    cJSON *json = structured_event();

    (void)state;
    cJSON_ReplaceItemInObject(json, "data", cJSON_CreateString("text"));
    assert_int_equal(decode_json(json, "build-ready", NULL, 0, &ev, &err), -1);
    assert_int_equal(err.status, EVENT_SCHEMA);
    cJSON_DeleteItemFromObject(json, "data");
    assert_int_equal(decode_json(json, "build-ready", NULL, 0, &ev, &err), 0);
    assert_null(ev.data);
    cloudevent_free(&ev);
    /* {"environment":"shop"} as data_base64 */
    cJSON_AddStringToObject(json, "data_base64", "eyJlbnZpcm9ubWVudCI6InNob3AifQ==");
    assert_int_equal(decode_json(json, "build-ready", NULL, 0, &ev, &err), 0);
    assert_string_equal(cJSON_GetObjectItem(ev.data, "environment")->valuestring, "shop");
    cloudevent_free(&ev);
    cJSON_ReplaceItemInObject(json, "data_base64", cJSON_CreateString("!!!!"));
    assert_int_equal(decode_json(json, "build-ready", NULL, 0, &ev, &err), -1);
    assert_int_equal(err.status, EVENT_BAD_ATTRIBUTE);
    cJSON_Delete(json);
}

/* test_bad_time - malformed and out-of-range times are bad-time */
static void test_bad_time(void **state)
{
    static const char *const bad[] = {
        "2024-05-01",           "2024-05-01 12:00:00Z",   "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z", "2023-02-29T00:00:00Z",   "2024-04-31T00:00:00Z",
        "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z",   "2024-05-01T12:00:61Z",
        "2024-05-01T12:00:00",  "2024-05-01T12:00:00.Z",  "2024-05-01T12:00:00+2:00",
        "2024-05-01T12:00:00+02:60", "2024-05-01T12:00:00Zjunk", "yesterday",
    };
    static const char *const good[] = {
        "2024-02-29T00:00:00Z", "2000-02-29T23:59:60.5+14:00", "2024-05-01t12:00:00.123456789-05:30",
    };
    struct cloud_event ev;
    struct event_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *json = structured_event();
        cJSON_ReplaceItemInObject(json, "time", cJSON_CreateString(bad[i]));
        assert_int_equal(decode_json(json, "build-ready", NULL, 0, &ev, &err), -1);
        assert_int_equal(err.status, EVENT_BAD_TIME);
        assert_false(event_time_valid(bad[i]));
        cJSON_Delete(json);
    }
    assert_false(event_time_valid("1900-02-29T00:00:00Z"));
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(event_time_valid(good[i]));
}

/* test_not_json - garbage, non-objects and attribute-less objects */
static void test_not_json(void **state)
{
    struct cloud_event ev;
    struct event_error err;

    (void)state;
    assert_int_equal(decode_text("{\"specversion\":", "build-ready", &ev, &err), -1);
    assert_int_equal(err.status, EVENT_NOT_JSON);
    assert_int_equal(decode_text("{} trailing", "build-ready", &ev, &err), -1);
    assert_int_equal(err.status, EVENT_NOT_JSON);
    assert_int_equal(decode_text("", "build-ready", &ev, &err), -1);
    assert_int_equal(err.status, EVENT_NOT_JSON);
    assert_int_equal(decode_text("[1,2]", "build-ready", &ev, &err), -1);
    assert_int_equal(err.status, EVENT_NOT_CLOUDEVENT);
    assert_int_equal(decode_text("{\"environment\":\"shop\"}", "build-ready", &ev, &err), -1);
    assert_int_equal(err.status, EVENT_NOT_CLOUDEVENT);
}

/* test_not_utf8 - invalid UTF-8 in the value or in a ce_ header */
static void test_not_utf8(void **state)
{
    static const char overlong[] = "{\"a\":\"\xC0\xAF\"}";
    static const char surrogate[] = "{\"a\":\"\xED\xA0\x80\"}";
    struct record_header h[7];
    const char *value = "{}";
    struct event_record rec = {"build-ready", 0, 0, NULL, 0, overlong, sizeof(overlong) - 1, NULL, 0};
    struct cloud_event ev;
    struct event_error err;

    (void)state;
    assert_int_equal(event_decode(&rec, MAX_BYTES, &ev, &err), -1);
    assert_int_equal(err.status, EVENT_NOT_UTF8);
    rec.value = surrogate, rec.value_len = sizeof(surrogate) - 1;
    assert_int_equal(event_decode(&rec, MAX_BYTES, &ev, &err), -1);
    assert_int_equal(err.status, EVENT_NOT_UTF8);
    binary_headers(h);
    h[4].value = "sh\xFFop", h[4].value_len = 5;
    rec = (struct event_record){"build-ready", 0, 0, NULL, 0, value, 2, h, 7};
    assert_int_equal(event_decode(&rec, MAX_BYTES, &ev, &err), -1);
    assert_int_equal(err.status, EVENT_NOT_UTF8);
    assert_non_null(strstr(err.message, "ce_subject"));
    assert_true(event_utf8_valid("h\xC3\xA9llo \xF0\x9F\x98\x80", 11));
    assert_false(event_utf8_valid("\xF4\x90\x80\x80", 4));
    assert_false(event_utf8_valid("\xE2\x82", 2));
}

/* test_too_large - size is checked first, with a clear message */
static void test_too_large(void **state)
{
    size_t len = 2 * MAX_BYTES;
    char *big = malloc(len);
    struct event_record rec = {"build-ready", 0, 0, NULL, 0, big, len, NULL, 0};
    struct cloud_event ev;
    struct event_error err;

    (void)state;
    assert_non_null(big);
    memset(big, 0xFF, len); /* not UTF-8 either: too-large must win */
    assert_int_equal(event_decode(&rec, MAX_BYTES, &ev, &err), -1);
    assert_int_equal(err.status, EVENT_TOO_LARGE);
    assert_string_equal(err.message, "value is 2097152 bytes, limit is 1048576");
    free(big);
}

/* test_round_trip - event_create + event_encode decode to the same event */
static void test_round_trip(void **state)
{
    cJSON *data = cJSON_CreateObject();
    struct cloud_event ev, back;
    struct event_error err;
    char *text;

    (void)state;
    cJSON_AddStringToObject(data, "environment", "shop");
    cJSON_AddNumberToObject(data, "epoch", 3);
    assert_int_equal(event_create(&ev, "green-scaled", "cutover/scaler", "shop", data), 0);
    assert_int_equal(strlen(ev.id), 36);
    assert_int_equal(ev.id[14], '4');
    assert_non_null(strchr("89ab", ev.id[19]));
    assert_true(event_time_valid(ev.time));
    assert_int_equal(strlen(ev.time), 24); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
    text = event_encode(&ev);
    assert_non_null(text);
    assert_int_equal(decode_text(text, "green-scaled", &back, &err), 0);
    assert_string_equal(back.id, ev.id);
    assert_string_equal(back.time, ev.time);
    assert_string_equal(back.type, "cutover.green-scaled");
    assert_string_equal(back.datacontenttype, "application/json");
    assert_true(cJSON_Compare(back.data, ev.data, 1));
    free(text);
    cloudevent_free(&back);
    cloudevent_free(&ev);
    assert_int_equal(event_create(&ev, "no-such-topic", "s", "shop", cJSON_CreateObject()), -1);
}

/* test_uuid_unique - two ids differ */
static void test_uuid_unique(void **state)
{
    char a[37], b[37];

    (void)state;
    event_uuid4(a);
    event_uuid4(b);
    assert_string_not_equal(a, b);
}

/* base64_decode - helper for the dead-letter test */
static size_t base64_decode(const char *text, unsigned char *out)
{
    size_t len = strlen(text);
    int n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);

    assert_true(n >= 0);
    if (len && text[len - 1] == '=')
        n--;
    if (len > 1 && text[len - 2] == '=')
        n--;
    return (size_t)n;
}

/* test_dead_letter_binary - garbage comes back byte for byte from value_base64 */
static void test_dead_letter_binary(void **state)
{
    static const unsigned char garbage[] = {0xFF, 0x00, 0xC3, 0x28, 0x7B, 0x80, 0x01};
    static const unsigned char key[] = {0xFE, 0x01};
    struct record_header h[2] = {{"trace", "\x9F\x9F", 2}, {"content-type", "text/plain", 10}};
    struct event_record rec = {"alarm-fired", 3, 12345, key, sizeof(key), garbage,
                               sizeof(garbage), h, 2};
    struct cloud_event ev;
    struct event_error err;
    unsigned char back[64];
    char *text;
    cJSON *dl;

    (void)state;
    assert_int_equal(event_decode(&rec, MAX_BYTES, &ev, &err), -1);
    assert_int_equal(err.status, EVENT_NOT_UTF8);
    text = event_dead_letter(&rec, &err);
    assert_non_null(text);
    assert_null(strchr(text, '\n'));
    dl = cJSON_Parse(text);
    assert_non_null(dl);
    assert_string_equal(cJSON_GetObjectItem(dl, "topic")->valuestring, "alarm-fired");
    assert_int_equal(cJSON_GetObjectItem(dl, "partition")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(dl, "offset")->valuedouble, 12345);
    assert_int_equal(cJSON_GetObjectItem(dl, "value_size")->valueint, sizeof(garbage));
    assert_null(cJSON_GetObjectItem(dl, "value"));
    assert_int_equal(base64_decode(cJSON_GetObjectItem(dl, "value_base64")->valuestring, back),
                     sizeof(garbage));
    assert_memory_equal(back, garbage, sizeof(garbage));
    assert_int_equal(base64_decode(cJSON_GetObjectItem(dl, "key_base64")->valuestring, back), 2);
    assert_memory_equal(back, key, 2);
    cJSON *hs = cJSON_GetObjectItem(dl, "headers");
    assert_int_equal(cJSON_GetArraySize(hs), 2);
    assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(hs, 0), "value_base64"));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(hs, 1), "value")->valuestring,
                        "text/plain");
    cJSON *e = cJSON_GetObjectItem(dl, "error");
    assert_string_equal(cJSON_GetObjectItem(e, "code")->valuestring, "not-utf8");
    assert_string_equal(cJSON_GetObjectItem(e, "message")->valuestring, err.message);
    assert_true(event_time_valid(cJSON_GetObjectItem(dl, "received_at")->valuestring));
    cJSON_Delete(dl);
    free(text);
}

/* test_dead_letter_text - a UTF-8 value and key are kept as text */
static void test_dead_letter_text(void **state)
{
    const char *value = "{\"hello\":1}";
    struct event_record rec = {"build-ready", 0, 1, "shop", 4, value, strlen(value), NULL, 0};
    struct event_error err;
    char *text;
    cJSON *dl;

    (void)state;
    event_error_set(&err, EVENT_NOT_CLOUDEVENT, "value is not a CloudEvent");
    text = event_dead_letter(&rec, &err);
    dl = cJSON_Parse(text);
    assert_string_equal(cJSON_GetObjectItem(dl, "value")->valuestring, value);
    assert_string_equal(cJSON_GetObjectItem(dl, "key")->valuestring, "shop");
    assert_null(cJSON_GetObjectItem(dl, "value_base64"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(dl, "headers")), 0);
    cJSON_Delete(dl);
    free(text);
}

/* test_topics - the table and the status codes */
static void test_topics(void **state)
{
    size_t n = 0;

    (void)state;
    while (event_topics[n] != NULL)
        n++;
    assert_int_equal(n, 10);
    assert_true(event_topic_known("schema-migrated"));
    assert_true(event_topic_known("deployment-status"));
    assert_false(event_topic_known("build"));
    assert_false(event_topic_known(NULL));
    assert_string_equal(event_status_code(EVENT_WRONG_TOPIC), "wrong-topic");
    assert_string_equal(event_status_code(EVENT_INTERNAL), "internal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structured_ok),   cmocka_unit_test(test_binary_ok),
        cmocka_unit_test(test_binary_edges),
        cmocka_unit_test(test_structured_missing), cmocka_unit_test(test_binary_missing),
        cmocka_unit_test(test_wrong_types),     cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_data_shapes),     cmocka_unit_test(test_bad_time),
        cmocka_unit_test(test_not_json),        cmocka_unit_test(test_not_utf8),
        cmocka_unit_test(test_too_large),       cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_uuid_unique),     cmocka_unit_test(test_dead_letter_binary),
        cmocka_unit_test(test_dead_letter_text), cmocka_unit_test(test_topics),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
