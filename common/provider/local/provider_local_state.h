/*
 * provider_local_state - the state of the local provider and the helpers
 *                        every one of its files shares: paths, small file
 *                        reads and atomic writes, slot ports and paths,
 *                        processes, the recorded capacity.
 *
 * SYNOPSIS
 *	#include "provider/local/provider_local_state.h"
 *
 *	char path[LOCAL_PATH];
 *	if (local_slot_path(p, COLOR_GREEN, 0, "pid", path, sizeof(path)) != 0) ...
 *
 * DESCRIPTION
 *	struct local_provider is the state open() returns and every
 *	operation receives. This is the bottom of the provider: the files
 *	above it (provider_local_haproxy.c, provider_local_weights.c,
 *	provider_local_slots.c, provider_local_deploy.c, provider_local.c)
 *	call down into provider_local_state.c, which calls none of them.
 */
#ifndef CUTOVER_PROVIDER_LOCAL_STATE_H
#define CUTOVER_PROVIDER_LOCAL_STATE_H

#include <stddef.h>
#include <sys/types.h>

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
    int lock_fd;                    /* local_dir/haproxy.lock; -1 until open (local_lock_open) */
    struct local_deploy *deploys[LOCAL_DEPLOYS_MAX];
};

/* paths and files */
int local_fmt_path(char *buf, size_t len, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int local_matches(const char *s, const char *re);
int local_mkdir_p(const char *path, char *err, size_t err_len);
int local_read_file_capped(const char *path, char *buf, size_t len);
int local_write_file_atomic(const char *path, const char *content, char *err, size_t err_len);

/* slots: where they live, what they listen on */
int local_slot_path(const struct local_provider *p, enum color c, int i, const char *leaf,
                    char *buf, size_t len);
int local_slot_port(const struct local_provider *p, enum color c, int i);

/* processes */
int local_pid_alive(pid_t pid);
pid_t local_slot_pid(const struct local_provider *p, enum color c, int i);
void local_pid_stop(pid_t pid);

/* the capacity scale() records */
int local_desired_get(const struct local_provider *p, enum color c);
int local_desired_set(const struct local_provider *p, enum color c, int capacity, char *err,
                      size_t err_len);

#endif
