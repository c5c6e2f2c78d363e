/*
 * drill - `cutover drill ENV`: a rollback drill on a live deployment, as
 *         the rollbacker performs it.
 *
 * SYNOPSIS
 *	static const struct effect_handler handlers[] = {
 *		{SAGA_FX_DRILL_RESTORE, drill_restore_step},
 *		{SAGA_FX_DRILL_RETURN, drill_return_step},
 *	};
 *
 * DESCRIPTION
 *	A drill is the operator's action "drill" (shift-requested). While a
 *	rollback would be one weight change, the saga answers it with two
 *	effects, run in order with every other effect of the environment:
 *
 *	drill-restore sets the old color's weights (100 %) and reads them
 *	back, exactly as a rollback's restore-weights begins. Its duration,
 *	from the command's arrival (the effect's creation, in the same
 *	transaction) to the weights confirmed (the effect's end), is what a
 *	rollback would have taken; cutover-web exports it in
 *	cutover_rollback_duration_seconds{trigger="drill"}.
 *
 *	drill-return sets the deployment's own weights again (its asked
 *	share, read from the row when it runs) and writes the figure into the
 *	history ("effect:drill-return"). The deployment's state, step, timers
 *	and outcome are untouched. A rollback that comes in between raises
 *	the epoch: drill-return is then stale and never sends the traffic
 *	back to the new color, and restore-weights waits for a drill-return
 *	call still in flight, as it does for set-weights.
 */
#ifndef CUTOVER_DRILL_H
#define CUTOVER_DRILL_H

#include "saga/effect.h"

enum effect_step drill_restore_step(struct saga_ctx *ctx, struct effect *e);
enum effect_step drill_return_step(struct saga_ctx *ctx, struct effect *e);

#endif
