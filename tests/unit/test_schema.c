/*
 * test_schema - JSON Schemas, their examples, and the validator.
 *
 * DESCRIPTION
 *	A data-driven runner reads every JSON file under schemas/examples/<name>/ and
 *	checks that valid-* files pass the schema <name> and invalid-* files
 *	fail it. The schemas directory is found through share_dir(), which
 *	finds the source tree from build/tests/. Unit cases then pin down the
 *	validator itself: pointers in messages, enum, pattern, $ref, if/then,
 *	anyOf/oneOf, additionalProperties and the schema check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/share.h"
#include "io/event.h"
#include "io/jsonschema.h"
#include "io/schema.h"

#define FILE_MAX (256 * 1024)

static struct schema_registry *registry;

/* read_json - parse a small file; NULL when unreadable or not JSON */
static cJSON *read_json(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *buf = malloc(FILE_MAX + 1);
    cJSON *json = NULL;
    size_t n;

    if (fp != NULL && buf != NULL) {
        n = fread(buf, 1, FILE_MAX, fp);
        buf[n] = '\0';
        json = cJSON_Parse(buf);
    }
    if (fp != NULL)
        fclose(fp);
    free(buf);
    return json;
}

/* setup_registry - load the schemas of the source tree */
static int setup_registry(void **state)
{
    char dir[PATH_MAX], err[512];

    (void)state;
    if (share_path("schemas", dir, sizeof(dir)) != 0) {
        fprintf(stderr, "share_dir() found no schemas directory\n");
        return -1;
    }
    if ((registry = schema_registry_load(dir, err, sizeof(err))) == NULL) {
        fprintf(stderr, "schema_registry_load: %s\n", err);
        return -1;
    }
    return 0;
}

/* teardown_registry - free the schemas */
static int teardown_registry(void **state)
{
    (void)state;
    schema_registry_free(registry);
    registry = NULL;
    return 0;
}

/* run_example - one example file; returns 1 when it came out as its name says */
static int run_example(const char *name, const char *dir, const char *file, int *valid)
{
    char path[PATH_MAX + 64 + 300];
    struct event_error err;
    cJSON *json;
    int rc;

    *valid = strncmp(file, "valid-", 6) == 0;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if ((json = read_json(path)) == NULL) {
        fprintf(stderr, "%s: not JSON\n", path);
        return 0;
    }
    rc = schema_validate(registry, name, json, &err);
    cJSON_Delete(json);
    if (*valid && rc != 0)
        fprintf(stderr, "%s: expected valid, got: %s\n", path, err.message);
    else if (!*valid && rc == 0)
        fprintf(stderr, "%s: expected invalid, but it passed\n", path);
    else if (!*valid && (err.status != EVENT_SCHEMA || err.message[0] == '\0'))
        fprintf(stderr, "%s: failed without a schema message\n", path);
    else
        return 1;
    return 0;
}

/* run_example_dir - every valid-* and invalid-* example of one schema */
static void run_example_dir(const char *root, const char *name, int *bad)
{
    char dir[PATH_MAX + 64];
    int counts[2] = {0, 0}, valid = 0;
    struct dirent *de;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/%s", root, name);
    assert_non_null(d = opendir(dir));
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "valid-", 6) != 0 && strncmp(de->d_name, "invalid-", 8) != 0)
            continue;
        if (!run_example(name, dir, de->d_name, &valid))
            (*bad)++;
        counts[valid]++;
    }
    closedir(d);
    if (counts[1] < 2 || counts[0] < 3) {
        fprintf(stderr, "%s: %d valid and %d invalid examples, want >= 2 and >= 3\n", name,
                counts[1], counts[0]);
        (*bad)++;
    }
}

/* test_examples - the data-driven runner over schemas/examples */
static void test_examples(void **state)
{
    char root[PATH_MAX];
    int bad = 0, seen = 0;

    (void)state;
    assert_int_equal(share_path("schemas/examples", root, sizeof(root)), 0);
    for (size_t i = 0; event_topics[i] != NULL; i++, seen++)
        run_example_dir(root, event_topics[i], &bad);
    assert_true(seen >= 9);
    assert_int_equal(bad, 0);
}

/* validate_text - validate instance text against schema text */
static int validate_text(const char *schema_text, const char *inst_text, char *err, size_t len)
{
    cJSON *schema = cJSON_Parse(schema_text), *inst = cJSON_Parse(inst_text);
    int rc;

    assert_non_null(schema);
    assert_non_null(inst);
    assert_int_equal(jsonschema_check(schema, err, len), 0);
    rc = jsonschema_validate(schema, inst, err, len);
    cJSON_Delete(schema);
    cJSON_Delete(inst);
    return rc;
}

