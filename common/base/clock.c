/*
 * clock - the monotonic clock in milliseconds and seconds, the one sleep,
 *         and the deadline of outside calls (see clock.h).
 */
#include "base/clock.h"

#include <errno.h>
#include <time.h>

static int64_t clock_call_deadline; /* 0: outside calls keep their own timeouts */

/* clock_mono_ms - CLOCK_MONOTONIC in milliseconds */
int64_t clock_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* clock_mono_seconds - CLOCK_MONOTONIC in seconds */
double clock_mono_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* clock_sleep_ms - nanosleep for ms, resumed when a signal interrupts it */
void clock_sleep_ms(long ms)
{
    struct timespec left = { ms / 1000, (ms % 1000) * 1000000L };

    while (ms > 0 && nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

/* clock_call_deadline_set - outside calls end by deadline_ms; 0 lifts it */
void clock_call_deadline_set(int64_t deadline_ms)
{
    clock_call_deadline = deadline_ms;
}

/* clock_call_deadline_clip - the earlier of deadline_ms and the call deadline */
int64_t clock_call_deadline_clip(int64_t deadline_ms)
{
    return clock_call_deadline > 0 && clock_call_deadline < deadline_ms ? clock_call_deadline
                                                                      : deadline_ms;
}
