/*
 * clock - the monotonic clock in milliseconds and seconds, and the one sleep
 *         (see clock.h).
 */
#include "base/clock.h"

#include <errno.h>
#include <time.h>

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
