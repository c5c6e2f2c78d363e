/*
 * test_config - the CUTOVER_* configuration table: defaults, overrides,
 *	bounds, enumerations, booleans, masking of secrets, unknown names.
 *
 * DESCRIPTION
 *	Each test starts from an environment with no CUTOVER_* variable set
 *	and nothing loaded, sets what it needs, and checks config_load(),
 *	config_get*() and config_print() output (captured with
 *	open_memstream). Log lines are captured by pointing fd 2 at a
 *	temporary file (capture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/config.h"

#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* clean_env - unset every CUTOVER_* variable and forget loaded values */
static int clean_env(void **state)
{
    (void)state;
    for (unsigned i = 0; i < config_var_count; i++)
        unsetenv(config_vars[i].name);
    unsetenv("CUTOVER_NO_SUCH_SETTING");
    unsetenv("CUTOVER_REDIS_PORT");
    unsetenv("CUTOVER_WORDPRESS_TABLE_PREFIX");
    config_free();
    return 0;
}

/* print_config - config_print() output as a string the caller frees */
static char *print_config(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_non_null(out);
    config_print(out);
    fclose(out);
    return text;
}

/* load_error - load and expect failure; the message in err */
static void load_error(const char *name, const char *value, const char *expected)
{
    char err[256] = "";

    setenv(name, value, 1);
    assert_int_equal(config_load(err, sizeof(err)), -1);
    assert_string_equal(err, expected);
    unsetenv(name);
}

/* test_defaults - no environment: the table defaults */
static void test_defaults(void **state)
{
    char err[256] = "";

    (void)state;
    assert_int_equal(config_load(err, sizeof(err)), 0);
    assert_string_equal(config_get("CUTOVER_KAFKA_BROKERS"), "127.0.0.1:9092");
    assert_string_equal(config_get("CUTOVER_TOPIC_PREFIX"), "");
    assert_null(config_get("CUTOVER_HAPROXY_SOCKET"));
    assert_int_equal(config_get_int("CUTOVER_TOPIC_PARTITIONS"), 3);
    assert_int_equal(config_get_int("CUTOVER_MAX_EVENT_BYTES"), 1048576);
    assert_int_equal(config_get_bool("CUTOVER_KAFKA_SSL_VERIFY"), 1);
}

/* test_before_load - config_get answers with defaults before any load */
static void test_before_load(void **state)
{
    (void)state;
    setenv("CUTOVER_DB_CONNECT_ATTEMPTS", "7", 1);
    assert_int_equal(config_get_int("CUTOVER_DB_CONNECT_ATTEMPTS"), 30);
    assert_int_equal(config_get_int("CUTOVER_DB_RETRY_MAX_MS"), 5000);
}

