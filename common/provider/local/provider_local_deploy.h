/*
 * provider_local_deploy - the local provider's deployments: the
 *                         deploy_start, deploy_poll and deploy_stop
 *                         operations and the release of a tracked one.
 *
 * SYNOPSIS
 *	#include "provider/local/provider_local_deploy.h"
 *
 *	local_deploy_free(p->deploys[k]);	(at close)
 *
 * DESCRIPTION
 *	Used by provider_local.c only; calls down into provider_local_slots.c,
 *	provider_local_haproxy.c and provider_local_state.c.
 */
#ifndef CUTOVER_PROVIDER_LOCAL_DEPLOY_H
#define CUTOVER_PROVIDER_LOCAL_DEPLOY_H

#include "provider/local/provider_local_state.h"

void local_deploy_free(struct local_deploy *d);
int local_deploy_start(void *state, enum color c, const struct provider_release *rel,
                       char *handle, size_t handle_len, char *err, size_t err_len);
int local_deploy_poll(void *state, const char *handle, enum provider_deploy_status *out,
                      char *detail, size_t detail_len);
int local_deploy_stop(void *state, const char *handle, char *err, size_t err_len);

#endif
