/*
 * test_appdb - the pure parts of common/appdb/: the environment's
 *              "database" object parsed (the password from a file or a
 *              variable, never inline) and an ALTER TABLE split into the
 *              table and the clauses pt-online-schema-change's --alter takes.
 *
 * DESCRIPTION
 *	No database: what touches MariaDB is tested by
 *	tests/integration/test_appdb*.sh against the development stack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "appdb/appdb_conn.h"
#include "appdb/appdb_osc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "s3cr3t-Pa55"

static char password_path[] = "/tmp/cutover-appdb-test.XXXXXX";

/* parse - appdb_config_parse of json; the config (NULL on error, err filled) */
static struct appdb_config *parse(const char *json, char *err, size_t err_len)
{
    struct appdb_config *cfg = NULL;

    err[0] = '\0';
    if (appdb_config_parse(json, &cfg, err, err_len) != 0)
        assert_null(cfg);
    return cfg;
}

/* doc - a database object with password_file and extra members appended */
static const char *doc(const char *extra)
{
    static char text[1024];

    snprintf(text, sizeof(text),
             "{\"engine\": \"mysql\", \"database\": \"shop\", \"user\": \"migrator\","
             " \"password_file\": \"%s\"%s}", password_path, extra);
    return text;
}

/* test_password_file_and_defaults - the first line of the file; the policy's defaults */
static void test_password_file_and_defaults(void **state)
{
    char err[256];
    struct appdb_config *cfg = parse(doc(""), err, sizeof(err));

    (void)state;
    assert_non_null(cfg);
    assert_string_equal(cfg->password, SECRET);
    assert_string_equal(cfg->host, "127.0.0.1");
    assert_int_equal(cfg->port, 3306);
    assert_int_equal(cfg->threshold_rows, APPDB_DEFAULT_THRESHOLD_ROWS);
    assert_string_equal(cfg->max_load, "Threads_running=25");
    assert_int_equal(cfg->allow_commands, 0);
    appdb_config_free(cfg);
}

/* test_policy - threshold, pt_osc options and allow_commands read */
static void test_policy(void **state)
{
    char err[256];
    struct appdb_config *cfg = parse(doc(", \"online_threshold_rows\": 5, \"allow_commands\": true,"
                                         " \"pt_osc\": {\"max_load\": \"Threads_running=9\","
                                         " \"chunk_time\": 0.25}, \"port\": 3307"),
                                     err, sizeof(err));

    (void)state;
    assert_non_null(cfg);
    assert_int_equal(cfg->threshold_rows, 5);
    assert_int_equal(cfg->allow_commands, 1);
    assert_int_equal(cfg->port, 3307);
    assert_string_equal(cfg->max_load, "Threads_running=9");
    assert_true(cfg->chunk_time > 0.24 && cfg->chunk_time < 0.26);
    appdb_config_free(cfg);
}

/* test_password_env - the variable's value; an unset variable is an error */
static void test_password_env(void **state)
{
    char err[256];
    const char *json = "{\"engine\": \"mysql\", \"database\": \"shop\", \"user\": \"u\","
                       " \"password_env\": \"CUTOVER_TEST_APPDB_PASSWORD\"}";
    struct appdb_config *cfg;

    (void)state;
    unsetenv("CUTOVER_TEST_APPDB_PASSWORD");
    assert_null(parse(json, err, sizeof(err)));
    assert_non_null(strstr(err, "CUTOVER_TEST_APPDB_PASSWORD is not set"));
    setenv("CUTOVER_TEST_APPDB_PASSWORD", SECRET, 1);
    cfg = parse(json, err, sizeof(err));
    assert_non_null(cfg);
    assert_string_equal(cfg->password, SECRET);
    appdb_config_free(cfg);
    unsetenv("CUTOVER_TEST_APPDB_PASSWORD");
}

/* test_refused - an inline password, no password source, another engine, bad names */
static void test_refused(void **state)
{
    static const char *const bad[] = {
        "{\"engine\": \"mysql\", \"database\": \"shop\", \"user\": \"u\", \"password\": \"" SECRET "\"}",
        "{\"engine\": \"mysql\", \"database\": \"shop\", \"user\": \"u\"}",
        "{\"engine\": \"postgres\", \"database\": \"shop\", \"user\": \"u\", \"password_env\": \"X\"}",
        "{\"engine\": \"mysql\", \"database\": \"shop`; DROP\", \"user\": \"u\", \"password_env\": \"X\"}",
        "{\"engine\": \"mysql\", \"user\": \"u\", \"password_env\": \"X\"}",
        "[1]",
    };
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(parse(bad[i], err, sizeof(err)));
        assert_true(err[0] != '\0');
        assert_null(strstr(err, SECRET));
    }
}

/* test_alter_parse - the table's last name part and the clauses' text */
static void test_alter_parse(void **state)
{
    struct appdb_alter a;
    const char *text = "ALTER TABLE `shop`.`orders` ADD COLUMN note VARCHAR(20) NULL, ADD INDEX i (v)";

    (void)state;
    assert_int_equal(appdb_alter_parse(text, strlen(text), &a), 0);
    assert_string_equal(a.table, "orders");
    assert_string_equal(a.clauses, "ADD COLUMN note VARCHAR(20) NULL, ADD INDEX i (v)");
    appdb_alter_free(&a);
    text = "alter table orders drop column legacy";
    assert_int_equal(appdb_alter_parse(text, strlen(text), &a), 0);
    assert_string_equal(a.table, "orders");
    assert_string_equal(a.clauses, "drop column legacy");
    appdb_alter_free(&a);
}

/* test_alter_parse_other - anything but ALTER TABLE name clauses is not for the tool */
static void test_alter_parse_other(void **state)
{
    static const char *const other[] = {
        "CREATE TABLE t (id INT)", "ALTER TABLE t", "INSERT INTO t VALUES (1)",
        "ALTER TABLE `we ird` ADD COLUMN c INT", "ALTER VIEW v AS SELECT 1",
    };
    struct appdb_alter a;

    (void)state;
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        assert_int_equal(appdb_alter_parse(other[i], strlen(other[i]), &a), -1);
        appdb_alter_free(&a);
    }
}

/* setup_password - a password file of our own */
static int setup_password(void **state)
{
    int fd = mkstemp(password_path);
    FILE *f = fdopen(fd, "w");

    (void)state;
    if (f == NULL)
        return -1;
    fputs(SECRET "\nsecond line ignored\n", f);
    return fclose(f);
}

/* teardown_password - remove it */
static int teardown_password(void **state)
{
    (void)state;
    return unlink(password_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_file_and_defaults),
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_password_env),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_alter_parse),
        cmocka_unit_test(test_alter_parse_other),
    };

    return cmocka_run_group_tests(tests, setup_password, teardown_password);
}
