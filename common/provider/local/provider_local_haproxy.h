/*
 * provider_local_haproxy - the local provider's HAProxy side, as the files
 *                          above it see it: the configuration and its
 *                          reload, the servers state file, the slots'
 *                          servers, the preview operations.
 *
 * SYNOPSIS
 *	#include "provider/local/provider_local_haproxy.h"
 *
 *	if (local_server_set(p, p->cfg.name, COLOR_GREEN, 0, HAPROXY_ADMIN_MAINT, err,
 *	                     sizeof(err)) != 0) ...
 *	local_state_save(p);
 *
 * DESCRIPTION
 *	A change to HAProxy's runtime state is followed by local_state_save(),
 *	so that it survives a reload. Used by provider_local_weights.c,
 *	provider_local_slots.c, provider_local_deploy.c and provider_local.c;
 *	calls down into provider_local_state.c only.
 */
#ifndef CUTOVER_PROVIDER_LOCAL_HAPROXY_H
#define CUTOVER_PROVIDER_LOCAL_HAPROXY_H

#include "provider/local/haproxy.h"
#include "provider/local/provider_local_state.h"

int local_cfg_ensure(const struct local_provider *p, int *reloaded, char *err, size_t err_len);
int local_lock_open(struct local_provider *p, char *err, size_t err_len);
int local_changes_begin(const struct local_provider *p, char *err, size_t err_len);
int local_changes_end(const struct local_provider *p, int rc);
void local_state_save(const struct local_provider *p);
void local_server_name(enum color c, int i, char *buf, size_t len);
int local_server_set(const struct local_provider *p, const char *backend, enum color c, int i,
                     enum haproxy_admin state, char *err, size_t err_len);
int local_slot_enable(const struct local_provider *p, enum color c, int i, char *err,
                      size_t err_len);
int local_servers_read(const struct local_provider *p, struct haproxy_server *sv, size_t *n,
                       char *err, size_t err_len);
int local_preview_open(void *state, enum color c, const char *deployment_id, char *url,
                       size_t url_len, char *err, size_t err_len);
int local_preview_close(void *state, const char *deployment_id, char *err, size_t err_len);

#endif
