/*
 * test_sns - Amazon SNS message verification (web/sns.h): the string to
 *	sign, signatures v1 and v2, every tampered field, the certificate
 *	URL rules, the topic allow-list, the age window, the certificate's
 *	validity and cache, CloudWatch alarms, subscription confirmation.
 *
 * DESCRIPTION
 *	Messages are signed here the way SNS signs them, with the TEST-ONLY
 *	keys that make puts in $(BUILD)/tests/data/sns (tests/sns-test-certs.sh;
 *	tests run from the top of the tree). The string to sign is built by this file on
 *	its own, so that a mistake in sns_string_to_sign() cannot sign and
 *	verify the same wrong text; one test holds it against AWS's own
 *	documented example as well.
 *
 *	The certificates are fetched for real, with libcurl over verified
 *	TLS, from a fake of SNS's certificate host: fake_http's forked
 *	child, each connection wrapped in OpenSSL's TLS with the test CA's
 *	localhost certificate. It serves the signing certificate, an
 *	expired one and a non-certificate, answers /confirm... with 200 and
 *	logs every request line to a file, so that a test can tell what was
 *	fetched. It is in-process (no python, no port race: the port is bound
 *	before the fork) so that it runs with the unit tests and under
 *	valgrind; tests/integration/test_sns.sh runs the same path against
 *	python's real http.server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_http.h"
#include "web/sns.h"

#define DATA SNS_TEST_DATA /* made by tests/sns-test-certs.sh at build time */
#define TOPIC "arn:aws:sns:eu-west-1:123456789012:cutover-alarms"
#define TOPIC_OTHER "arn:aws:sns:eu-west-1:123456789012:cutover-other"

/* The fake certificate host's pages and request log (read in the child). */
struct tls_site {
    SSL_CTX *ctx;
    char *signing_pem, *expired_pem;
    char log_path[64];
};

/* One message to sign; NULL members are left out. */
struct msg {
    const char *type, *message, *message_id, *subject, *timestamp, *topic_arn;
    const char *subscribe_url, *token, *cert_path, *version;
    EVP_PKEY *key;
};

static struct tls_site site;
static struct fake_http server, second; /* second: test_cert_cache's own */
static EVP_PKEY *signing_key, *other_key;
static char base_url[64], ts_now[32];
static const char *const topics[] = { TOPIC, TOPIC_OTHER };
static struct sns_policy policy = {
    .cert_host_pattern = "^localhost$", .ca_file = DATA "test-ca.pem",
    .topic_allow = topics,              .topic_count = 2,
};

/* read_file - a whole file as a string the caller frees */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = calloc(1, 64 * 1024);
    size_t n;

    assert_non_null(f);
    assert_non_null(s);
    n = fread(s, 1, 64 * 1024 - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* read_key - a PEM private key */
static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k;

    assert_non_null(f);
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    return k;
}

/* timestamp - now + offset_s as SNS writes it */
static void timestamp(char *out, size_t len, long offset_s)
{
    time_t t = time(NULL) + offset_s;
    struct tm tm;

    strftime(out, len, "%Y-%m-%dT%H:%M:%S.123Z", gmtime_r(&t, &tm));
}

/* site_page - the body for a path, or NULL (404) */
static const char *site_page(const char *path)
{
    if (strcmp(path, "/signing.pem") == 0)
        return site.signing_pem;
    if (strcmp(path, "/expired.pem") == 0)
        return site.expired_pem;
    if (strcmp(path, "/garbage.pem") == 0)
        return "this is no certificate";
    if (strncmp(path, "/confirm", 8) == 0)
        return "<ConfirmSubscriptionResponse/>";
    return NULL;
}

/* site_log - append the request line to the log */
static void site_log(const char *path)
{
    FILE *f = fopen(site.log_path, "a");

    if (f) {
        fprintf(f, "GET %s\n", path);
        fclose(f);
    }
}

