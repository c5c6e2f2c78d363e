/*
 * test_sshsig_canon - the canonical form of a CloudEvent that operators
 *	sign (io/event_canon.h), and the signature namespace.
 *
 * DESCRIPTION
 *	A table of cases, each an event's JSON text and its canonical form,
 *	or NULL when it must be refused: member order (by UTF-16 code units,
 *	RFC 8785), whitespace, string escapes, nested objects and arrays,
 *	the cutoversig attribute left out at the top only, numbers (safe
 *	integers only), repeated names, "\u0000", invalid UTF-8 and what is
 *	not an object. Then the form of the same event written two ways is
 *	the same bytes, and a cap on the output is kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "io/event_canon.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One case: the input and its canonical form (NULL: refused). */
struct canon_case {
    const char *name;
    const char *input;
    const char *canonical;
};

static const struct canon_case cases[] = {
    { "member order", "{\"b\":1,\"a\":2,\"aa\":3,\"B\":4}", "{\"B\":4,\"a\":2,\"aa\":3,\"b\":1}" },
    { "whitespace", " {\n\t\"a\" : [ 1 , 2 ] ,\r\n \"b\" : { } } \n", "{\"a\":[1,2],\"b\":{}}" },
    { "escapes", "{\"s\":\"\\u00e9\\/\\n\\t\\b\\f\\r\\u001f\\\"\\\\\\u007f\\u2028\"}",
      "{\"s\":\"\xc3\xa9/\\n\\t\\b\\f\\r\\u001f\\\"\\\\\x7f\xe2\x80\xa8\"}" },
    { "escaped names", "{\"\\u0061\":1,\"\\n\":2}", "{\"\\n\":2,\"a\":1}" },
    { "nested", "{\"z\":{\"y\":[{\"b\":true,\"a\":null}],\"x\":false},\"a\":[[],{}]}",
      "{\"a\":[[],{}],\"z\":{\"x\":false,\"y\":[{\"a\":null,\"b\":true}]}}" },
    { "signature removed at the top only",
      "{\"cutoversig\":\"U1NIU0lH\",\"data\":{\"cutoversig\":\"kept\"},\"id\":\"1\"}",
      "{\"data\":{\"cutoversig\":\"kept\"},\"id\":\"1\"}" },
    { "utf-16 order", "{\"\xee\x80\x80\":1,\"\xf0\x9f\x98\x80\":2,\"\\u0080\":3}",
      "{\"\xc2\x80\":3,\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1}" },
    { "integers", "{\"a\":1.0,\"b\":1e2,\"c\":-0,\"d\":-12,\"e\":9007199254740991,\"f\":-9007199254740991}",
      "{\"a\":1,\"b\":100,\"c\":0,\"d\":-12,\"e\":9007199254740991,\"f\":-9007199254740991}" },
    { "an escaped backslash before u0000", "{\"s\":\"\\\\u0000\"}", "{\"s\":\"\\\\u0000\"}" },
    { "empty", "{}", "{}" },
    { "a fraction", "{\"a\":1.5}", NULL },
    { "2^53", "{\"a\":9007199254740992}", NULL },
    { "2^53 + 1", "{\"a\":9007199254740993}", NULL },
    { "a huge number", "{\"a\":1e400}", NULL },
    { "a fraction nested", "{\"a\":[{\"b\":0.1}]}", NULL },
    { "a repeated name", "{\"a\":1,\"a\":1}", NULL },
    { "a repeated name nested", "{\"x\":{\"a\":1,\"\\u0061\":2}}", NULL },
    { "\\u0000", "{\"s\":\"a\\u0000b\"}", NULL },
    { "invalid utf-8", "{\"s\":\"\xc3\x28\"}", NULL },
    { "an overlong encoding", "{\"s\":\"\xc0\xaf\"}", NULL },
    { "a lone surrogate", "{\"s\":\"\\ud800\"}", NULL },
    { "an array", "[1,2]", NULL },
    { "a string", "\"x\"", NULL },
    { "trailing bytes", "{\"a\":1} x", NULL },
    { "not json", "{\"a\":", NULL },
    { "nothing", "", NULL },
};

