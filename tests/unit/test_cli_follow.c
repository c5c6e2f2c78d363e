/*
 * test_cli_follow - the pure parts of `cutover watch` and `--wait`: which
 *                   worker's handling decides what became of an event,
 *                   the seconds --wait and --timeout accept, and the
 *                   deadline a poll never sleeps past. The polling itself
 *                   runs against the real stack in tests/integration/
 *                   test_watch.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "cli/cli_follow.h"

/* shift - a shift-requested's data with an action */
static cJSON *shift(const char *action)
{
    cJSON *data = cJSON_CreateObject();

    cJSON_AddStringToObject(data, "action", action);
    return data;
}

/* test_consumer - the worker that acts on each event the CLI publishes */
static void test_consumer(void **state)
{
    static const struct {
        const char *topic, *action, *consumer;
    } cases[] = {
        {"build-ready", NULL, "scaler"},       {"green-validated", NULL, "shifter"},
        {"shift-requested", "shift", "shifter"}, {"shift-requested", "promote", "shifter"},
        {"shift-requested", "pause", "shifter"}, {"shift-requested", "resume", "shifter"},
        {"shift-requested", "rollback", "rollbacker"},
        {"shift-requested", "abort", "rollbacker"}, {"alarm-fired", NULL, "rollbacker"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *data = cases[i].action ? shift(cases[i].action) : cJSON_CreateObject();

        assert_string_equal(cli_wait_consumer(cases[i].topic, data), cases[i].consumer);
        cJSON_Delete(data);
    }
}

/* test_seconds - 1..CLI_WAIT_MAX_S as a whole number, nothing else */
static void test_seconds(void **state)
{
    static const char *const bad[] = {"0", "-1", "3601", "", "1.5", "10s", "abc", " 5"};
    long s = 0;

    (void)state;
    assert_int_equal(cli_follow_parse_seconds("1", &s), 0);
    assert_int_equal(s, 1);
    assert_int_equal(cli_follow_parse_seconds("3600", &s), 0);
    assert_int_equal(s, CLI_WAIT_MAX_S);
    assert_int_equal(cli_follow_parse_seconds(NULL, &s), -1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (cli_follow_parse_seconds(bad[i], &s) != -1)
            fail_msg("\"%s\" was taken as %ld seconds", bad[i], s);
}

/* test_sleep_deadline - a sleep stops at the deadline, and one past it
 * says so at once */
static void test_sleep_deadline(void **state)
{
    int64_t start = clock_mono_ms(), took;

    (void)state;
    assert_int_equal(cli_follow_sleep(5000, start + 50), 0);
    took = clock_mono_ms() - start;
    assert_true(took >= 45 && took < 1000);
    start = clock_mono_ms();
    assert_int_equal(cli_follow_sleep(5000, start - 1), -1);
    assert_true(clock_mono_ms() - start < 50);
    assert_int_equal(cli_follow_sleep(10, 0), 0); /* no deadline */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consumer),
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_sleep_deadline),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