/* tls_answer_cb - one TLS connection: read the request, answer its page */
static void tls_answer_cb(int fd, int served, const void *arg)
{
    SSL *ssl = SSL_new(((const struct tls_site *)arg)->ctx);
    char req[4096], path[1024] = "", head[256];
    const char *page;
    int n;

    (void)served;
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1 && (n = SSL_read(ssl, req, sizeof(req) - 1)) > 0) {
        req[n] = '\0';
        sscanf(req, "GET %1023s", path);
        site_log(path);
        page = site_page(path);
        snprintf(head, sizeof(head),
                 "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                 page ? "200 OK" : "404 Not Found", page ? strlen(page) : 0);
        SSL_write(ssl, head, (int)strlen(head));
        if (page)
            SSL_write(ssl, page, (int)strlen(page));
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
}

/* site_requests - how many logged request lines contain what */
static int site_requests(const char *what)
{
    char *log = read_file(site.log_path), *p = log;
    int n = 0;

    while ((p = strstr(p, what)) != NULL)
        n++, p++;
    free(log);
    return n;
}

/* setup - keys, the TLS context and the fake certificate host */
static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up must not kill the fake host */
    signing_key = read_key(DATA "test-signing.key");
    other_key = read_key(DATA "test-other.key");
    site.signing_pem = read_file(DATA "test-signing.pem");
    site.expired_pem = read_file(DATA "test-signing-expired.pem");
    site.ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate_file(site.ctx, DATA "test-server.pem",
                                                  SSL_FILETYPE_PEM), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(site.ctx, DATA "test-server.key",
                                                 SSL_FILETYPE_PEM), 1);
    snprintf(site.log_path, sizeof(site.log_path), "/tmp/test_sns.XXXXXX");
    close(mkstemp(site.log_path));
    server = fake_http_start(0, tls_answer_cb, &site);
    snprintf(base_url, sizeof(base_url), "https://localhost:%d", server.port);
    return 0;
}

/* teardown - stop the host, free what setup made */
static int teardown(void **state)
{
    (void)state;
    fake_http_stop(&server);
    if (second.pid > 0) /* test_cert_cache failed half-way */
        fake_http_stop(&second);
    sns_cert_cache_clear();
    unlink(site.log_path);
    SSL_CTX_free(site.ctx);
    free(site.signing_pem);
    free(site.expired_pem);
    EVP_PKEY_free(signing_key);
    EVP_PKEY_free(other_key);
    return 0;
}

/* notification - a Notification signed v1 with the signing key, sent now */
static struct msg notification(void)
{
    timestamp(ts_now, sizeof(ts_now), 0);
    return (struct msg){ "Notification", "hello\nworld", "5b1e2b9c-0000-4000-8000-000000000001",
                         "An alarm", ts_now, TOPIC, NULL, NULL, "/signing.pem", "1",
                         signing_key };
}

/* confirmation - a SubscriptionConfirmation whose SubscribeURL is the fake host's */
static struct msg confirmation(void)
{
    static char url[128];
    struct msg m = notification();

    snprintf(url, sizeof(url), "%s/confirm?Action=ConfirmSubscription&Token=t0k3n", base_url);
    m.type = "SubscriptionConfirmation";
    m.message = "You have chosen to subscribe to the topic " TOPIC ".";
    m.subject = NULL;
    m.subscribe_url = url;
    m.token = "t0k3n";
    return m;
}

/* text_to_sign - this test's own string to sign for m */
static char *text_to_sign(const struct msg *m)
{
    int note = strcmp(m->type, "Notification") == 0;
    const char *keys[] = { "Message", "MessageId", note ? "Subject" : "SubscribeURL",
                           "Timestamp", note ? NULL : "Token", "TopicArn", "Type" };
    const char *values[] = { m->message, m->message_id, note ? m->subject : m->subscribe_url,
                             m->timestamp, m->token, m->topic_arn, m->type };
    char *text = calloc(1, 8192);

    assert_non_null(text);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (keys[i] && values[i])
            snprintf(text + strlen(text), 8192 - strlen(text), "%s\n%s\n", keys[i], values[i]);
    return text;
}

/* sign_b64 - base64 of m's key's signature of text (SHA1 for version "1", else SHA256) */
static char *sign_b64(const struct msg *m, const char *text)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const EVP_MD *md = strcmp(m->version, "1") == 0 ? EVP_sha1() : EVP_sha256();
    unsigned char sig[1024];
    size_t n = sizeof(sig);
    char *b64 = calloc(1, 2048);

    assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, m->key), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &n, (const unsigned char *)text, strlen(text)), 1);
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)n);
    EVP_MD_CTX_free(ctx);
    return b64;
}