/* test_pointer_message - the message names the place with a JSON pointer */
static void test_pointer_message(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(validate_text("{\"properties\":{\"strategy\":{\"properties\":{\"steps\":{"
                                   "\"items\":{\"properties\":{\"weight\":{\"maximum\":100}}}}}}}}",
                                   "{\"strategy\":{\"steps\":[{\"weight\":150}]}}", err,
                                   sizeof(err)),
                     -1);
    assert_string_equal(err, "/strategy/steps/0/weight: 150 is greater than the maximum 100");
    assert_int_equal(validate_text("{\"properties\":{\"a/b~c\":{\"type\":\"integer\"}}}",
                                   "{\"a/b~c\":1.5}", err, sizeof(err)),
                     -1);
    assert_string_equal(err, "/a~1b~0c: expected integer, got number");
    assert_int_equal(validate_text("{\"required\":[\"environment\"]}", "{}", err, sizeof(err)), -1);
    assert_string_equal(err, "(root): missing required property \"environment\"");
}

/* test_enum_pattern - enum, const, pattern, lengths */
static void test_enum_pattern(void **state)
{
    const char *schema = "{\"properties\":{\"state\":{\"enum\":[\"ALARM\",\"OK\"]},"
                         "\"env\":{\"type\":\"string\",\"pattern\":\"^[a-z][a-z0-9-]*$\","
                         "\"minLength\":2,\"maxLength\":4},\"v\":{\"const\":1}}}";
    char err[512];

    (void)state;
    assert_int_equal(validate_text(schema, "{\"state\":\"OK\",\"env\":\"ab\",\"v\":1}", err,
                                   sizeof(err)),
                     0);
    assert_int_equal(validate_text(schema, "{\"state\":\"ok\"}", err, sizeof(err)), -1);
    assert_string_equal(err, "/state: \"ok\" is not one of [\"ALARM\",\"OK\"]");
    assert_int_equal(validate_text(schema, "{\"env\":\"9ab\"}", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/env: \"9ab\" does not match the pattern"));
    assert_int_equal(validate_text(schema, "{\"env\":\"a\"}", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "shorter than the minimum length 2"));
    /* four code points, eight bytes: within maxLength 4 */
    assert_int_equal(validate_text(schema, "{\"env\":\"a\xc3\xa9\xc3\xa9\xc3\xa9\"}", err,
                                   sizeof(err)),
                     -1); /* fails the pattern, not the length */
    assert_non_null(strstr(err, "pattern"));
    assert_int_equal(validate_text(schema, "{\"v\":2}", err, sizeof(err)), -1);
    assert_string_equal(err, "/v: 2 is not 1");
}

