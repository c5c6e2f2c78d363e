/*
 * test_cache_action - an environment's cache actions read from its
 *	document (each kind, the defaults, each refusal), and the Redis MATCH
 *	pattern that keeps a prefix literal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "io/redis_flush.h"
#include "saga/cache_action.h"

#include <string.h>

/* parse - cache_action_parse of a JSON text; the document stays in *doc */
static int parse(const char *json, cJSON **doc, struct cache_action *a, char *err, size_t len)
{
    *doc = cJSON_Parse(json);
    assert_non_null(*doc);
    return cache_action_parse(*doc, a, err, len);
}

/* test_redis_prefix - host, port, db and prefix; the timeout's default */
static void test_redis_prefix(void **unused)
{
    struct cache_action a;
    char err[256];
    cJSON *doc;

    (void)unused;
    assert_int_equal(parse("{\"name\":\"object-cache\",\"kind\":\"redis-prefix\",\"host\":\"10.0.0.5\","
                           "\"port\":6380,\"db\":2,\"prefix\":\"wp:\"}", &doc, &a, err, sizeof(err)), 0);
    assert_string_equal(a.name, "object-cache");
    assert_int_equal(a.kind, CACHE_REDIS_PREFIX);
    assert_string_equal(a.host, "10.0.0.5");
    assert_int_equal(a.port, 6380);
    assert_int_equal(a.db, 2);
    assert_string_equal(a.prefix, "wp:");
    assert_int_equal(a.timeout_s, CACHE_TIMEOUT_DEFAULT_S);
    assert_string_equal(cache_kind_name(a.kind), "redis-prefix");
    cJSON_Delete(doc);
}

/* test_commands - on the host by default, on the instances when asked */
static void test_commands(void **unused)
{
    struct cache_action a;
    char err[256];
    cJSON *doc;

    (void)unused;
    assert_int_equal(parse("{\"name\":\"purge\",\"kind\":\"command\",\"command\":\"rm -rf /c/*\"}",
                           &doc, &a, err, sizeof(err)), 0);
    assert_int_equal(a.kind, CACHE_COMMAND);
    assert_false(a.on_instances);
    assert_string_equal(a.command, "rm -rf /c/*");
    cJSON_Delete(doc);
    assert_int_equal(parse("{\"name\":\"opcache\",\"kind\":\"command\",\"on\":\"instances\","
                           "\"command\":\"systemctl reload php8.2-fpm\",\"timeout_seconds\":30}",
                           &doc, &a, err, sizeof(err)), 0);
    assert_true(a.on_instances);
    assert_int_equal(a.timeout_s, 30);
    cJSON_Delete(doc);
    assert_int_equal(parse("{\"name\":\"cdn\",\"kind\":\"cloudfront\"}", &doc, &a, err, sizeof(err)), 0);
    assert_int_equal(a.kind, CACHE_CLOUDFRONT);
    cJSON_Delete(doc);
}

/* test_refusals - what a worker cannot run is refused with why */
static void test_refusals(void **unused)
{
    static const struct {
        const char *json, *why;
    } cases[] = {
        {"{\"kind\":\"command\",\"command\":\"true\"}", "needs a name"},
        {"{\"name\":\"x\",\"kind\":\"flushall\"}", "unknown kind"},
        {"{\"name\":\"x\",\"kind\":\"command\",\"on\":\"everywhere\",\"command\":\"true\"}", "unknown kind or on"},
        {"{\"name\":\"x\",\"kind\":\"command\"}", "needs command"},
        {"{\"name\":\"x\",\"kind\":\"redis-prefix\",\"host\":\"h\",\"port\":6379}", "needs host, port and prefix"},
        {"{\"name\":\"x\",\"kind\":\"redis-prefix\",\"host\":\"h\",\"port\":70000,\"prefix\":\"p\"}", "port"},
        {"{\"name\":\"x\",\"kind\":\"redis-prefix\",\"host\":\"h\",\"port\":1,\"db\":16,\"prefix\":\"p\"}", "db"},
        {"{\"name\":\"x\",\"kind\":\"cloudfront\",\"timeout_seconds\":0}", "timeout_seconds"},
        {"[1]", "needs a name"},
    };

    (void)unused;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cache_action a;
        char err[256] = "";
        cJSON *doc;

        assert_int_equal(parse(cases[i].json, &doc, &a, err, sizeof(err)), -1);
        if (strstr(err, cases[i].why) == NULL)
            fail_msg("%s: \"%s\" does not say \"%s\"", cases[i].json, err, cases[i].why);
        cJSON_Delete(doc);
    }
}

/* test_match_pattern - glob characters of a prefix are escaped */
static void test_match_pattern(void **unused)
{
    char out[64];

    (void)unused;
    assert_int_equal(redis_match_pattern("wp:", out, sizeof(out)), 0);
    assert_string_equal(out, "wp:*");
    assert_int_equal(redis_match_pattern("a*b?[c]\\d", out, sizeof(out)), 0);
    assert_string_equal(out, "a\\*b\\?\\[c\\]\\\\d*");
    assert_int_equal(redis_match_pattern("abcdef", out, 7), -1);
    assert_int_equal(redis_match_pattern("abcdef", out, 8), 0);
    assert_string_equal(out, "abcdef*");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis_prefix),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_match_pattern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