/* add - a string member when value is not NULL */
static void add(cJSON *o, const char *name, const char *value)
{
    if (value)
        cJSON_AddStringToObject(o, name, value);
}

/* body_of - m signed, as the JSON body SNS would POST */
static char *body_of(const struct msg *m)
{
    char *text = text_to_sign(m), *sig = sign_b64(m, text), url[256], *body;
    cJSON *o = cJSON_CreateObject();

    snprintf(url, sizeof(url), "%s%s", strstr(m->cert_path, "://") ? "" : base_url,
             m->cert_path);
    add(o, "Type", m->type);
    add(o, "MessageId", m->message_id);
    add(o, "Token", m->token);
    add(o, "TopicArn", m->topic_arn);
    add(o, "Subject", m->subject);
    add(o, "Message", m->message);
    add(o, "SubscribeURL", m->subscribe_url);
    add(o, "Timestamp", m->timestamp);
    add(o, "SignatureVersion", m->version);
    add(o, "Signature", sig);
    add(o, "SigningCertURL", url);
    body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    free(text);
    free(sig);
    return body;
}

/* tamper - body with one member's value replaced */
static char *tamper(const char *body, const char *name, const char *value)
{
    cJSON *o = cJSON_Parse(body);
    char *out;

    assert_non_null(cJSON_GetObjectItemCaseSensitive(o, name));
    cJSON_ReplaceItemInObjectCaseSensitive(o, name, cJSON_CreateString(value));
    out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}

/* expect - sns_verify's outcome for body (which it frees) is want */
static void expect(char *body, enum sns_outcome want)
{
    struct sns_message m;
    char err[512] = "";
    enum sns_outcome got = sns_verify(body, strlen(body), &policy, &m, err, sizeof(err));

    if (got != want)
        fail_msg("want %s, got %s (%s)", sns_outcome_name(want), sns_outcome_name(got), err);
    assert_int_equal(m.verified, want == SNS_OK);
    sns_message_free(&m);
    free(body);
}

/* expect_msg - m signed and verified gives want */
static void expect_msg(const struct msg *m, enum sns_outcome want)
{
    expect(body_of(m), want);
}

/* test_string_to_sign_example - AWS's documented Notification example, byte for byte */
static void test_string_to_sign_example(void **state)
{
    static const char body[] =
        "{\"Type\":\"Notification\",\"MessageId\":\"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\","
        "\"TopicArn\":\"arn:aws:sns:us-west-2:123456789012:MyTopic\",\"Subject\":\"My First "
        "Message\",\"Message\":\"Hello world!\",\"Timestamp\":\"2012-05-02T00:54:06.655Z\","
        "\"SignatureVersion\":\"1\",\"Signature\":\"x\",\"SigningCertURL\":\"https://x/y.pem\"}";
    static const char want[] = "Message\nHello world!\nMessageId\n"
                               "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nMy First Message\n"
                               "Timestamp\n2012-05-02T00:54:06.655Z\nTopicArn\n"
                               "arn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n";
    struct sns_message m;
    char err[256], *text;

    (void)state;
    assert_int_equal(sns_parse(body, strlen(body), &m, err, sizeof(err)), SNS_OK);
    text = sns_string_to_sign(&m);
    assert_string_equal(text, want);
    free(text);
    sns_message_free(&m);
}

/* test_string_to_sign_own - without Subject, and a confirmation, as this test builds them */
static void test_string_to_sign_own(void **state)
{
    struct msg cases[2] = { notification(), confirmation() };

    (void)state;
    cases[0].subject = NULL;
    for (size_t i = 0; i < 2; i++) {
        char *body = body_of(&cases[i]), *want = text_to_sign(&cases[i]), err[256], *text;
        struct sns_message m;
        assert_int_equal(sns_parse(body, strlen(body), &m, err, sizeof(err)), SNS_OK);
        text = sns_string_to_sign(&m);
        assert_string_equal(text, want);
        free(text);
        free(want);
        free(body);
        sns_message_free(&m);
    }
}

/* test_valid_v1_v2 - both signature versions, with and without Subject, are accepted */
static void test_valid_v1_v2(void **state)
{
    struct msg m = notification();

    (void)state;
    expect_msg(&m, SNS_OK);
    m.version = "2";
    expect_msg(&m, SNS_OK);
    m.subject = NULL;
    expect_msg(&m, SNS_OK);
}

