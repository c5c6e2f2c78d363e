/*
 * test_sigv4 - AWS Signature Version 4: AWS's published test suite, the
 *	s3 rules, the signer's own headers, bad input, buffer caps.
 *
 * DESCRIPTION
 *	The known answers are the cases of AWS's SigV4 test suite in
 *	tests/aws/sigv4-suite/<case>/<case>.{req,creq,sts,authz,sreq}, read by
 *	one runner (one cmocka test per directory): each raw request goes
 *	through aws_sign_cli_run() (the code behind "cutover aws sign") with
 *	the suite's credentials, time, region and service, and the canonical
 *	request, string to sign, Authorization header and signed request must
 *	match the files byte for byte. The suite directory is
 *	$CUTOVER_SIGV4_SUITE or tests/aws/sigv4-suite (tests run from the top
 *	of the tree).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/aws_sign_cli.h"
#include "provider/aws/sigv4.h"

#define SUITE_ACCESS_KEY "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_MAX_CASES 128

static const char *suite_dir;

/* read_case_file - <dir>/<case>/<case>.<ext> as a string the caller frees */
static char *read_case_file(const char *name, const char *ext, size_t *len)
{
    char path[1024];
    struct buf b;
    char chunk[4096];
    size_t n;

    snprintf(path, sizeof(path), "%s/%s/%s.%s", suite_dir, name, name, ext);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    buf_init(&b, 1 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(buf_append(&b, chunk, n), 0);
    fclose(f);
    if (len)
        *len = b.len;
    return buf_steal(&b);
}

/* section - the text between "== title ==\n" and the next "\n\n== " (or the end) */
static char *section(const char *out, const char *title)
{
    char head[64];

    snprintf(head, sizeof(head), "== %s ==\n", title);
    const char *start = strstr(out, head);
    assert_non_null(start);
    start += strlen(head);
    const char *end = strstr(start, "\n\n== ");
    return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

/* suite_token - the session token the case expects (from its canonical request) */
static char *suite_token(const char *creq)
{
    const char *t = strstr(creq, "\nx-amz-security-token:");

    if (!t)
        return NULL;
    t += strlen("\nx-amz-security-token:");
    return strndup(t, strcspn(t, "\n"));
}

/* sign_case - run the raw request through aws_sign_cli_run; its output */
static char *sign_case(const char *req, size_t req_len, const char *token)
{
    struct sigv4_credentials creds = { SUITE_ACCESS_KEY, SUITE_SECRET, token };
    char *text = NULL, err[256] = "";
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_non_null(out);
    int r = aws_sign_cli_run(req, req_len, "us-east-1", "service", SUITE_DATE, &creds, out, err,
                             sizeof(err));
    fclose(out);
    if (r != 0)
        fail_msg("aws_sign_cli_run: %s", err);
    return text;
}

/* check_signed_request - the signed request equals <case>.sreq (trailing newline aside) */
static void check_signed_request(const char *name, const char *signed_req)
{
    /* post-sts-header-after adds the token after signing (cutover always signs
     * it); the .sreq of get-vanilla-with-session-token carries get-vanilla's
     * signature, an error in the suite (its .authz is right) */
    if (strcmp(name, "post-sts-header-after") == 0 ||
        strcmp(name, "get-vanilla-with-session-token") == 0)
        return;
    char *sreq = read_case_file(name, "sreq", NULL);
    size_t n = strlen(signed_req);
    if (n > 0 && signed_req[n - 1] == '\n' && (strlen(sreq) == 0 || sreq[strlen(sreq) - 1] != '\n'))
        n--;
    assert_int_equal(n, strlen(sreq));
    assert_memory_equal(signed_req, sreq, n);
    free(sreq);
}

/* test_suite_case - one directory of the suite */
static void test_suite_case(void **state)
{
    const char *name = *state;
    size_t req_len;
    char *req = read_case_file(name, "req", &req_len);
    char *creq = read_case_file(name, "creq", NULL), *sts = read_case_file(name, "sts", NULL);
    char *authz = read_case_file(name, "authz", NULL), *token = suite_token(creq);
    char *out = sign_case(req, req_len, token);
    char *got_creq = section(out, "canonical request"), *got_sts = section(out, "string to sign");
    char *got_req = section(out, "signed request");
    const char *a = strstr(got_req, "\nAuthorization: ");

    assert_string_equal(got_creq, creq);
    assert_string_equal(got_sts, sts);
    assert_non_null(a);
    a += strlen("\nAuthorization: ");
    assert_int_equal(strcspn(a, "\n"), strlen(authz));
    assert_memory_equal(a, authz, strlen(authz));
    check_signed_request(name, got_req);
    free(req), free(creq), free(sts), free(authz), free(token), free(out);
    free(got_creq), free(got_sts), free(got_req);
}

/* name_cmp - qsort on case names */
static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_cases - the suite's case directories, sorted */
static size_t list_cases(char **names, size_t max)
{
    DIR *d = opendir(suite_dir);
    struct dirent *e;
    size_t n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) && n < max) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s/%s.req", suite_dir, e->d_name, e->d_name);
        FILE *f = e->d_name[0] != '.' ? fopen(path, "rb") : NULL;
        if (f) {
            fclose(f);
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(*names), name_cmp);
    return n;
}

