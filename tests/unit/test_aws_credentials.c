/*
 * test_aws_credentials - where AWS credentials and the region come from:
 *	environment, profile files, precedence, container credentials, EC2
 *	instance metadata (IMDSv2), refresh before expiry, secrets kept out
 *	of the log.
 *
 * DESCRIPTION
 *	Profile files live in a temporary directory named through
 *	AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE. The container and
 *	instance metadata endpoints are AWS services that cannot run here: a
 *	stand-in, the fake server of fake_http.h, answers canned responses
 *	per "METHOD path" and answers 401 when a route's required header
 *	(the container token, the IMDSv2 session token) is missing. Each
 *	test starts from an environment without AWS_* variables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "provider/aws/aws_credentials.h"

#include "fake_http.h"

/* One canned answer of the stand-in server. */
struct route {
    const char *request;  /* "GET /path" */
    const char *required; /* header line that must be present, or NULL */
    const char *body;     /* "%d" is replaced by the number of requests served */
};

/* The stand-in's routes: a table and its length. */
struct routes {
    const struct route *route;
    size_t n;
};

static char tmpdir[] = "/tmp/cutover-aws-creds-XXXXXX";

/* fill_body - template with "%d" replaced by served */
static void fill_body(char *out, size_t out_len, const char *template, int served)
{
    const char *mark = strstr(template, "%d");

    if (mark)
        snprintf(out, out_len, "%.*s%d%s", (int)(mark - template), template, served, mark + 2);
    else
        snprintf(out, out_len, "%s", template);
}

/* answer_cb - read one request on fd and answer from the routes in arg */
static void answer_cb(int fd, int served, const void *arg)
{
    const struct routes *routes = arg;
    char req[8192], body[4096];
    int status = 404;

    fake_http_read_request(fd, req, sizeof(req));
    snprintf(body, sizeof(body), "not found");
    for (size_t i = 0; i < routes->n; i++) {
        const struct route *rt = &routes->route[i];
        size_t rl = strlen(rt->request);
        if (strncmp(req, rt->request, rl) != 0 || req[rl] != ' ')
            continue;
        status = rt->required && !strstr(req, rt->required) ? 401 : 200;
        if (status == 200)
            fill_body(body, sizeof(body), rt->body, served);
        else
            snprintf(body, sizeof(body), "unauthorized");
        break;
    }
    fake_http_respond(fd, status, "", body);
}

/* server_start - the stand-in answering route[0..n) until stopped */
static struct fake_http server_start(const struct route *route, size_t n)
{
    const struct routes routes = { route, n };

    return fake_http_start(0, answer_cb, &routes);
}

/* clean_env - no AWS_* variable, no profile files, no metadata */
static int clean_env(void **state)
{
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    return 0;
}

/* write_file - tmpdir/name with text; its path in a static buffer */
static const char *write_file(const char *name, const char *text)
{
    static char path[512];

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* use_profile_files - the credentials and config files of the profile tests */
static void use_profile_files(void)
{
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           write_file("credentials", "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\n"
                                     "aws_secret_access_key = secret-default\n\n"
                                     "[dev]\n  aws_access_key_id=AKIDDEV \n"
                                     "aws_secret_access_key=secret-dev\naws_session_token = tok-dev\n"
                                     "[half]\naws_access_key_id = AKIDHALF\n"),
           1);
    setenv("AWS_CONFIG_FILE",
           write_file("config", "[default]\nregion = eu-west-1\n"
                                "[profile dev]\nregion=eu-central-1\ns3 =\n  max_concurrent_requests = 2\n"
                                "[profile cfgonly]\naws_access_key_id = AKIDCFG\n"
                                "aws_secret_access_key = secret-cfg\nregion = us-west-2\n"
                                "[cfgonly]\nregion = wrong-section\n"),
           1);
}

/* load - aws_credentials_load, expecting success */
static void load(struct aws_credentials *c)
{
    char err[512] = "";

    if (aws_credentials_load(c, err, sizeof(err)) != 0)
        fail_msg("aws_credentials_load: %s", err);
}

