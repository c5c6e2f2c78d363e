/*
 * effect_provider - the per-process cache of opened providers, one per
 *                   environment, for the saga's effect steps.
 *
 * SYNOPSIS
 *	const struct provider_ops *ops;
 *	void *state;
 *	if (effect_provider(ctx, "shop", 0, &ops, &state, err, sizeof(err)) == 0)
 *		ops->health(state, COLOR_GREEN, &h, err, sizeof(err));
 *	effect_providers_close();	(at shutdown)
 *
 * DESCRIPTION
 *	An environment's provider is opened from its row (provider name,
 *	document) on first use and kept open; it is closed and opened again
 *	when the environment's document changes (its version column), so an
 *	operator's edit takes effect on the next step without a restart.
 *	At most 48 stay open: past that the least recently used one is
 *	closed, so one process serves any number of environments. The
 *	returned pointers are good until the next call.
 *
 *	The environment's row is read on every call, except when the caller
 *	passes the version a statement of its own read just now (an effect's
 *	claim returns it: effect.h, env_version) and that version's provider
 *	is open here: the first step after a claim makes no lookup.
 */
#ifndef CUTOVER_EFFECT_PROVIDER_H
#define CUTOVER_EFFECT_PROVIDER_H

#include "provider/provider.h"
#include "saga/saga_ctx.h"

#include <stddef.h>

/* effect_provider - the opened provider of an environment (cached per
 * process; the config is the environment's document); version_seen: the
 * environment's version as read just now, or 0 to read it */
int effect_provider(struct saga_ctx *ctx, const char *environment, long long version_seen,
                    const struct provider_ops **ops, void **state, char *err, size_t err_len);

/* effect_providers_close - close every opened provider (at shutdown) */
void effect_providers_close(void);

#endif
