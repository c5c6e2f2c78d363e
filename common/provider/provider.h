/*
 * provider - the effectors behind one interface: scale a color, deploy a
 *            release to a color, set and read weights, read health, open
 *            and close a preview route, flush a cache, run a command on a
 *            color's instances.
 *
 * SYNOPSIS
 *	const struct provider_ops *ops = provider_find(env_config);
 *	void *p;
 *	if (ops->open(environment, env_config, &p, err, sizeof(err)) != 0) ...
 *	ops->scale(p, COLOR_GREEN, 2, err, sizeof(err));
 *	ops->health(p, COLOR_GREEN, &health, err, sizeof(err));	(poll on a timer)
 *	ops->set_weights(p, &weights, err, sizeof(err));
 *	ops->close(p);
 *
 * DESCRIPTION
 *	Every call is short (bounded by a timeout) and idempotent: capacity and
 *	weights are absolute, deployments are tagged with cutover's deployment
 *	id so that a second deploy_start after a crash finds the first one.
 *	Waiting (instances becoming healthy, a deployment finishing) is done by
 *	the caller polling health() or deploy_poll() on a timer, never inside
 *	a call. Backends: local (HAProxy Runtime API, local processes) and aws
 *	(ALB, Auto Scaling, CodeDeploy). Each returns 0 on success, -1 with a
 *	message in err.
 */
#ifndef CUTOVER_PROVIDER_H
#define CUTOVER_PROVIDER_H

#include <cjson/cJSON.h>
#include <stddef.h>

enum color { COLOR_BLUE, COLOR_GREEN };

const char *color_name(enum color c);
int color_parse(const char *name, enum color *out);
enum color color_other(enum color c);

struct provider_weights {
    int blue;  /* 0..100 */
    int green; /* 0..100, blue + green == 100 */
};

struct provider_health {
    int desired; /* capacity asked for */
    int running; /* instances that exist */
    int healthy; /* instances that pass the load balancer's health check */
};

struct provider_release {
    const char *deployment_id; /* tags the provider deployment */
    const char *version;
    const char *artifact_uri;  /* file://, http://, https:// or s3:// */
    const char *artifact_sha256; /* hex; may be NULL */
};

#define PROVIDER_COMMAND_INSTANCES 64 /* instances a command_poll reports */

enum provider_command_state { COMMAND_RUNNING, COMMAND_SUCCEEDED, COMMAND_FAILED };

/* One instance's part of a command run on a color's instances. */
struct provider_command_instance {
    char id[64]; /* local: "green-1"; aws: the EC2 instance id */
    enum provider_command_state state;
    char detail[256]; /* the tail of its output, or why it failed */
};

struct provider_command_report {
    size_t count;
    struct provider_command_instance instances[PROVIDER_COMMAND_INSTANCES];
};

enum provider_deploy_status {
    DEPLOY_IN_PROGRESS,
    DEPLOY_SUCCEEDED,
    DEPLOY_FAILED,
    DEPLOY_STOPPED,
};

struct provider_ops {
    const char *name;
    int (*open)(const char *environment, const cJSON *config, void **state, char *err,
                size_t err_len);
    void (*close)(void *state);
    int (*scale)(void *state, enum color c, int capacity, char *err, size_t err_len);
    int (*health)(void *state, enum color c, struct provider_health *out, char *err,
                  size_t err_len);
    /* deploy_start - begin (or find again) the deployment of rel to color c;
     * handle identifies it for deploy_poll and deploy_stop */
    int (*deploy_start)(void *state, enum color c, const struct provider_release *rel,
                        char *handle, size_t handle_len, char *err, size_t err_len);
    int (*deploy_poll)(void *state, const char *handle, enum provider_deploy_status *out,
                       char *detail, size_t detail_len);
    int (*deploy_stop)(void *state, const char *handle, char *err, size_t err_len);
    int (*set_weights)(void *state, const struct provider_weights *w, char *err,
                       size_t err_len);
    int (*get_weights)(void *state, struct provider_weights *out, char *err, size_t err_len);
    /* preview_open - route requests that carry the preview header to color c;
     * url receives where a validator sends its checks
     * (local: send "<preview.header>: <color>", default header X-Cutover-Preview) */
    int (*preview_open)(void *state, enum color c, const char *deployment_id, char *url,
                        size_t url_len, char *err, size_t err_len);
    int (*preview_close)(void *state, const char *deployment_id, char *err, size_t err_len);
    /* cache_flush_start - invalidate the environment's cache (a CDN) before
     * traffic moves; reference names the request, so that a second start
     * after a crash is the same one; handle "" when nothing is configured.
     * NULL in a provider without a cache. */
    int (*cache_flush_start)(void *state, const char *reference, char *handle,
                             size_t handle_len, char *err, size_t err_len);
    /* cache_flush_poll - *done 1 once the flush named by handle completed */
    int (*cache_flush_poll)(void *state, const char *handle, int *done, char *err,
                            size_t err_len);
    /* command_start - run command (/bin/sh -c) on every running instance
     * of color c, each within timeout_s (local: with the environment its
     * hooks get; aws: Systems Manager Run Command, AWS-RunShellScript);
     * reference names the run (local: a second start of the same
     * reference in one process finds the first; aws: it is the command's
     * comment, and a second start sends it again); handle is for
     * command_poll. Only for idempotent commands (a cache flush): a
     * crash runs the command again. NULL in a provider without
     * instances. */
    int (*command_start)(void *state, enum color c, const char *command, int timeout_s,
                         const char *reference, char *handle, size_t handle_len, char *err,
                         size_t err_len);
    /* command_poll - each instance's state into out; *done 1 once none
     * runs any more (then every instance succeeded or one failed) */
    int (*command_poll)(void *state, const char *handle, struct provider_command_report *out,
                        int *done, char *err, size_t err_len);
};

/* provider_find - the backend named by config's "provider" member; NULL when unknown */
const struct provider_ops *provider_find(const char *name);

#endif