/* sign - sigv4_sign() on a request built from the arguments; fails the test on error */
static void sign(const char *service, const char *method, const char *path, const char *query,
                 const struct sigv4_header *h, size_t n, const char *body, const char *token,
                 struct sigv4_result *res)
{
    struct sigv4_credentials creds = { SUITE_ACCESS_KEY, SUITE_SECRET, token };
    struct sigv4_request req = {
        .method = method, .path = path, .query = query, .headers = h, .header_count = n,
        .body = body, .body_len = body ? strlen(body) : 0, .region = "eu-west-1",
        .service = service, .amz_date = SUITE_DATE,
    };
    char err[256];

    if (sigv4_sign(&req, &creds, res, err, sizeof(err)) != 0)
        fail_msg("sigv4_sign: %s", err);
}

/* creq_line - line i (0-based) of a canonical request, a string the caller frees */
static char *creq_line(const char *creq, int i)
{
    while (i-- > 0) {
        creq = strchr(creq, '\n');
        assert_non_null(creq);
        creq++;
    }
    return strndup(creq, strcspn(creq, "\n"));
}

/* assert_line - line i of the canonical request is expected */
static void assert_line(const struct sigv4_result *res, int i, const char *expected)
{
    char *line = creq_line(res->canonical_request, i);

    assert_string_equal(line, expected);
    free(line);
}

/* test_s3_rules - s3: path as given, X-Amz-Content-SHA256 added and signed */
static void test_s3_rules(void **state)
{
    struct sigv4_header h[] = { { "Host", "b.s3.eu-west-1.amazonaws.com" },
                                { "x-amz-content-sha256", "UNSIGNED-PAYLOAD" } };
    struct sigv4_result res;
    char hash[65];

    (void)state;
    sign("s3", "put", "//a/./b%20c", NULL, h, 2, "hello", NULL, &res);
    sigv4_sha256_hex("hello", 5, hash);
    assert_line(&res, 0, "PUT");
    assert_line(&res, 1, "//a/./b%20c");
    assert_string_equal(res.payload_hash, hash);
    assert_non_null(strstr(res.canonical_request, "\nx-amz-content-sha256:"));
    assert_string_equal(res.signed_headers, "host;x-amz-content-sha256;x-amz-date");
    assert_int_equal(res.add_count, 3);
    assert_string_equal(res.add[1].name, "X-Amz-Content-SHA256");
    assert_string_equal(res.add[1].value, hash);
    sigv4_result_free(&res);
}

/* test_path_double_encoding - other services normalize and encode the path again */
static void test_path_double_encoding(void **state)
{
    struct sigv4_header h[] = { { "host", "codedeploy.eu-west-1.amazonaws.com" } };
    struct sigv4_result res;

    (void)state;
    sign("codedeploy", "GET", "/a%2Fb//c/../d/./e%20f/", NULL, h, 1, NULL, NULL, &res);
    assert_line(&res, 1, "/a%252Fb/d/e%2520f/");
    sigv4_result_free(&res);
    sign("codedeploy", "GET", "", NULL, h, 1, NULL, NULL, &res);
    assert_line(&res, 1, "/");
    sigv4_result_free(&res);
}

/* test_query_rules - decoding, re-encoding, '+', empty values, repeated names */
static void test_query_rules(void **state)
{
    struct sigv4_header h[] = { { "Host", "example.amazonaws.com" } };
    struct sigv4_result res;

    (void)state;
    sign("service", "GET", "/", "b=2&a=z&a=y&c&d=&e=%7e%2A+x!&&f=%zz", h, 1, NULL, NULL, &res);
    assert_line(&res, 2, "a=y&a=z&b=2&c=&d=&e=~%2A%20x%21&f=%25zz");
    sigv4_result_free(&res);
}