/* test_cases - each case's form, or its refusal with a reason */
static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct buf out;
        char err[256] = "";
        buf_init(&out, EVENT_CANON_MAX);
        int rc = event_canon(cases[i].input, strlen(cases[i].input), &out, err, sizeof(err));
        if (cases[i].canonical == NULL && (rc == 0 || err[0] == '\0'))
            fail_msg("%s: accepted as %s", cases[i].name, out.data);
        if (cases[i].canonical && (rc != 0 || strcmp(out.data, cases[i].canonical) != 0))
            fail_msg("%s: got %s (%s)", cases[i].name, rc == 0 ? out.data : "refused", err);
        buf_free(&out);
    }
}

/* canon_of - the form of text, which must be accepted */
static void canon_of(const char *text, struct buf *out)
{
    char err[256];

    buf_init(out, EVENT_CANON_MAX);
    if (event_canon(text, strlen(text), out, err, sizeof(err)) != 0)
        fail_msg("%s: %s", text, err);
}

/* test_same_event_same_bytes - an event and its reordered, reformatted, signed copy */
static void test_same_event_same_bytes(void **state)
{
    struct buf a, b;

    (void)state;
    canon_of("{\"specversion\":\"1.0\",\"id\":\"e1\",\"source\":\"cli\",\"type\":\"cutover.shift-requested\","
             "\"subject\":\"shop\",\"time\":\"2026-12-04T09:00:00Z\",\"data\":{\"environment\":\"shop\","
             "\"action\":\"shift\",\"weight\":25,\"reason\":\"caf\\u00e9\"}}", &a);
    canon_of("{ \"data\" : { \"weight\" : 25.0, \"reason\" : \"caf\xc3\xa9\", \"action\" : \"shift\","
             " \"environment\" : \"shop\" }, \"time\" : \"2026-12-04T09:00:00Z\", \"subject\" : \"shop\","
             " \"cutoversig\" : \"U1NIU0lHAAAAAQ==\", \"type\" : \"cutover.shift-requested\","
             " \"source\" : \"cli\", \"id\" : \"e1\", \"specversion\" : \"1.0\" }", &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_null(strstr(a.data, " "));
    buf_free(&a);
    buf_free(&b);
}

/* test_cap - a form larger than the buffer's cap is refused */
static void test_cap(void **state)
{
    struct buf out;
    char err[256] = "";

    (void)state;
    buf_init(&out, 8);
    assert_int_equal(event_canon("{\"abcdef\":1}", 12, &out, err, sizeof(err)), -1);
    assert_true(err[0] != '\0');
    buf_free(&out);
}

/* test_namespace - cutover:<environment>, plain names only */
static void test_namespace(void **state)
{
    char ns[EVENT_CANON_NAMESPACE_MAX];

    (void)state;
    assert_int_equal(event_canon_namespace("shop", ns, sizeof(ns)), 0);
    assert_string_equal(ns, "cutover:shop");
    assert_int_equal(event_canon_namespace("eu-west.prod_1", ns, sizeof(ns)), 0);
    assert_string_equal(ns, "cutover:eu-west.prod_1");
    assert_int_equal(event_canon_namespace("", ns, sizeof(ns)), -1);
    assert_int_equal(event_canon_namespace("shop prod", ns, sizeof(ns)), -1);
    assert_int_equal(event_canon_namespace("shop,prod", ns, sizeof(ns)), -1);
    assert_int_equal(event_canon_namespace("shop", ns, 8), -1);
    assert_string_equal(EVENT_CANON_SIGNATURE_ATTRIBUTE, "cutoversig");
    assert_string_equal(EVENT_CANON_SIGNATURE_HEADER, "ce_cutoversig");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_same_event_same_bytes),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_namespace),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
