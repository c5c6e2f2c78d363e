/*
 * provider_local_slots - the local provider's instances: a slot's
 *                        releases and the environment its hooks get, and
 *                        the scale and health operations.
 *
 * SYNOPSIS
 *	#include "provider/local/provider_local_slots.h"
 *
 *	char **envp = local_hook_env_create(p, COLOR_GREEN, 0, version, release_dir, NULL);
 *	local_hook_env_free(envp);
 *
 * DESCRIPTION
 *	Used by provider_local_deploy.c and provider_local.c; calls down into
 *	provider_local_weights.c, provider_local_haproxy.c and
 *	provider_local_state.c.
 */
#ifndef CUTOVER_PROVIDER_LOCAL_SLOTS_H
#define CUTOVER_PROVIDER_LOCAL_SLOTS_H

#include "provider/local/provider_local_state.h"

int local_slot_current(const struct local_provider *p, enum color c, int i, char *version,
                       size_t len);
int local_slot_set_current(const struct local_provider *p, enum color c, int i,
                           const char *version, char *err, size_t err_len);
int local_artifact_local(const struct local_provider *p, const char *uri, const char *sha256,
                         const char *version, char *tarball, size_t len, char *err,
                         size_t err_len);
int local_slot_unpack(const struct local_provider *p, enum color c, int i,
                      const char *tarball, const char *version, char *err, size_t err_len);
char **local_hook_env_create(const struct local_provider *p, enum color c, int i,
                             const char *version, const char *release_dir, const char *event);
void local_hook_env_free(char **env);
/* local_slots_restore - running slots' servers out of maintenance after a stateless reload */
void local_slots_restore(const struct local_provider *p);
int local_scale(void *state, enum color c, int capacity, char *err, size_t err_len);
int local_health(void *state, enum color c, struct provider_health *out, char *err,
                 size_t err_len);

#endif
