/*
 * test_loop - io/loop.h: on a base from loop_new(), a descriptor that
 *	became readable is served while a callback keeps activating itself
 *	(a consumer's long drain), within LOOP_MAX_CALLBACKS callbacks or
 *	so; on libevent's default base it waits for the whole chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "io/loop.h"

#include <unistd.h>

#define CHAIN 1000

struct chain {
    struct event *again;
    int write_end;    /* the pipe the chain's first run makes readable */
    int runs;         /* how often the chain's callback ran */
    int served_after; /* runs when the descriptor was served; -1 before */
};

/* chain_cb - make the pipe readable on the first run (after the loop
 * polled), then run again at once, CHAIN times */
static void chain_cb(evutil_socket_t fd, short what, void *arg)
{
    struct chain *c = arg;

    (void)fd;
    (void)what;
    if (++c->runs == 1)
        assert_int_equal(write(c->write_end, "x", 1), 1);
    if (c->runs < CHAIN)
        event_active(c->again, 0, 0);
}

/* readable_cb - the descriptor's turn */
static void readable_cb(evutil_socket_t fd, short what, void *arg)
{
    struct chain *c = arg;
    char byte;

    (void)what;
    if (read(fd, &byte, 1) == 1)
        c->served_after = c->runs;
}

/* served_after - how many runs of the chain came before a readable pipe was served */
static int served_after(struct event_base *base)
{
    struct chain c = {NULL, -1, 0, -1};
    int pipefd[2];

    assert_non_null(base);
    assert_int_equal(pipe(pipefd), 0);
    c.write_end = pipefd[1];
    c.again = event_new(base, -1, 0, chain_cb, &c);
    struct event *readable = event_new(base, pipefd[0], EV_READ, readable_cb, &c);
    assert_int_equal(event_add(readable, NULL), 0);
    event_active(c.again, 0, 0);
    assert_int_equal(event_base_dispatch(base), 1); /* no events left */
    assert_int_equal(c.runs, CHAIN);
    event_free(readable);
    event_free(c.again);
    event_base_free(base);
    close(pipefd[0]);
    close(pipefd[1]);
    return c.served_after;
}

/* test_polls_within_the_chain - loop_new() serves the descriptor early */
static void test_polls_within_the_chain(void **state)
{
    int after = served_after(loop_new());

    (void)state;
    assert_in_range(after, 1, 1 + 2 * LOOP_MAX_CALLBACKS);
}

/* test_default_waits - the default base serves it after the whole chain */
static void test_default_waits(void **state)
{
    (void)state;
    assert_int_equal(served_after(event_base_new()), CHAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polls_within_the_chain),
        cmocka_unit_test(test_default_waits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