/* test_tampered_fields - changing any signed field after signing is refused */
static void test_tampered_fields(void **state)
{
    static const char *const versions[] = { "1", "2" };
    struct msg n = notification(), c = confirmation();
    char later[32];
    const char *fields[][2] = {
        { "Message", "hello world" }, { "MessageId", "5b1e2b9c-0000-4000-8000-000000000002" },
        { "Subject", "No alarm" },    { "Timestamp", later },
        { "TopicArn", TOPIC_OTHER },
    };
    char *body;

    (void)state;
    timestamp(later, sizeof(later), -7);
    for (size_t v = 0; v < 2; v++) {
        n.version = c.version = versions[v];
        body = body_of(&n);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            expect(tamper(body, fields[i][0], fields[i][1]), SNS_BAD_SIGNATURE);
        free(body);
        body = body_of(&c);
        expect(tamper(body, "Type", "UnsubscribeConfirmation"), SNS_BAD_SIGNATURE);
        expect(tamper(body, "Token", "t0k3m"), SNS_BAD_SIGNATURE);
        expect(tamper(body, "SubscribeURL", "https://localhost/confirm?Token=other"),
               SNS_BAD_SIGNATURE);
        free(body);
    }
}

/* test_signature_version - an unknown version is a bad field; a mislabelled one does not verify */
static void test_signature_version(void **state)
{
    struct msg m = notification();
    char *body = body_of(&m);

    (void)state;
    expect(tamper(body, "SignatureVersion", "3"), SNS_BAD_FIELD);
    expect(tamper(body, "SignatureVersion", "2"), SNS_BAD_SIGNATURE);
    expect(tamper(body, "Signature", "not base64!"), SNS_BAD_SIGNATURE);
    free(body);
}

/* test_other_key - a signature by a key other than the certificate's is refused */
static void test_other_key(void **state)
{
    struct msg m = notification();

    (void)state;
    m.key = other_key;
    expect_msg(&m, SNS_BAD_SIGNATURE);
    m.version = "2";
    expect_msg(&m, SNS_BAD_SIGNATURE);
}

/* test_cert_url_refused - other host, http, not .pem, user-info tricks: refused, never fetched */
static void test_cert_url_refused(void **state)
{
    struct msg m = notification();
    char urls[5][160];
    int before = site_requests("GET");

    (void)state;
    snprintf(urls[0], sizeof(urls[0]), "https://127.0.0.1:%d/signing.pem", server.port);
    snprintf(urls[1], sizeof(urls[1]), "http://localhost:%d/signing.pem", server.port);
    snprintf(urls[2], sizeof(urls[2]), "%s/signing.pem.txt", base_url);
    snprintf(urls[3], sizeof(urls[3]), "https://localhost@127.0.0.1:%d/signing.pem", server.port);
    snprintf(urls[4], sizeof(urls[4]), "ftp://localhost:%d/signing.pem", server.port);
    for (size_t i = 0; i < 5; i++) {
        m.cert_path = urls[i];
        expect_msg(&m, SNS_CERT_URL_REFUSED);
    }
    assert_int_equal(site_requests("GET"), before);
}

/* test_default_host_pattern - without a pattern, only sns.<region>.amazonaws.com(.cn) */
static void test_default_host_pattern(void **state)
{
    struct sns_policy saved = policy;
    struct msg m = notification();

    (void)state;
    policy.cert_host_pattern = NULL;
    m.cert_path = "https://sns.amazonaws.com.evil.example/SimpleNotificationService-x.pem";
    expect_msg(&m, SNS_CERT_URL_REFUSED);
    m.cert_path = "https://evilsns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem";
    expect_msg(&m, SNS_CERT_URL_REFUSED);
    m.cert_path = "https://localhost/SimpleNotificationService-x.pem";
    expect_msg(&m, SNS_CERT_URL_REFUSED);
    policy = saved;
}

/* test_topic_not_allowed - a topic off the allow-list is refused before any fetch */
static void test_topic_not_allowed(void **state)
{
    struct msg m = notification();
    int before = site_requests("GET");

    (void)state;
    m.topic_arn = "arn:aws:sns:eu-west-1:123456789012:someone-else";
    m.cert_path = "/never-fetched.pem";
    expect_msg(&m, SNS_TOPIC_NOT_ALLOWED);
    assert_int_equal(site_requests("GET"), before);
}