/* test_overrides - the environment wins over defaults; empty means unset */
static void test_overrides(void **state)
{
    char err[256] = "";

    (void)state;
    setenv("CUTOVER_KAFKA_BROKERS", "k1:9092,k2:9092", 1);
    setenv("CUTOVER_TOPIC_PARTITIONS", "12", 1);
    setenv("CUTOVER_SHUTDOWN_GRACE_MS", "0", 1);
    setenv("CUTOVER_RUN_DIR", "", 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    assert_string_equal(config_get("CUTOVER_KAFKA_BROKERS"), "k1:9092,k2:9092");
    assert_int_equal(config_get_int("CUTOVER_TOPIC_PARTITIONS"), 12);
    assert_int_equal(config_get_int("CUTOVER_SHUTDOWN_GRACE_MS"), 0);
    assert_string_equal(config_get("CUTOVER_RUN_DIR"), ".run");
}

/* test_int_bounds - below, above, at the bounds, and not a number */
static void test_int_bounds(void **state)
{
    char err[256] = "";

    (void)state;
    load_error("CUTOVER_TOPIC_PARTITIONS", "0", "CUTOVER_TOPIC_PARTITIONS=0: must be between 1 and 1000");
    load_error("CUTOVER_TOPIC_PARTITIONS", "1001", "CUTOVER_TOPIC_PARTITIONS=1001: must be between 1 and 1000");
    load_error("CUTOVER_TOPIC_PARTITIONS", "abc", "CUTOVER_TOPIC_PARTITIONS=abc: not an integer");
    load_error("CUTOVER_TOPIC_PARTITIONS", "12abc", "CUTOVER_TOPIC_PARTITIONS=12abc: not an integer");
    load_error("CUTOVER_TOPIC_PARTITIONS", "99999999999999999999",
               "CUTOVER_TOPIC_PARTITIONS=99999999999999999999: not an integer");
    load_error("CUTOVER_MAX_EVENT_BYTES", "1023", "CUTOVER_MAX_EVENT_BYTES=1023: must be between 1024 and 8388608");
    setenv("CUTOVER_TOPIC_PARTITIONS", "1000", 1);
    setenv("CUTOVER_MAX_EVENT_BYTES", "1024", 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    assert_int_equal(config_get_int("CUTOVER_TOPIC_PARTITIONS"), 1000);
    assert_int_equal(config_get_int("CUTOVER_MAX_EVENT_BYTES"), 1024);
}

/* test_failed_load_keeps_values - a bad reload leaves the last good values */
static void test_failed_load_keeps_values(void **state)
{
    char err[256] = "";

    (void)state;
    setenv("CUTOVER_TOPIC_REPLICATION", "3", 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    setenv("CUTOVER_TOPIC_REPLICATION", "17", 1);
    assert_int_equal(config_load(err, sizeof(err)), -1);
    assert_int_equal(config_get_int("CUTOVER_TOPIC_REPLICATION"), 3);
}

/* test_enums - allowed words pass, others fail naming the choices */
static void test_enums(void **state)
{
    char err[256] = "";

    (void)state;
    load_error("CUTOVER_LOG_LEVEL", "verbose", "CUTOVER_LOG_LEVEL=verbose: must be one of debug|info|warn|error");
    load_error("CUTOVER_KAFKA_SASL_MECHANISM", "scram",
               "CUTOVER_KAFKA_SASL_MECHANISM=scram: must be one of PLAIN|SCRAM-SHA-256|SCRAM-SHA-512");
    load_error("CUTOVER_KAFKA_SECURITY_PROTOCOL", "tls",
               "CUTOVER_KAFKA_SECURITY_PROTOCOL=tls: must be one of plaintext|ssl|sasl_plaintext|sasl_ssl");
    load_error("CUTOVER_TOPIC_PREFIX", "bad/prefix", "CUTOVER_TOPIC_PREFIX=bad/prefix: must match ^[A-Za-z0-9._-]{0,100}$");
    setenv("CUTOVER_LOG_LEVEL", "debug", 1);
    setenv("CUTOVER_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", 1);
    setenv("CUTOVER_KAFKA_SECURITY_PROTOCOL", "sasl_ssl", 1);
    setenv("CUTOVER_TOPIC_PREFIX", "staging.eu-1_", 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    assert_string_equal(config_get("CUTOVER_LOG_LEVEL"), "debug");
    assert_string_equal(config_get("CUTOVER_KAFKA_SASL_MECHANISM"), "SCRAM-SHA-512");
    assert_string_equal(config_get("CUTOVER_TOPIC_PREFIX"), "staging.eu-1_");
}

/* test_prefix_length - the topic prefix is at most 100 characters */
static void test_prefix_length(void **state)
{
    char err[256] = "", prefix[102];

    (void)state;
    memset(prefix, 'a', 100);
    prefix[100] = '\0';
    setenv("CUTOVER_TOPIC_PREFIX", prefix, 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    strcat(prefix, "a");
    setenv("CUTOVER_TOPIC_PREFIX", prefix, 1);
    assert_int_equal(config_load(err, sizeof(err)), -1);
}

/* test_bools - 1/0, true/false, yes/no in any case; anything else fails */
static void test_bools(void **state)
{
    static const struct { const char *text; int value; } cases[] = {
        { "1", 1 }, { "0", 0 }, { "true", 1 }, { "false", 0 }, { "yes", 1 },
        { "no", 0 }, { "TRUE", 1 }, { "No", 0 },
    };
    char err[256] = "";

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setenv("CUTOVER_KAFKA_SSL_VERIFY", cases[i].text, 1);
        assert_int_equal(config_load(err, sizeof(err)), 0);
        assert_int_equal(config_get_bool("CUTOVER_KAFKA_SSL_VERIFY"), cases[i].value);
    }
    load_error("CUTOVER_KAFKA_SSL_VERIFY", "maybe",
               "CUTOVER_KAFKA_SSL_VERIFY=maybe: not a boolean (1/0, true/false, yes/no)");
}

/* test_print_masks_secrets - passwords never appear in config_print output */
static void test_print_masks_secrets(void **state)
{
    char err[256] = "";

    (void)state;
    setenv("CUTOVER_DATABASE_URL", "postgresql://cutover:hunter2@db.example:5432/cutover", 1);
    setenv("CUTOVER_KAFKA_SASL_PASSWORD", "s3cret-pw", 1);
    setenv("CUTOVER_KAFKA_SASL_USERNAME", "svc", 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    char *text = print_config();
    assert_null(strstr(text, "hunter2"));
    assert_null(strstr(text, "s3cret-pw"));
    assert_non_null(strstr(text, "\nCUTOVER_DATABASE_URL=postgresql://cutover:****@db.example:5432/cutover\n"));
    assert_non_null(strstr(text, "\nCUTOVER_KAFKA_SASL_PASSWORD=****\n"));
    assert_non_null(strstr(text, "\nCUTOVER_KAFKA_SASL_USERNAME=svc\n"));
    assert_non_null(strstr(text, "CUTOVER_KAFKA_BROKERS=127.0.0.1:9092 (default)\n"));
    assert_non_null(strstr(text, "\nCUTOVER_HAPROXY_SOCKET= (unset)\n"));
    free(text);
}

/* test_print_masks_receiver_secrets - the alarm receivers' secrets are
 * masked; the files that hold them and the header name are not */
static void test_print_masks_receiver_secrets(void **state)
{
    static const char *const given[][2] = {
        {"CUTOVER_ALERTMANAGER_TOKEN", "am-token-1"},
        {"CUTOVER_ALERTMANAGER_PASSWORD", "am-pw-2"},
        {"CUTOVER_EVENTBRIDGE_API_KEY", "eb-key-3"},
        {"CUTOVER_ALERTMANAGER_TOKEN_FILE", "/etc/cutover/am-token"},
    };
    static const char *const printed[] = {
        "\nCUTOVER_ALERTMANAGER_TOKEN=****\n",
        "\nCUTOVER_ALERTMANAGER_PASSWORD=****\n",
        "\nCUTOVER_EVENTBRIDGE_API_KEY=****\n",
        "\nCUTOVER_ALERTMANAGER_TOKEN_FILE=/etc/cutover/am-token\n",
        "\nCUTOVER_EVENTBRIDGE_API_KEY_HEADER=x-api-key (default)\n",
        "\nCUTOVER_WEB_MAX_BODY=1048576 (default)\n",
    };
    char err[256] = "", *text;

    (void)state;
    for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++)
        setenv(given[i][0], given[i][1], 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    text = print_config();
    for (size_t i = 0; i < 3; i++)
        assert_null(strstr(text, given[i][1]));
    for (size_t i = 0; i < sizeof(printed) / sizeof(printed[0]); i++)
        assert_non_null(strstr(text, printed[i]));
    free(text);
    load_error("CUTOVER_WEB_MAX_BODY", "1024", "CUTOVER_WEB_MAX_BODY=1024: must be between 4096 and 67108864");
    load_error("CUTOVER_EVENTBRIDGE_API_KEY_HEADER", "x api key",
               "CUTOVER_EVENTBRIDGE_API_KEY_HEADER=x api key: must match ^[A-Za-z0-9-]{1,64}$");
}

/* secret_file - a temporary file holding text; its path in path */
static void secret_file(char *path, size_t len, const char *text)
{
    int fd;

    snprintf(path, len, "/tmp/test_config_secret.XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
}

/* get_secret - load, then config_get_secret of the Alertmanager token */
static int get_secret(char *out, size_t out_len, char *err, size_t err_len)
{
    assert_int_equal(config_load(err, err_len), 0);
    return config_get_secret("CUTOVER_ALERTMANAGER_TOKEN", out, out_len, err, err_len);
}

/* test_get_secret - from the variable, from NAME_FILE (newline dropped),
 * neither, both, and files that cannot serve; errors never hold it */
static void test_get_secret(void **state)
{
    char path[64], out[CONFIG_SECRET_MAX], err[256] = "";

    (void)state;
    assert_int_equal(get_secret(out, sizeof(out), err, sizeof(err)), 1);
    assert_string_equal(out, "");
    setenv("CUTOVER_ALERTMANAGER_TOKEN", "from-env", 1);
    assert_int_equal(get_secret(out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "from-env");
    secret_file(path, sizeof(path), "from-file\n");
    setenv("CUTOVER_ALERTMANAGER_TOKEN_FILE", path, 1);
    assert_int_equal(get_secret(out, sizeof(out), err, sizeof(err)), -1);
    assert_string_equal(err, "set CUTOVER_ALERTMANAGER_TOKEN or CUTOVER_ALERTMANAGER_TOKEN_FILE, not both");
    unsetenv("CUTOVER_ALERTMANAGER_TOKEN");
    assert_int_equal(get_secret(out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "from-file");
    assert_int_equal(get_secret(out, 5, err, sizeof(err)), -1);
    assert_null(strstr(err, "from"));
    unlink(path);
    secret_file(path, sizeof(path), "\n");
    setenv("CUTOVER_ALERTMANAGER_TOKEN_FILE", path, 1);
    assert_int_equal(get_secret(out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "the file is empty"));
    unlink(path);
    assert_int_equal(get_secret(out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
}

/* test_secret_parse - config_secret_parse: CR LF dropped, a secret that just
 * fits, and what does not serve (too long, a NUL inside, only newlines) */
static void test_secret_parse(void **state)
{
    char out[8];
    const char *why = NULL;

    (void)state;
    assert_int_equal(config_secret_parse("1234567\r\n", 9, out, sizeof(out), &why), 0);
    assert_string_equal(out, "1234567");
    assert_null(why);
    assert_int_equal(config_secret_parse("12345678", 8, out, sizeof(out), &why), -1);
    assert_string_equal(why, "longer than the longest secret");
    assert_string_equal(out, "");
    assert_int_equal(config_secret_parse("ab\0cd", 5, out, sizeof(out), &why), -1);
    assert_string_equal(why, "holds a NUL byte");
    assert_int_equal(config_secret_parse("\r\n\n", 3, out, sizeof(out), &why), -1);
    assert_string_equal(why, "the file is empty");
}

/* test_print_masks_conninfo - a password= keyword in a conninfo string */
static void test_print_masks_conninfo(void **state)
{
    char err[256] = "";

    (void)state;
    setenv("CUTOVER_DATABASE_URL", "host=db port=5432 password='a b\\'c' dbname=cutover", 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    char *text = print_config();
    assert_null(strstr(text, "a b"));
    assert_non_null(strstr(text, "CUTOVER_DATABASE_URL=host=db port=5432 password=**** dbname=cutover\n"));
    free(text);
}

/* test_mask_url - the forms a database URL takes */
static void test_mask_url(void **state)
{
    static const struct { const char *in, *out; } cases[] = {
        { "postgresql://u:p@h/db", "postgresql://u:****@h/db" },
        { "postgresql://u@h:5432/db", "postgresql://u@h:5432/db" },
        { "postgresql://h/db", "postgresql://h/db" },
        { "postgres://u:p%40ss:x@h", "postgres://u:****@h" },
        { "postgresql://u:p@h/db?sslmode=require&password=q&x=1", "postgresql://u:****@h/db?sslmode=require&password=****&x=1" },
        { "postgresql:///db?password=q", "postgresql:///db?password=****" },
        { "host=h password = pw user=u", "host=h password = **** user=u" },
        { "host=h passwordless=1", "host=h passwordless=1" },
        { "", "" },
    };
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        config_mask_url(cases[i].in, out, sizeof(out));
        assert_string_equal(out, cases[i].out);
    }
    config_mask_url("postgresql://user:secretpassword@h/db", out, 20);
    assert_null(strstr(out, "secret"));
    assert_int_equal(strlen(out), 19);
}

/* test_unknown_warns - an unknown CUTOVER_ name warns but the load succeeds */
static void test_unknown_warns(void **state)
{
    char err[256] = "";
    FILE *tmp;

    (void)state;
    setenv("CUTOVER_NO_SUCH_SETTING", "1", 1);
    int saved = capture_begin(&tmp);
    int rc = config_load(err, sizeof(err));
    char *logged = capture_end(tmp, saved);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(logged, "\"level\":\"warn\""));
    assert_non_null(strstr(logged, "CUTOVER_NO_SUCH_SETTING"));
    free(logged);
}

/* test_hook_families_quiet - the families a release's hooks read (the
 * application's Redis, the WordPress demo's settings) load without a warning */
static void test_hook_families_quiet(void **state)
{
    char err[256] = "";
    FILE *tmp;

    (void)state;
    setenv("CUTOVER_REDIS_PORT", "6379", 1);
    setenv("CUTOVER_WORDPRESS_TABLE_PREFIX", "wp_", 1);
    int saved = capture_begin(&tmp);
    int rc = config_load(err, sizeof(err));
    char *logged = capture_end(tmp, saved);
    assert_int_equal(rc, 0);
    assert_null(strstr(logged, "CUTOVER_REDIS_PORT"));
    assert_null(strstr(logged, "CUTOVER_WORDPRESS_TABLE_PREFIX"));
    free(logged);
}

/* test_usage - the help names every variable */
static void test_usage(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    (void)state;
    config_usage(out);
    fclose(out);
    for (unsigned i = 0; i < config_var_count; i++)
        assert_non_null(strstr(text, config_vars[i].name));
    assert_non_null(strstr(text, "integer 1..1000"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_before_load, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_overrides, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_int_bounds, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_failed_load_keeps_values, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_enums, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_prefix_length, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_bools, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_print_masks_secrets, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_print_masks_receiver_secrets, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_get_secret, clean_env, clean_env),
        cmocka_unit_test(test_secret_parse),
        cmocka_unit_test_setup_teardown(test_print_masks_conninfo, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_mask_url, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_unknown_warns, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_hook_families_quiet, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_usage, clean_env, clean_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
