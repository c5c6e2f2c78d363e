/*
 * guard - the instant-rollback guarantee: from the first weight change
 *         until the old color is retired, the old color must be able to
 *         take all the traffic back at once.
 *
 * SYNOPSIS
 *	guard_check(ctx);	(the rollbacker, every CUTOVER_ROLLBACK_GUARD_MS)
 *
 * DESCRIPTION
 *	A rollback is one weight change only while the old color still has
 *	its capacity: every desired instance there and healthy. guard_check()
 *	reads the old color's health from the provider for every deployment
 *	whose traffic may have moved (shifting, paused, promoted and not yet
 *	retiring) and compares it with the capacity the environment asks for.
 *	A degraded reading counts once it is seen GUARD_STRIKES checks in a
 *	row: a load balancer that reloads reports a server down for an
 *	instant, which is not a loss of capacity.
 *
 *	When the verdict changes, in one transaction with the deployment
 *	locked: deployments.rollback_ready and its reason are written, a row
 *	lands in the history (event type guard:rollback-not-ready or
 *	guard:rollback-ready), and a deployment-status event carries
 *	rollback_ready. While the old color is degraded, a running canary is
 *	paused (PAUSE through the saga, so no further step is taken; an
 *	operator who resumes it too early is paused again on the next check),
 *	and the provider is asked, on every check, to bring the old color
 *	back to its capacity (absolute, so asking twice is asking once).
 *	When it is whole again the verdict returns to ready and a paused
 *	canary may be resumed by an operator.
 *
 *	A check that finds the row's verdict unchanged, and no canary to
 *	pause, opens no transaction and writes nothing: the row is locked
 *	only when there is something to record.
 *
 *	Many rollbacker copies may check at once: the verdict is written
 *	under the deployment's row lock only when it differs from the row's,
 *	so it is recorded once; the restore call is idempotent.
 */
#ifndef CUTOVER_GUARD_H
#define CUTOVER_GUARD_H

#include "saga/saga_ctx.h"

/* The most deployments one check reads (one per environment at most). */
#define GUARD_PER_CHECK 64
/* Degraded readings in a row before the old color counts as degraded. */
#define GUARD_STRIKES 2

/* guard_check - check the old color of every guarded deployment once */
void guard_check(struct saga_ctx *ctx);

#endif