/* test_expired - older than the window, or in the future: refused; inside it: accepted */
static void test_expired(void **state)
{
    struct msg m = notification();
    char ts[32];

    (void)state;
    m.timestamp = ts;
    timestamp(ts, sizeof(ts), -SNS_DEFAULT_MAX_AGE_S - 5);
    expect_msg(&m, SNS_EXPIRED);
    timestamp(ts, sizeof(ts), SNS_CLOCK_SKEW_S + 60);
    expect_msg(&m, SNS_EXPIRED);
    timestamp(ts, sizeof(ts), -SNS_DEFAULT_MAX_AGE_S + 60);
    expect_msg(&m, SNS_OK);
    policy.max_age_s = 30;
    timestamp(ts, sizeof(ts), -60);
    expect_msg(&m, SNS_EXPIRED);
    policy.max_age_s = 0;
}

/* test_bad_certificate - an expired certificate, a non-certificate, a 404 */
static void test_bad_certificate(void **state)
{
    struct msg m = notification();
    const char *paths[] = { "/expired.pem", "/garbage.pem", "/missing.pem" };

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        m.cert_path = paths[i];
        expect_msg(&m, SNS_CERT_FETCH_FAILED);
    }
}

/* test_untrusted_tls - without the test CA, the certificate host is not trusted */
static void test_untrusted_tls(void **state)
{
    struct msg m = notification();

    (void)state;
    sns_cert_cache_clear();
    policy.ca_file = DATA "test-signing.pem"; /* a CA file that did not sign the server */
    expect_msg(&m, SNS_CERT_FETCH_FAILED);
    policy.ca_file = DATA "test-ca.pem";
}
/* test_cert_cache - a certificate is fetched once, and kept after its host went away */
static void test_cert_cache(void **state)
{
    struct msg m = notification();
    char url[128];
    int before = site_requests("GET /signing.pem");

    (void)state;
    second = fake_http_start(0, tls_answer_cb, &site);
    snprintf(url, sizeof(url), "https://localhost:%d/signing.pem", second.port);
    m.cert_path = url;
    sns_cert_cache_clear();
    expect_msg(&m, SNS_OK);
    expect_msg(&m, SNS_OK);
    assert_int_equal(site_requests("GET /signing.pem"), before + 1);
    fake_http_stop(&second);
    second.pid = 0;
    expect_msg(&m, SNS_OK);
    sns_cert_cache_clear();
    expect_msg(&m, SNS_CERT_FETCH_FAILED);
}

/* test_bad_json - not JSON, not an object, a missing or malformed field */
static void test_bad_json(void **state)
{
    struct msg m = notification();
    char *body = body_of(&m);

    (void)state;
    expect(strdup("{\"Type\":"), SNS_BAD_JSON);
    expect(strdup("[1,2]"), SNS_BAD_JSON);
    expect(tamper(body, "Type", "Notice"), SNS_BAD_FIELD);
    expect(tamper(body, "Timestamp", "yesterday"), SNS_BAD_FIELD);
    expect(tamper(body, "Timestamp", "2026-01-02T03:04:05.678+01:00"), SNS_BAD_FIELD);
    m.message_id = NULL;
    expect_msg(&m, SNS_BAD_FIELD);
    free(body);
}

/* test_alarm - a CloudWatch alarm in a Notification's Message is read */
static void test_alarm(void **state)
{
    struct msg m = notification();
    struct sns_message out;
    char err[256], *body;

    (void)state;
    m.message = "{\"AlarmName\":\"api-5xx\",\"NewStateValue\":\"ALARM\",\"NewStateReason\":"
                "\"Threshold Crossed\",\"Trigger\":{\"MetricName\":\"HTTPCode_Target_5XX_Count\","
                "\"Dimensions\":[{\"name\":\"LoadBalancer\",\"value\":\"app/shop/1\"},"
                "{\"name\":\"TargetGroup\",\"value\":\"targetgroup/shop-green/2\"},{\"x\":1}]}}";
    body = body_of(&m);
    assert_int_equal(sns_verify(body, strlen(body), &policy, &out, err, sizeof(err)), SNS_OK);
    assert_int_equal(out.alarm.state, SNS_ALARM_ALARM);
    assert_string_equal(out.alarm.name, "api-5xx");
    assert_string_equal(out.alarm.reason, "Threshold Crossed");
    assert_int_equal(out.alarm.dimension_count, 2);
    assert_string_equal(out.alarm.dimensions[1].name, "TargetGroup");
    assert_string_equal(out.alarm.dimensions[1].value, "targetgroup/shop-green/2");
    sns_message_free(&out);
    free(body);
}

