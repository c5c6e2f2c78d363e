/*
 * test_kafka_credentials - where a process finds its Kafka SASL user name
 *	and password: CUTOVER_KAFKA_SASL_USERNAME with _PASSWORD or
 *	_PASSWORD_FILE, else its own file (named as log_init named the
 *	process) in CUTOVER_KAFKA_CREDENTIALS_DIR, two lines.
 *
 * DESCRIPTION
 *	Each test starts with no CUTOVER_* variable set and a fresh
 *	temporary directory, writes the files it needs and checks
 *	kafka_sasl_credentials(): what it returns, and that an error message
 *	names the file but never holds the password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/config.h"
#include "base/log.h"
#include "io/kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char test_dir[64];

/* write_file - NAME in the test directory holding TEXT; its path in out */
static void write_file(const char *name, const char *text, char *out, size_t out_len)
{
    FILE *f;

    snprintf(out, out_len, "%s/%s", test_dir, name);
    f = fopen(out, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* load - load the configuration from the variables set so far */
static void load(void)
{
    char err[256] = "";

    config_free();
    assert_int_equal(config_load(err, sizeof(err)), 0);
}

/* credentials - kafka_sasl_credentials into the caller's buffers (user
 * 64 bytes, err 256) */
static int credentials(char *user, char *password, size_t password_len, char *err)
{
    return kafka_sasl_credentials(user, 64, password, password_len, err, 256);
}

/* setup - no CUTOVER_* variable, a fresh directory as CUTOVER_KAFKA_CREDENTIALS_DIR */
static int setup(void **state)
{
    (void)state;
    for (unsigned i = 0; i < config_var_count; i++)
        unsetenv(config_vars[i].name);
    snprintf(test_dir, sizeof(test_dir), "/tmp/test_kafka_credentials.XXXXXX");
    assert_non_null(mkdtemp(test_dir));
    setenv("CUTOVER_KAFKA_CREDENTIALS_DIR", test_dir, 1);
    return 0;
}

/* teardown - remove the directory and what the test wrote in it */
static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
    assert_int_equal(system(cmd), 0);
    config_free();
    return 0;
}

/* test_own_file - the file named after the process gives both */
static void test_own_file(void **state)
{
    char path[256], user[64], password[64], err[256] = "";

    (void)state;
    write_file("scaler", "cutover-scaler\nscaler-secret\n", path, sizeof(path));
    write_file("deployer", "cutover-deployer\ndeployer-secret\n", path, sizeof(path));
    log_init("scaler");
    load();
    assert_int_equal(credentials(user, password, sizeof(password), err), 0);
    assert_string_equal(user, "cutover-scaler");
    assert_string_equal(password, "scaler-secret");
}

/* test_variables_win - the user name variable and the password file win over the directory */
static void test_variables_win(void **state)
{
    char path[256], user[64], password[64], err[256] = "";

    (void)state;
    write_file("cli", "cutover-cli\ncli-secret\n", path, sizeof(path));
    write_file("admin-password", "admin-secret\n", path, sizeof(path));
    setenv("CUTOVER_KAFKA_SASL_USERNAME", "admin", 1);
    setenv("CUTOVER_KAFKA_SASL_PASSWORD_FILE", path, 1);
    log_init("cli");
    load();
    assert_int_equal(credentials(user, password, sizeof(password), err), 0);
    assert_string_equal(user, "admin");
    assert_string_equal(password, "admin-secret");
}

/* test_none - neither the variables nor a directory: 1, nothing to set */
static void test_none(void **state)
{
    char user[64], password[64], err[256] = "";

    (void)state;
    unsetenv("CUTOVER_KAFKA_CREDENTIALS_DIR");
    load();
    assert_int_equal(credentials(user, password, sizeof(password), err), 1);
}

/* test_missing_file - no file for this process: -1 naming the path */
static void test_missing_file(void **state)
{
    char user[64], password[64], err[256] = "";

    (void)state;
    log_init("web");
    load();
    assert_int_equal(credentials(user, password, sizeof(password), err), -1);
    assert_non_null(strstr(err, "/web: No such file or directory"));
}

/* test_bad_files - one line, an empty user, a password too long: -1, the
 * message names the file and holds no part of the password */
static void test_bad_files(void **state)
{
    static const char *const texts[] = {
        "cutover-shifter\n",
        "\nshifter-secret\n",
        "cutover-shifter\nshifter-secret-far-too-long-for-the-buffer-given-here-by-this-test\n",
    };
    char path[256], user[64], password[24], err[256];

    (void)state;
    log_init("shifter");
    load();
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        write_file("shifter", texts[i], path, sizeof(path));
        err[0] = '\0';
        assert_int_equal(credentials(user, password, sizeof(password), err), -1);
        assert_non_null(strstr(err, "/shifter: not a user name line and a password line"));
        assert_null(strstr(err, "secret"));
    }
}

/* test_parse_bytes - kafka_credentials_parse: CR LF lines and blank lines after
 * them pass; a third line, a NUL or a CR inside a line, a missing password
 * are refused and the password buffer is left wiped */
static void test_parse_bytes(void **state)
{
    static const char good[] = "cutover-web\r\nweb-secret\r\n\n";
    static const struct { const char *text; size_t size; } bad[] = {
        { "u\np\nthird\n", 12 }, { "u\np\0w\n", 7 }, { "u\rx\np\n", 7 }, { "u\n", 2 },
        { "u\n\n", 3 },
    };
    char user[64], password[64];

    (void)state;
    assert_int_equal(kafka_credentials_parse(good, sizeof(good) - 1, user, sizeof(user), password,
                                             sizeof(password)), 0);
    assert_string_equal(user, "cutover-web");
    assert_string_equal(password, "web-secret");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(password, 'x', sizeof(password));
        assert_int_equal(kafka_credentials_parse(bad[i].text, bad[i].size, user, sizeof(user),
                                                 password, sizeof(password)), -1);
        assert_int_equal(password[0], 0);
    }
}

/* main - run the tests */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_own_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_variables_win, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test(test_parse_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
