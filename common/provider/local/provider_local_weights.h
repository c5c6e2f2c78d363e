/*
 * provider_local_weights - the local provider's traffic weights: the
 *                          set_weights and get_weights operations and the
 *                          shares scale() and a reload keep.
 *
 * SYNOPSIS
 *	#include "provider/local/provider_local_weights.h"
 *
 *	local_scale_weights(p, COLOR_GREEN, 2, &w, &known, err, sizeof(err));
 *	local_scale_weights_apply(p, COLOR_GREEN, &w, known, err, sizeof(err));
 *
 * DESCRIPTION
 *	Used by provider_local_slots.c and provider_local.c; calls down into
 *	provider_local_haproxy.c and provider_local_state.c.
 */
#ifndef CUTOVER_PROVIDER_LOCAL_WEIGHTS_H
#define CUTOVER_PROVIDER_LOCAL_WEIGHTS_H

#include "provider/local/provider_local_state.h"

int local_scale_weights(const struct local_provider *p, enum color c, int capacity,
                        struct provider_weights *w, int *known, char *err, size_t err_len);
int local_scale_weights_apply(const struct local_provider *p, enum color c,
                              const struct provider_weights *w, int known, char *err,
                              size_t err_len);
void local_weights_restore(const struct local_provider *p);
int local_set_weights(void *state, const struct provider_weights *w, char *err,
                      size_t err_len);
int local_get_weights(void *state, struct provider_weights *out, char *err, size_t err_len);

#endif
