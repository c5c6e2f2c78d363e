/*
 * health - each color's health (healthy of desired instances) as the
 *          provider reports it, recorded in PostgreSQL for the readers
 *          that call no provider: cutover status, cutover watch and
 *          cutover-web.
 *
 * SYNOPSIS
 *	health_check(ctx);	(the rollbacker, every CUTOVER_HEALTH_CHECK_MS)
 *
 * DESCRIPTION
 *	health_check() reads both colors' health from the provider of each
 *	environment of this process (CUTOVER_ENVIRONMENTS), the first
 *	HEALTH_ENVIRONMENTS_MAX by name, and records the readings in
 *	color_health (migration 0005): desired and healthy, or, when the
 *	provider could not be opened or read, only its error.
 *
 *	A row is written only when its reading differs from the recorded
 *	one, so changed_at is when the color last changed and an idle stack
 *	writes nothing: an unchanged reading inserts no row, updates none
 *	and locks none. Many rollbacker copies may record the same
 *	environment: the row is written by whichever sees the change first,
 *	and the others then find it equal.
 *
 *	A change is logged ("health of blue in shop: 1 of 2 healthy").
 */
#ifndef CUTOVER_HEALTH_H
#define CUTOVER_HEALTH_H

#include "saga/saga_ctx.h"

/* The most environments one process records (their providers stay open in
 * the per-process cache of effect_provider.h, which keeps room for them). */
#define HEALTH_ENVIRONMENTS_MAX 16

/* health_check - read and record both colors of every environment once */
void health_check(struct saga_ctx *ctx);

#endif