/* test_ref - $ref into $defs, and a $ref that does not resolve */
static void test_ref(void **state)
{
    const char *schema = "{\"$defs\":{\"w\":{\"type\":\"integer\",\"minimum\":0}},"
                         "\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/w\"}}";
    cJSON *bad = cJSON_Parse("{\"items\":{\"$ref\":\"#/$defs/nope\"}}");
    char err[512];

    (void)state;
    assert_int_equal(validate_text(schema, "[0,1,2]", err, sizeof(err)), 0);
    assert_int_equal(validate_text(schema, "[0,-1]", err, sizeof(err)), -1);
    assert_string_equal(err, "/1: -1 is less than the minimum 0");
    assert_int_equal(jsonschema_check(bad, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/items/$ref"));
    cJSON_Delete(bad);
}

/* test_if_then - weight required with shift, refused otherwise */
static void test_if_then(void **state)
{
    const char *schema = "{\"if\":{\"properties\":{\"action\":{\"const\":\"shift\"}}},"
                         "\"then\":{\"required\":[\"weight\"]},"
                         "\"else\":{\"properties\":{\"weight\":false}}}";
    char err[512];

    (void)state;
    assert_int_equal(validate_text(schema, "{\"action\":\"shift\",\"weight\":5}", err, sizeof(err)), 0);
    assert_int_equal(validate_text(schema, "{\"action\":\"shift\"}", err, sizeof(err)), -1);
    assert_string_equal(err, "(root): missing required property \"weight\"");
    assert_int_equal(validate_text(schema, "{\"action\":\"pause\"}", err, sizeof(err)), 0);
    assert_int_equal(validate_text(schema, "{\"action\":\"pause\",\"weight\":5}", err, sizeof(err)), -1);
    assert_string_equal(err, "/weight: is not allowed here");
}

/* test_combinators - anyOf, oneOf, allOf, not, type arrays */
static void test_combinators(void **state)
{
    const char *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":0}]}";
    const char *any = "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}";
    const char *all = "{\"allOf\":[{\"type\":\"number\"},{\"maximum\":3}],\"not\":{\"const\":2}}";
    char err[512];

    (void)state;
    assert_int_equal(validate_text(one, "-1", err, sizeof(err)), 0);
    assert_int_equal(validate_text(one, "1", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "matches 2 of the oneOf schemas"));
    assert_int_equal(validate_text(any, "null", err, sizeof(err)), 0);
    assert_int_equal(validate_text(any, "1", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "matches none of the anyOf schemas"));
    assert_int_equal(validate_text(all, "1", err, sizeof(err)), 0);
    assert_int_equal(validate_text(all, "4", err, sizeof(err)), -1);
    assert_int_equal(validate_text(all, "2", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not"));
    assert_int_equal(validate_text("{\"type\":[\"integer\",\"null\"]}", "\"x\"", err, sizeof(err)), -1);
    assert_string_equal(err, "(root): expected integer or null, got string");
}

/* test_additional - additionalProperties false and as a schema */
static void test_additional(void **state)
{
    const char *closed = "{\"properties\":{\"a\":true},\"additionalProperties\":false}";
    const char *typed = "{\"additionalProperties\":{\"type\":\"string\"}}";
    char err[512];

    (void)state;
    assert_int_equal(validate_text(closed, "{\"a\":1}", err, sizeof(err)), 0);
    assert_int_equal(validate_text(closed, "{\"a\":1,\"b\":2}", err, sizeof(err)), -1);
    assert_string_equal(err, "(root): property \"b\" is not allowed");
    assert_int_equal(validate_text(typed, "{\"k\":\"v\"}", err, sizeof(err)), 0);
    assert_int_equal(validate_text(typed, "{\"k\":3}", err, sizeof(err)), -1);
    assert_string_equal(err, "/k: expected string, got integer");
}

/* test_check - unsupported keywords and bad patterns are refused; recursion is bounded */
static void test_check(void **state)
{
    cJSON *unknown = cJSON_Parse("{\"properties\":{\"a\":{\"uniqueItems\":true}}}");
    cJSON *pattern = cJSON_Parse("{\"pattern\":\"([a-z\"}");
    cJSON *loop = cJSON_Parse("{\"$defs\":{\"x\":{\"$ref\":\"#/$defs/x\"}},\"$ref\":\"#/$defs/x\"}");
    cJSON *one = cJSON_CreateNumber(1);
    char err[512];

    (void)state;
    assert_int_equal(jsonschema_check(unknown, err, sizeof(err)), -1);
    assert_string_equal(err, "/properties/a/uniqueItems: unsupported keyword");
    assert_int_equal(jsonschema_check(pattern, err, sizeof(err)), -1);
    assert_int_equal(jsonschema_check(loop, err, sizeof(err)), 0);
    assert_int_equal(jsonschema_validate(loop, one, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "deeper than"));
    cJSON_Delete(unknown);
    cJSON_Delete(pattern);
    cJSON_Delete(loop);
    cJSON_Delete(one);
}

/* test_date_time - format date-time through event_time_valid */
static void test_date_time(void **state)
{
    const char *schema = "{\"format\":\"date-time\"}";
    char err[512];

    (void)state;
    assert_int_equal(validate_text(schema, "\"2024-02-29T10:00:00+01:00\"", err, sizeof(err)), 0);
    assert_int_equal(validate_text(schema, "\"2023-02-29T10:00:00Z\"", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "RFC 3339"));
}

/* test_registry - schema_validate on a real schema, unknown names, dead letters */
static void test_registry(void **state)
{
    cJSON *data = cJSON_Parse("{\"environment\":\"shop\",\"action\":\"shift\",\"weight\":150,"
                              "\"reason\":\"\",\"requested_by\":\"op\"}");
    const char *value = "\xff\xfe garbage";
    struct event_record rec = {"build-ready", 0, 5, "shop", 4, value, strlen(value), NULL, 0};
    struct event_error err;
    cJSON *dl;
    char *text;

    (void)state;
    assert_int_equal(schema_validate(registry, "shift-requested", data, &err), -1);
    assert_int_equal(err.status, EVENT_SCHEMA);
    assert_string_equal(err.message, "/weight: 150 is greater than the maximum 100");
    assert_int_equal(schema_validate(registry, "no-such", data, &err), -1);
    assert_int_equal(err.status, EVENT_INTERNAL);
    assert_int_equal(schema_validate(registry, "build-ready", NULL, &err), -1);
    assert_int_equal(err.status, EVENT_SCHEMA);
    cJSON_Delete(data);
    /* What event_dead_letter writes must pass the dead-letter schema. */
    event_error_set(&err, EVENT_NOT_UTF8, "value is not valid UTF-8");
    text = event_dead_letter(&rec, &err);
    assert_non_null(dl = cJSON_Parse(text));
    assert_int_equal(schema_validate(registry, "dead-letter", dl, &err), 0);
    cJSON_Delete(dl);
    free(text);
}

/* test_registry_missing - a directory without schemas fails with a message */
static void test_registry_missing(void **state)
{
    char err[512];

    (void)state;
    assert_null(schema_registry_load("/nonexistent-cutover-dir", err, sizeof(err)));
    assert_non_null(strstr(err, "build-ready.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples),        cmocka_unit_test(test_pointer_message),
        cmocka_unit_test(test_enum_pattern),    cmocka_unit_test(test_ref),
        cmocka_unit_test(test_if_then),         cmocka_unit_test(test_combinators),
        cmocka_unit_test(test_additional),      cmocka_unit_test(test_check),
        cmocka_unit_test(test_date_time),       cmocka_unit_test(test_registry),
        cmocka_unit_test(test_registry_missing),
    };

    return cmocka_run_group_tests(tests, setup_registry, teardown_registry);
}
