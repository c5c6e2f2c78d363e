/*
 * test_kafka_producer - the producer against the real broker:
 *                       kafka_producer_warm asks about every named topic
 *                       and counts those the broker described with a
 *                       leader for each partition (a topic that does not
 *                       exist is not counted); a producer made with a
 *                       linger holds a lone record for it, one made
 *                       without sends it at once.
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

#include "base/clock.h"
#include "base/config.h"
#include "io/event.h"
#include "io/kafka.h"

#include <event2/event.h>
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
    snprintf(prefix, sizeof(prefix), "test-producer-%ld.", (long)getpid());
    setenv("CUTOVER_TOPIC_PREFIX", prefix, 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    assert_int_equal(kafka_topics_create(event_topics, event_topic_count(), 1, 1, err,
                                         sizeof(err)),
                     0);
    *state = kafka_producer_create(NULL, delivered_cb, NULL, 0, err, sizeof(err));
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

/* acked_at_cb - the time (clock_mono_ms) the broker acknowledged a record */
static void acked_at_cb(rd_kafka_resp_err_t err, void *opaque, void *arg)
{
    int64_t *at = arg;

    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        *at = clock_mono_ms();
}

/* warmed_producer - a producer on base with this linger that knows build-ready */
static struct kafka_producer *warmed_producer(struct event_base *base, int64_t *acked_at,
                                              int linger_ms)
{
    const char *const topics[] = {"build-ready"};
    char err[512];
    struct kafka_producer *p = kafka_producer_create(base, acked_at_cb, acked_at, linger_ms, err,
                                                     sizeof(err));

    assert_non_null(p);
    assert_int_equal(kafka_producer_warm(p, topics, 1), 1);
    return p;
}

/* a record sent by a producer with a 400 ms linger waits for it; the same
 * record sent at the same time without a linger is acknowledged first */
static void test_linger_holds_a_record(void **state)
{
    int64_t at_once = 0, at_linger = 0;
    const struct timeval tick = {0, 50000};

    if (*state == NULL)
        skip();
    struct event_base *base = event_base_new();
    assert_non_null(base);
    struct kafka_producer *once = warmed_producer(base, &at_once, 0);
    struct kafka_producer *linger = warmed_producer(base, &at_linger, 400);
    int64_t sent = clock_mono_ms();
    assert_int_equal(kafka_producer_send(once, "build-ready", "k", "{}", 2, NULL), 0);
    assert_int_equal(kafka_producer_send(linger, "build-ready", "k", "{}", 2, NULL), 0);
    while ((at_once == 0 || at_linger == 0) && clock_mono_ms() < sent + 10000) {
        event_base_loopexit(base, &tick);
        event_base_loop(base, EVLOOP_ONCE);
    }
    assert_true(at_once > 0 && at_linger > 0);
    assert_true(at_linger - sent >= 300);
    assert_true(at_once < at_linger);
    kafka_producer_free(once);
    kafka_producer_free(linger);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_topics_led, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_topic_not_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linger_holds_a_record, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