/* test_header_rules - trimming, folding, repeats, unsigned and replaced headers */
static void test_header_rules(void **state)
{
    struct sigv4_header h[] = {
        { "Host", "example.amazonaws.com" }, { "User-Agent", "cutover" },
        { "Expect", "100-continue" },        { "X-Amz-Date", "19990101T000000Z" },
        { "Authorization", "stale" },        { "My-Header", "  a \t  b  " },
        { "my-header", "c" },                { "X-Amz-Security-Token", "old" },
        { "X-Amz-Content-SHA256", "abc" },
    };
    struct sigv4_result res;

    (void)state;
    sign("service", "POST", "/", NULL, h, 9, "body", "tok", &res);
    assert_line(&res, 3, "host:example.amazonaws.com");
    assert_line(&res, 4, "my-header:a b,c");
    assert_line(&res, 5, "x-amz-content-sha256:abc");
    assert_line(&res, 6, "x-amz-date:" SUITE_DATE);
    assert_line(&res, 7, "x-amz-security-token:tok");
    assert_line(&res, 9, "host;my-header;x-amz-content-sha256;x-amz-date;x-amz-security-token");
    assert_line(&res, 10, "abc");
    assert_int_equal(res.add_count, 3);
    assert_string_equal(res.add[0].name, "X-Amz-Date");
    assert_string_equal(res.add[1].value, "tok");
    assert_string_equal(res.add[2].name, "Authorization");
    assert_non_null(strstr(res.authorization, "Credential=" SUITE_ACCESS_KEY
                                              "/20150830/eu-west-1/service/aws4_request, "));
    assert_null(strstr(res.authorization, SUITE_SECRET));
    sigv4_result_free(&res);
}

/* test_bad_input - requests that cannot be signed say why */
static void test_bad_input(void **state)
{
    struct sigv4_header host[] = { { "Host", "h" } }, bad[] = { { "Bad Name", "v" } };
    struct sigv4_credentials creds = { SUITE_ACCESS_KEY, SUITE_SECRET, NULL };
    struct sigv4_request req = { .method = "GET", .path = "/", .headers = host, .header_count = 1,
                                 .region = "us-east-1", .service = "s", .amz_date = SUITE_DATE };
    struct sigv4_result res;
    char err[256];

    (void)state;
    req.amz_date = "2015-08-30T12:36:00Z";
    assert_int_equal(sigv4_sign(&req, &creds, &res, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "date"));
    req.amz_date = SUITE_DATE;
    req.header_count = 0;
    assert_int_equal(sigv4_sign(&req, &creds, &res, err, sizeof(err)), -1);
    assert_string_equal(err, "sigv4: no Host header");
    req.headers = bad;
    req.header_count = 1;
    assert_int_equal(sigv4_sign(&req, &creds, &res, err, sizeof(err)), -1);
    assert_string_equal(err, "sigv4: bad header name");
    req.headers = host;
    req.path = "relative";
    assert_int_equal(sigv4_sign(&req, &creds, &res, err, sizeof(err)), -1);
    creds.secret_access_key = "";
    req.path = "/";
    assert_int_equal(sigv4_sign(&req, &creds, &res, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "secret"));
}

/* test_cli_bad_request - the CLI parser refuses what is not a request */
static void test_cli_bad_request(void **state)
{
    static const char *const bad[] = {
        "GET\nHost:h\n", "GET / FTP/1\nHost:h\n", "GET nopath HTTP/1.1\nHost:h\n",
        "GET / HTTP/1.1\n continuation first\n", "GET / HTTP/1.1\nno colon\n",
    };
    struct sigv4_credentials creds = { SUITE_ACCESS_KEY, SUITE_SECRET, NULL };
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(aws_sign_cli_run(bad[i], strlen(bad[i]), "us-east-1", "s", SUITE_DATE,
                                          &creds, stdout, err, sizeof(err)),
                         -1);
        assert_true(strlen(err) > 0);
    }
}

/* test_buf_cap - a buffer never grows past its cap */
static void test_buf_cap(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 10);
    assert_int_equal(buf_puts(&b, "0123456789"), 0);
    assert_int_equal(buf_putc(&b, 'x'), -1);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    buf_reset(&b);
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    assert_string_equal(b.data, "abc");
    buf_free(&b);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_s3_rules),        cmocka_unit_test(test_path_double_encoding),
        cmocka_unit_test(test_query_rules),     cmocka_unit_test(test_header_rules),
        cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_cli_bad_request),
        cmocka_unit_test(test_buf_cap),
    };
    char *names[SUITE_MAX_CASES];
    struct CMUnitTest tests[SUITE_MAX_CASES + sizeof(fixed) / sizeof(fixed[0])];
    size_t n, count = 0;
    int failed;

    suite_dir = getenv("CUTOVER_SIGV4_SUITE") ? getenv("CUTOVER_SIGV4_SUITE")
                                               : "tests/aws/sigv4-suite";
    n = list_cases(names, SUITE_MAX_CASES);
    if (n < 15) {
        fprintf(stderr, "test_sigv4: only %zu cases in %s (run from the top of the tree)\n", n,
                suite_dir);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        tests[count++] = (struct CMUnitTest){ names[i], test_suite_case, NULL, NULL, names[i] };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        tests[count++] = fixed[i];
    failed = _cmocka_run_group_tests("sigv4", tests, count, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    return failed;
}