/* test_alarm_states - OK and INSUFFICIENT_DATA; plain text and unknown states are no alarm */
static void test_alarm_states(void **state)
{
    static const struct { const char *message; enum sns_alarm_state want; } cases[] = {
        { "{\"AlarmName\":\"a\",\"NewStateValue\":\"OK\"}", SNS_ALARM_OK },
        { "{\"AlarmName\":\"a\",\"NewStateValue\":\"INSUFFICIENT_DATA\"}",
          SNS_ALARM_INSUFFICIENT_DATA },
        { "{\"AlarmName\":\"a\",\"NewStateValue\":\"MAYBE\"}", SNS_ALARM_NONE },
        { "{\"NewStateValue\":\"ALARM\"}", SNS_ALARM_NONE },
        { "plain text", SNS_ALARM_NONE },
    };
    struct msg m = notification();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sns_message out;
        char err[256], *body;
        m.message = cases[i].message;
        body = body_of(&m);
        assert_int_equal(sns_verify(body, strlen(body), &policy, &out, err, sizeof(err)), SNS_OK);
        assert_int_equal(out.alarm.state, cases[i].want);
        assert_int_equal(out.alarm.dimension_count, 0);
        sns_message_free(&out);
        free(body);
    }
}

/* confirm - sns_confirm_subscription of m after sns_verify (or sns_parse alone) */
static int confirm(const struct msg *m, int verify)
{
    struct sns_message out;
    char err[512], *body = body_of(m);
    int rc;

    if (verify)
        assert_int_equal(sns_verify(body, strlen(body), &policy, &out, err, sizeof(err)), SNS_OK);
    else
        assert_int_equal(sns_parse(body, strlen(body), &out, err, sizeof(err)), SNS_OK);
    rc = sns_confirm_subscription(&out, &policy, err, sizeof(err));
    sns_message_free(&out);
    free(body);
    return rc;
}

/* test_confirm - only a verified SubscriptionConfirmation's allowed SubscribeURL is fetched */
static void test_confirm(void **state)
{
    struct msg c = confirmation();
    int before = site_requests("GET /confirm");

    (void)state;
    assert_int_equal(confirm(&c, 0), -1);
    assert_int_equal(site_requests("GET /confirm"), before);
    assert_int_equal(confirm(&c, 1), 0);
    assert_int_equal(site_requests("GET /confirm"), before + 1);
    c.subscribe_url = "https://127.0.0.1:1/confirm?Token=t0k3n";
    assert_int_equal(confirm(&c, 1), -1);
    c = notification();
    assert_int_equal(confirm(&c, 1), -1);
    assert_int_equal(site_requests("GET /confirm"), before + 1);
}

/* test_outcome_names - every outcome has its label */
static void test_outcome_names(void **state)
{
    (void)state;
    assert_string_equal(sns_outcome_name(SNS_OK), "ok");
    assert_string_equal(sns_outcome_name(SNS_CERT_URL_REFUSED), "cert-url-refused");
    assert_string_equal(sns_outcome_name(SNS_EXPIRED), "expired");
    assert_string_equal(sns_outcome_name((enum sns_outcome)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_to_sign_example),
        cmocka_unit_test(test_string_to_sign_own),
        cmocka_unit_test(test_valid_v1_v2),
        cmocka_unit_test(test_tampered_fields),
        cmocka_unit_test(test_signature_version),
        cmocka_unit_test(test_other_key),
        cmocka_unit_test(test_cert_url_refused),
        cmocka_unit_test(test_default_host_pattern),
        cmocka_unit_test(test_topic_not_allowed),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_bad_certificate),
        cmocka_unit_test(test_untrusted_tls),
        cmocka_unit_test(test_cert_cache),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_alarm),
        cmocka_unit_test(test_alarm_states),
        cmocka_unit_test(test_confirm),
        cmocka_unit_test(test_outcome_names),
    };

    return cmocka_run_group_tests_name("sns", tests, setup, teardown);
}
