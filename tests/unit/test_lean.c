/*
 * test_lean - lean_exec() (base/lean.h): this test program starts itself
 *	again the way a worker does, then checks that it was executed with
 *	GNUTLS_NO_IMPLICIT_INIT=1 (so GnuTLS's constructor saw it) and that
 *	neither that variable nor the marker reaches a process it starts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lean.h"

/* exec_environment_has - /proc/self/environ (the environment this process
 * was executed with) holds the line want */
static int exec_environment_has(const char *want)
{
    FILE *f = fopen("/proc/self/environ", "r");
    char entry[4096];
    int found = 0, c;
    size_t n = 0;

    if (f == NULL)
        return 0;
    while ((c = fgetc(f)) != EOF) {
        if (c != '\0' && n < sizeof(entry) - 1) {
            entry[n++] = (char)c;
            continue;
        }
        entry[n] = '\0';
        found |= strcmp(entry, want) == 0;
        n = 0;
    }
    fclose(f);
    return found;
}

/* test_executed_with_the_variable - GnuTLS's constructor ran with it set */
static void test_executed_with_the_variable(void **state)
{
    (void)state;
    assert_true(exec_environment_has("GNUTLS_NO_IMPLICIT_INIT=1"));
    assert_true(exec_environment_has("CUTOVER_LEAN_EXEC=1"));
}

/* test_children_do_not_inherit - a process started now gets neither variable */
static void test_children_do_not_inherit(void **state)
{
    FILE *child = popen("env", "r");
    char line[4096];
    int leaked = 0;

    (void)state;
    assert_null(getenv("GNUTLS_NO_IMPLICIT_INIT"));
    assert_null(getenv("CUTOVER_LEAN_EXEC"));
    assert_non_null(child);
    while (fgets(line, sizeof(line), child))
        leaked |= strncmp(line, "GNUTLS_NO_IMPLICIT_INIT=", 24) == 0
                  || strncmp(line, "CUTOVER_LEAN_EXEC=", 18) == 0;
    assert_int_equal(pclose(child), 0);
    assert_false(leaked);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_executed_with_the_variable),
        cmocka_unit_test(test_children_do_not_inherit),
    };

    (void)argc;
    lean_exec(argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
