/*
 * clock - the monotonic clock in milliseconds and seconds (see clock.h).
 */
#include "base/clock.h"

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
