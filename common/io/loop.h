/*
 * loop - the libevent base of a long-running process: one that polls for
 *        I/O again after a few callbacks, however many are active.
 *
 * SYNOPSIS
 *	struct event_base *base = loop_new();	(NULL when libevent fails)
 *
 * DESCRIPTION
 *	By default libevent runs every active callback, and every callback
 *	those activate in turn, before it polls for I/O again. A worker's
 *	consumer continues a long drain by activating itself after each
 *	batch, and each handled record activates the ticks: during a burst
 *	of thousands of records the loop ran them all in one pass and never
 *	polled, so the producer's delivery reports waited for minutes,
 *	outbox rows outlived their 30 s leases unacknowledged and other
 *	processes sent them again. loop_new() sets libevent's
 *	max_dispatch_interval to LOOP_MAX_CALLBACKS callbacks: after that
 *	many, the loop polls, and what became ready joins the active
 *	callbacks.
 */
#ifndef CUTOVER_LOOP_H
#define CUTOVER_LOOP_H

#include <event2/event.h>

#define LOOP_MAX_CALLBACKS 8

struct event_base *loop_new(void);

#endif
