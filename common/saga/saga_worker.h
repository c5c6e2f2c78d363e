/*
 * saga_worker - binds the saga engine to the worker skeleton: the saga's
 *               context of a worker process, and the tick that fires the
 *               durable timers and steps the worker's effects.
 *
 * SYNOPSIS
 *	static const struct effect_handler scaler_effects[] = {
 *		{ SAGA_FX_SCALE_NEW, scaler_scale_new_step }, ...
 *	};
 *	static const struct saga_effects scaler_saga = SAGA_EFFECTS(scaler_effects);
 *	static const struct worker_tick scaler_ticks[] = { SAGA_TICK(&scaler_saga) };
 *
 *	static int scaler_build_ready(struct worker *w, const struct cloud_event *ev,
 *	                              struct event_error *err)
 *	{
 *		return deployment_receive(saga_ctx_of(w), ev, err);
 *	}
 *
 * DESCRIPTION
 *	The skeleton knows nothing of the saga: the saga plugs in through the
 *	skeleton's own tick hooks. At start the tick checks the worker's
 *	effect steps against the one table of owners (effect_owners_check)
 *	and stops the process on a mismatch: an effect nobody performs would
 *	stall every deployment. It then fires right after each handled record,
 *	whenever the database notifies SAGA_EFFECTS_CHANNEL with the worker's
 *	name (an effect of its became claimable: written, its predecessor
 *	ended, or handed back) or with "*" (a timer armed already due;
 *	migration 0016) from another process (worker_wake_on), and on
 *	CUTOVER_TIMER_POLL_MS for timers that come due
 *	later and for a notification lost with a connection; at shutdown
 *	it hands held effects back and closes the providers. An effect that a
 *	record's transaction claimed for this process (effect_claim_now: the
 *	rollbacker's restore-weights) is stepped by the tick's committed hook,
 *	right after the commit and before the record's events are published.
 *
 *	The rollbacker's periodic checks (SAGA_GUARD_TICK, SAGA_HEALTH_TICK)
 *	and the validator's (SAGA_ANALYSIS_TICK) each run one function of the
 *	context on their own interval, while the database is up.
 *
 *	saga_ctx_of() returns the process's one context (a worker process
 *	runs one worker): its database, its name, and its outbox as the sink.
 */
#ifndef CUTOVER_SAGA_WORKER_H
#define CUTOVER_SAGA_WORKER_H

#include "saga/effect.h"
#include "saga/saga_ctx.h"
#include "worker/worker.h"

#include <stddef.h>

/* The channel on which the database names the worker to wake. */
#define SAGA_EFFECTS_CHANNEL "cutover_effects"

/* The effect steps of one worker. */
struct saga_effects {
    const struct effect_handler *handlers;
    size_t count;
};

#define SAGA_EFFECTS(table) {(table), sizeof(table) / sizeof((table)[0])}

#define SAGA_TICK(effects)                                                                         \
    {                                                                                              \
        .name = "saga", .interval_var = "CUTOVER_TIMER_POLL_MS", .fire = saga_tick_fire,           \
        .arg = (effects), .start = saga_tick_start, .stop = saga_tick_stop,                        \
        .after_each_record = 1, .committed = saga_tick_committed,                                  \
    }

/* A periodic check that needs only the saga's context (its tick's arg). */
struct saga_check {
    void (*run)(struct saga_ctx *ctx);
};

extern const struct saga_check saga_guard_check, saga_health_check, saga_analysis_check;

/* SAGA_GUARD_TICK - the rollbacker's check that the old color could take
 * all the traffic back (guard.h) */
#define SAGA_GUARD_TICK                                                                            \
    {.name = "rollback-guard", .interval_var = "CUTOVER_ROLLBACK_GUARD_MS",                       \
     .fire = saga_check_fire, .arg = &saga_guard_check}

/* SAGA_HEALTH_TICK - the rollbacker's reading of each color's health into
 * the database (health.h) */
#define SAGA_HEALTH_TICK                                                                           \
    {.name = "color-health", .interval_var = "CUTOVER_HEALTH_CHECK_MS", .fire = saga_check_fire,  \
     .arg = &saga_health_check}

/* SAGA_ANALYSIS_TICK - the validator's analysis gates between canary
 * steps (analysis.h) */
#define SAGA_ANALYSIS_TICK                                                                         \
    {.name = "analysis", .interval_var = "CUTOVER_ANALYSIS_TICK_MS", .fire = saga_check_fire,     \
     .arg = &saga_analysis_check}

/* saga_ctx_of - the saga's context of worker w */
struct saga_ctx *saga_ctx_of(struct worker *w);

/* The tick's hooks (arg: const struct saga_effects *). */
void saga_tick_start(struct worker *w, const void *arg);
void saga_tick_fire(struct worker *w, const void *arg);
void saga_tick_committed(struct worker *w, const void *arg);
void saga_tick_stop(struct worker *w, const void *arg);
/* saga_check_fire - run a check (arg: const struct saga_check *) */
void saga_check_fire(struct worker *w, const void *arg);

#endif
