/*
 * clock - the one monotonic clock every deadline and duration uses.
 *
 * SYNOPSIS
 *	#include "base/clock.h"
 *
 *	int64_t deadline = clock_mono_ms() + timeout_ms;
 *	while (clock_mono_ms() < deadline) ...
 *
 * DESCRIPTION
 *	clock_mono_ms() is CLOCK_MONOTONIC in milliseconds: it never jumps
 *	with the wall clock, so waits and timeouts measured with it hold when
 *	the system time is set. Wall-clock times (events, the database) come
 *	from elsewhere. clock_sleep_ms() is the one pause of every poll loop
 *	and backoff.
 */
#ifndef CUTOVER_CLOCK_H
#define CUTOVER_CLOCK_H

#include <stdint.h>

int64_t clock_mono_ms(void);
/* clock_mono_seconds - the same clock in seconds, to the nanosecond: for
 * durations shorter than a millisecond (metrics) */
double clock_mono_seconds(void);
/* clock_sleep_ms - pause ms milliseconds, resumed after a signal: the one
 * sleep of every bounded poll and backoff */
void clock_sleep_ms(long ms);

#endif
