/*
 * cache_flush - the flush-caches effect: the environment's cache actions,
 *               run once per deployment after validation and before any
 *               traffic moves to the new color.
 *
 * SYNOPSIS
 *	static const struct effect_handler validator_effects[] = {
 *		{ SAGA_FX_FLUSH_CACHES, cache_flush_step }, ...
 *	};
 *	cache_flush_reap(idle_ms);	(on a tick: runs no longer stepped)
 *
 * DESCRIPTION
 *	The actions of the document's "caches" (cache_action.h) run one at a
 *	time, in order, a step per tick: redis-prefix (io/redis_flush.h: SCAN
 *	+ UNLINK, a bounded batch per tick), command on the host (the check
 *	runner of validate/checks.h: /bin/sh -c, its own process group,
 *	killed at its timeout, the CUTOVER_* variables removed), command on
 *	the instances (the provider's command_start/command_poll: local
 *	slots with their hooks' environment, or Systems Manager on aws),
 *	cloudfront (the provider's cache_flush_start/cache_flush_poll).
 *
 *	Each finished action's outcome {name, kind, status (ok | failed),
 *	duration_ms, message, instances: [{id, state, detail}]} goes into the
 *	effect's result and into deployment_caches (migration 0013), which
 *	`cutover history` and `cutover status` read. The first action that
 *	fails (or passes its timeout_seconds) ends the effect with
 *	cache-flush-failed: the deployment fails before traffic moves; the
 *	actions after it do not run. All done: caches-flushed. The history
 *	line of the effect sums the outcomes up.
 *
 *	Crash safety: a flush is idempotent (unlinking what is gone, reloading
 *	PHP-FPM, invalidating paths again change nothing more), so the copy
 *	of the worker that takes a dead one's effect over resumes after the
 *	recorded outcomes and runs the action in progress again from its
 *	start. Crash points: <worker>-flush-caches-before-call (an action
 *	about to start), -after-call (its outcome recorded), -before-finish.
 */
#ifndef CUTOVER_CACHE_FLUSH_H
#define CUTOVER_CACHE_FLUSH_H

#include "saga/effect.h"

#include <stdint.h>

/* cache_flush_step - the step of a flush-caches effect */
enum effect_step cache_flush_step(struct saga_ctx *ctx, struct effect *e);

/* cache_flush_reap - stop the runs not stepped for idle_ms (their effect
 * went stale: the deployment was aborted or rolled back meanwhile) */
void cache_flush_reap(int64_t idle_ms);

#endif
