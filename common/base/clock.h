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
 *
 *	clock_call_deadline_set() sets the time by which every call to the
 *	outside that this process makes must end (0: none): a saga effect's
 *	step sets it to when its lease runs out, so that no provider call is
 *	still under way when another process may take the effect over.
 *	Outside calls (HAProxy's Runtime API, AWS) bound their own deadline
 *	with clock_call_deadline_clip().
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
/* clock_call_deadline_set - the deadline (clock_mono_ms) of outside calls; 0 none */
void clock_call_deadline_set(int64_t deadline_ms);
/* clock_call_deadline_clip - deadline, or the call deadline when that is earlier */
int64_t clock_call_deadline_clip(int64_t deadline_ms);

#endif
