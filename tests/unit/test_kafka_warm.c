/*
 * test_kafka_warm - kafka_producer_warm against the real broker: it asks
 *                   about every named topic and counts those the broker
 *                   described with a leader for each partition; a topic
 *                   that does not exist is not counted.
 *
 * DESCRIPTION
 *	Needs CUTOVER_KAFKA_BROKERS from ops/devstack env (the tests are
 *	skipped without CUTOVER_DATABASE_URL, the dev stack's mark). The
 *	topics get a prefix of their own. How much sooner a warmed producer's
 *	first record is delivered is a number: tests/bench/bench_first_record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/config.h"
#include "io/event.h"
#include "io/kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* delivered_cb - the producer's reports: none expected */
static void delivered_cb(rd_kafka_resp_err_t err, void *opaque, void *arg)
{
    (void)err;
    (void)opaque;
    (void)arg;
}

/* setup - a topic prefix of this run's own, cutover's topics created */
static int setup(void **state)
{
    char prefix[64], err[512];

    *state = NULL;
    if (getenv("CUTOVER_DATABASE_URL") == NULL)
        return 0;
    snprintf(prefix, sizeof(prefix), "test-warm-%ld.", (long)getpid());
    setenv("CUTOVER_TOPIC_PREFIX", prefix, 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    assert_int_equal(kafka_topics_create(event_topics, event_topic_count(), 1, 1, err,
                                         sizeof(err)),
                     0);
    *state = kafka_producer_create(NULL, delivered_cb, NULL, err, sizeof(err));
    assert_non_null(*state);
    return 0;
}

/* teardown - the producer */
static int teardown(void **state)
{
    kafka_producer_free(*state);
    return 0;
}

/* every cutover topic is described, each with its leader */
static void test_all_topics_led(void **state)
{
    if (*state == NULL)
        skip();
    assert_int_equal(kafka_producer_warm(*state, event_topics, event_topic_count()),
                     (int)event_topic_count());
}

/* a topic nobody created is asked about, and not counted */
static void test_missing_topic_not_counted(void **state)
{
    const char *const topics[] = {"build-ready", "no-such-topic-here"};

    if (*state == NULL)
        skip();
    assert_int_equal(kafka_producer_warm(*state, topics, 2), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_topics_led, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_topic_not_counted, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