/* test_env - the environment, with and without a session token */
static void test_env(void **state)
{
    struct aws_credentials c;
    char err[256];

    (void)state;
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-env", 1);
    load(&c);
    assert_string_equal(c.access_key_id, "AKIDENV");
    assert_string_equal(c.secret_access_key, "secret-env");
    assert_null(c.session_token);
    assert_string_equal(c.source, "environment");
    aws_credentials_clear(&c);
    setenv("AWS_SESSION_TOKEN", "tok-env", 1);
    load(&c);
    assert_string_equal(c.session_token, "tok-env");
    aws_credentials_clear(&c);
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(aws_credentials_load(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

/* test_profiles - default and named profiles, config-only profile, errors */
static void test_profiles(void **state)
{
    struct aws_credentials c;
    char err[256];

    (void)state;
    use_profile_files();
    load(&c);
    assert_string_equal(c.access_key_id, "AKIDDEFAULT");
    assert_string_equal(c.source, "shared-credentials-file");
    aws_credentials_clear(&c);
    setenv("AWS_PROFILE", "dev", 1);
    load(&c);
    assert_string_equal(c.access_key_id, "AKIDDEV");
    assert_string_equal(c.secret_access_key, "secret-dev");
    assert_string_equal(c.session_token, "tok-dev");
    aws_credentials_clear(&c);
    setenv("AWS_PROFILE", "cfgonly", 1);
    load(&c);
    assert_string_equal(c.access_key_id, "AKIDCFG");
    assert_string_equal(c.source, "config-file");
    aws_credentials_clear(&c);
    setenv("AWS_PROFILE", "half", 1);
    assert_int_equal(aws_credentials_load(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "only one of"));
    setenv("AWS_PROFILE", "nosuch", 1);
    assert_int_equal(aws_credentials_load(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "nosuch"));
}

/* test_region - AWS_REGION, AWS_DEFAULT_REGION, then the profile */
static void test_region(void **state)
{
    char region[64];

    (void)state;
    assert_int_equal(aws_region_resolve(region, sizeof(region)), -1);
    use_profile_files();
    assert_int_equal(aws_region_resolve(region, sizeof(region)), 0);
    assert_string_equal(region, "eu-west-1");
    setenv("AWS_PROFILE", "cfgonly", 1);
    assert_int_equal(aws_region_resolve(region, sizeof(region)), 0);
    assert_string_equal(region, "us-west-2");
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    assert_int_equal(aws_region_resolve(region, sizeof(region)), 0);
    assert_string_equal(region, "ap-south-1");
    setenv("AWS_REGION", "sa-east-1", 1);
    assert_int_equal(aws_region_resolve(region, sizeof(region)), 0);
    assert_string_equal(region, "sa-east-1");
}

/* test_precedence - environment before files, files before container */
static void test_precedence(void **state)
{
    struct aws_credentials c;

    (void)state;
    use_profile_files();
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/never-asked", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-env", 1);
    load(&c);
    assert_string_equal(c.source, "environment");
    aws_credentials_clear(&c);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    load(&c);
    assert_string_equal(c.source, "shared-credentials-file");
    aws_credentials_clear(&c);
}

#define CONTAINER_JSON                                                                  \
    "{\"AccessKeyId\":\"AKIDCTR%d\",\"SecretAccessKey\":\"secret-ctr\",\"Token\":\"tok-ctr\"," \
    "\"Expiration\":\"2030-01-01T00:00:00Z\"}"

/* test_container - full URI with a token, a token file, refused hosts */
static void test_container(void **state)
{
    static const struct route routes[] = {
        { "GET /v2/credentials", "Authorization: ctr-token\r\n", CONTAINER_JSON },
    };
    struct fake_http s = server_start(routes, 1);
    struct aws_credentials c;
    char url[128], err[256];

    (void)state;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v2/credentials", s.port);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ctr-token", 1);
    load(&c);
    assert_string_equal(c.source, "container");
    assert_string_equal(c.access_key_id, "AKIDCTR1");
    assert_string_equal(c.session_token, "tok-ctr");
    assert_int_equal(c.expiration, 1893456000LL);
    aws_credentials_clear(&c);
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    assert_int_equal(aws_credentials_load(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "HTTP 401"));
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", write_file("token", "ctr-token\n"), 1);
    load(&c);
    assert_string_equal(c.access_key_id, "AKIDCTR3");
    aws_credentials_clear(&c);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
    assert_int_equal(aws_credentials_load(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "FULL_URI"));
    fake_http_stop(&s);
}

#define IMDS_JSON                                                                        \
    "{\"Code\":\"Success\",\"AccessKeyId\":\"AKIDIMDS%d\",\"SecretAccessKey\":\"secret-imds\"," \
    "\"Token\":\"tok-imds\",\"Expiration\":\"2030-01-01T00:00:00Z\"}"

/* test_imds - IMDSv2 token, role, credentials; disabled; unreachable */
static void test_imds(void **state)
{
    static const struct route routes[] = {
        { "PUT /latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n", "imds-tok" },
        { "GET /latest/meta-data/iam/security-credentials/", "X-aws-ec2-metadata-token: imds-tok\r\n",
          "web-role\n" },
        { "GET /latest/meta-data/iam/security-credentials/web-role",
          "X-aws-ec2-metadata-token: imds-tok\r\n", IMDS_JSON },
    };
    struct fake_http s = server_start(routes, 3);
    struct aws_credentials c;
    char url[128], err[256];

    (void)state;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
    assert_int_equal(aws_credentials_from_imds(&c, err, sizeof(err)), 1);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    load(&c);
    assert_string_equal(c.source, "imds");
    assert_string_equal(c.access_key_id, "AKIDIMDS3");
    assert_string_equal(c.secret_access_key, "secret-imds");
    assert_string_equal(c.session_token, "tok-imds");
    aws_credentials_clear(&c);
    fake_http_stop(&s);
    assert_int_equal(aws_credentials_from_imds(&c, err, sizeof(err)), 1);
    assert_int_equal(aws_credentials_load(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no AWS credentials"));
}

/* test_cache_refresh - kept until five minutes before expiry, then fetched again */
static void test_cache_refresh(void **state)
{
    static const struct route routes[] = { { "GET /c", NULL, CONTAINER_JSON } };
    struct fake_http s = server_start(routes, 1);
    struct aws_credentials_cache *cache = aws_credentials_cache_create();
    const struct aws_credentials *c;
    const long long expiry = 1893456000LL;
    char url[128], err[256];

    (void)state;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/c", s.port);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    assert_int_equal(aws_credentials_cache_get(cache, expiry - 3600, &c, err, sizeof(err)), 0);
    assert_string_equal(c->access_key_id, "AKIDCTR1");
    assert_int_equal(aws_credentials_cache_get(cache, expiry - 301, &c, err, sizeof(err)), 0);
    assert_string_equal(c->access_key_id, "AKIDCTR1");
    assert_int_equal(aws_credentials_cache_get(cache, expiry - 300, &c, err, sizeof(err)), 0);
    assert_string_equal(c->access_key_id, "AKIDCTR2");
    fake_http_stop(&s);
    /* refresh fails: the old ones serve until they really expire */
    assert_int_equal(aws_credentials_cache_get(cache, expiry - 10, &c, err, sizeof(err)), 0);
    assert_string_equal(c->access_key_id, "AKIDCTR2");
    assert_int_equal(aws_credentials_cache_get(cache, expiry, &c, err, sizeof(err)), -1);
    aws_credentials_cache_free(cache);
}

/* test_secrets_not_logged - debug logging of a load shows no secret */
static void test_secrets_not_logged(void **state)
{
    struct aws_credentials c;
    char log_path[512], text[4096] = "";
    int saved = dup(2);

    (void)state;
    snprintf(log_path, sizeof(log_path), "%s/log", tmpdir);
    FILE *f = fopen(log_path, "w+");
    assert_non_null(f);
    dup2(fileno(f), 2);
    log_set_level(LOG_DEBUG);
    setenv("AWS_PROFILE", "dev", 1);
    use_profile_files();
    load(&c);
    aws_credentials_clear(&c);
    setenv("AWS_PROFILE", "half", 1);
    assert_int_equal(aws_credentials_load(&c, text, sizeof(text)), -1);
    log_set_level(LOG_INFO);
    dup2(saved, 2);
    close(saved);
    rewind(f);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "shared-credentials-file"));
    assert_null(strstr(text, "secret-dev"));
    assert_null(strstr(text, "tok-dev"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_env, clean_env),
        cmocka_unit_test_setup(test_profiles, clean_env),
        cmocka_unit_test_setup(test_region, clean_env),
        cmocka_unit_test_setup(test_precedence, clean_env),
        cmocka_unit_test_setup(test_container, clean_env),
        cmocka_unit_test_setup(test_imds, clean_env),
        cmocka_unit_test_setup(test_cache_refresh, clean_env),
        cmocka_unit_test_setup(test_secrets_not_logged, clean_env),
    };
    char cmd[600];
    int failed;

    if (!mkdtemp(tmpdir))
        return 1;
    log_init("test_aws_credentials");
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        failed++;
    return failed;
}
