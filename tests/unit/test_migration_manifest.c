/*
 * test_migration_manifest - a release's cutover/migrations.yml: a good one
 *                           read in order, and each way a bad one is refused.
 *
 * DESCRIPTION
 *	Each case writes the YAML to a temporary file, loads it, and checks
 *	the entries or the error (which must name the file and, where the
 *	problem has one, the line).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "validate/migration_manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[] = "/tmp/cutover-manifest-test.XXXXXX";

/* load_text - write yaml to the temporary file and load it */
static struct migration_manifest *load_text(const char *yaml, char *err, size_t err_len)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
    err[0] = '\0';
    return migration_manifest_load(path, err, err_len);
}

/* setup_path - a temporary file name of our own */
static int setup_path(void **state)
{
    int fd = mkstemp(path);

    (void)state;
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* teardown_path - remove it */
static int teardown_path(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

/* test_good - entries in file order with their phase, sql or command and line */
static void test_good(void **state)
{
    char err[512];
    struct migration_manifest *m =
        load_text("migrations:\n"
                  "  - name: add-notes\n    phase: expand\n    sql: db/0001.sql\n"
                  "  - {name: backfill, phase: expand, command: \"wp eval-file b.php\"}\n"
                  "  - name: drop\n    phase: contract\n    sql: db/0002.sql\n",
                  err, sizeof(err));

    (void)state;
    assert_non_null(m);
    assert_int_equal(m->count, 3);
    assert_string_equal(m->entries[0].name, "add-notes");
    assert_string_equal(m->entries[0].sql, "db/0001.sql");
    assert_null(m->entries[0].command);
    assert_int_equal(m->entries[0].line, 2);
    assert_string_equal(m->entries[1].command, "wp eval-file b.php");
    assert_int_equal(m->entries[2].phase, SQL_PHASE_CONTRACT);
    migration_manifest_free(m);
    assert_non_null(m = load_text("migrations: []\n", err, sizeof(err)));
    assert_int_equal(m->count, 0);
    migration_manifest_free(m);
}

/* test_bad - every refusal, with the words its error must hold */
static void test_bad(void **state)
{
    static const struct {
        const char *yaml, *error;
    } cases[] = {
        {"", "the document must be a mapping"},
        {"migrations: x\n", "line 1: migrations must be a list"},
        {"migrations: []\nextra: 1\n", "the only key is migrations"},
        {"steps: []\n", "the only key is migrations"},
        {"migrations:\n  - name: a\n    sql: a.sql\n", "line 2: a migration needs a name and a phase"},
        {"migrations:\n  - name: a\n    phase: later\n    sql: a.sql\n", "line 3: phase \"later\""},
        {"migrations:\n  - {name: a, phase: expand}\n", "exactly one of sql and command"},
        {"migrations:\n  - {name: a, phase: expand, sql: a.sql, command: x}\n", "exactly one"},
        {"migrations:\n  - {name: a, phase: expand, sql: /etc/passwd}\n", "must be relative"},
        {"migrations:\n  - {name: a, phase: expand, sql: db/../../x.sql}\n", "without \"..\""},
        {"migrations:\n  - {name: a, phase: expand, sql: a.sql, when: now}\n", "unknown key \"when\""},
        {"migrations:\n  - {name: a, name: b, phase: expand, sql: a.sql}\n", "name appears twice"},
        {"migrations:\n  - {name: a, phase: expand, sql: a.sql}\n  - {name: a, phase: contract, "
         "sql: b.sql}\n", "migration \"a\" appears twice"},
        {"migrations:\n  - {name: '', phase: expand, sql: a.sql}\n", "non-empty text"},
        {"migrations:\n  - [a, b]\n", "a migration is a mapping"},
        {"migrations:\n  - {name: a\n", "line 3 column 1"},
    };
    struct migration_manifest *m;
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        m = load_text(cases[i].yaml, err, sizeof(err));
        if (m != NULL || strstr(err, cases[i].error) == NULL || strstr(err, path) == NULL)
            fail_msg("case %zu: expected \"%s\", got \"%s\"", i, cases[i].error, err);
    }
}

/* test_missing - a file that is not there names itself */
static void test_missing(void **state)
{
    char err[512];

    (void)state;
    assert_null(migration_manifest_load("/nonexistent/migrations.yml", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/migrations.yml: No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_missing),
    };

    return cmocka_run_group_tests(tests, setup_path, teardown_path);
}
