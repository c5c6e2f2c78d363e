/*
 * provider_local_internal - what the files of the local provider share:
 *                           provider_local.c (configuration, open, close,
 *                           the operations table, the path, file and clock
 *                           helpers), provider_local_haproxy.c (the HAProxy
 *                           configuration and its reload, the servers,
 *                           preview), provider_local_weights.c (weights),
 *                           provider_local_slots.c (slots, scale, health)
 *                           and provider_local_deploy.c (deployments).
 *
 * SYNOPSIS
 *	char path[LOCAL_PATH];
 *	if (local_slot_path(p, COLOR_GREEN, 0, "pid", path, sizeof(path)) != 0) ...
 *	if (local_server_set(p, p->cfg.name, COLOR_GREEN, 0, HAPROXY_ADMIN_MAINT, err,
 *	                     sizeof(err)) != 0) ...
 *	local_state_save(p);
 *
 * DESCRIPTION
 *	struct local_provider is the state open() returns and every
 *	operation receives. Paths are built with local_fmt_path(), which
 *	refuses to truncate; a change to HAProxy's runtime state is followed
 *	by local_state_save(), so that it survives a reload. What the
 *	provider does is described at the top of provider_local.c.
 */
#ifndef CUTOVER_PROVIDER_LOCAL_INTERNAL_H
#define CUTOVER_PROVIDER_LOCAL_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "base/clock.h"
#include "provider/local/haproxy.h"
#include "provider/provider.h"

#define LOCAL_SLOTS_MAX       32    /* local.max_instances upper bound */
#define LOCAL_DEPLOYS_MAX     8     /* deployments tracked at once */
#define LOCAL_PATH            4096

struct local_config {
    char name[64];
    int listen_port;
    int base_port;
    int max_instances;
    char health_path[128];
    char preview_header[64];
    int hook_timeout_s;             /* timeouts.deploy: cap of each hook script */
    char initial_uri[1024];         /* local.initial_release; empty when absent */
    char initial_sha256[65];
    char initial_version[65];
};

struct local_deploy; /* provider_local_deploy.c */

struct local_provider {
    struct local_config cfg;
    char sock[LOCAL_PATH];
    char master[LOCAL_PATH];
    char conf_dir[LOCAL_PATH];
    char local_dir[LOCAL_PATH];     /* CUTOVER_RUN_DIR/local, absolute */
    char env_dir[LOCAL_PATH];       /* local_dir/<env> */
    struct local_deploy *deploys[LOCAL_DEPLOYS_MAX];
};

/* provider_local.c: paths, files, time */
int local_fmt_path(char *buf, size_t len, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void local_sleep_ms(long ms);
int local_matches(const char *s, const char *re);
int local_mkdir_p(const char *path, char *err, size_t err_len);
int local_read_file_capped(const char *path, char *buf, size_t len);
int local_write_file_atomic(const char *path, const char *content, char *err, size_t err_len);

/* provider_local_haproxy.c: the configuration, the servers, preview */
int local_cfg_ensure(const struct local_provider *p, int *reloaded, char *err, size_t err_len);
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

/* provider_local_weights.c */
int local_scale_weights(const struct local_provider *p, enum color c, int capacity,
                        struct provider_weights *w, int *known, char *err, size_t err_len);
int local_scale_weights_apply(const struct local_provider *p, enum color c,
                              const struct provider_weights *w, int known, char *err,
                              size_t err_len);
void local_weights_restore(const struct local_provider *p);
int local_set_weights(void *state, const struct provider_weights *w, char *err,
                      size_t err_len);
int local_get_weights(void *state, struct provider_weights *out, char *err, size_t err_len);

/* provider_local_slots.c: slots, scale, health */
int local_slot_port(const struct local_provider *p, enum color c, int i);
int local_slot_path(const struct local_provider *p, enum color c, int i, const char *leaf,
                    char *buf, size_t len);
int local_pid_alive(pid_t pid);
pid_t local_slot_pid(const struct local_provider *p, enum color c, int i);
void local_pid_stop(pid_t pid);
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
int local_desired_get(const struct local_provider *p, enum color c);
/* local_slots_restore - running slots' servers out of maintenance after a stateless reload */
void local_slots_restore(const struct local_provider *p);
int local_scale(void *state, enum color c, int capacity, char *err, size_t err_len);
int local_health(void *state, enum color c, struct provider_health *out, char *err,
                 size_t err_len);

/* provider_local_deploy.c */
void local_deploy_free(struct local_deploy *d);
int local_deploy_start(void *state, enum color c, const struct provider_release *rel,
                       char *handle, size_t handle_len, char *err, size_t err_len);
int local_deploy_poll(void *state, const char *handle, enum provider_deploy_status *out,
                      char *detail, size_t detail_len);
int local_deploy_stop(void *state, const char *handle, char *err, size_t err_len);

#endif
