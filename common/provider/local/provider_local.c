/*
 * provider_local - the "local" provider: HAProxy in front, instances as
 *                  local processes, releases run through appspec hooks.
 *
 * SYNOPSIS
 *	const struct provider_ops *ops = provider_find("local");
 *	(see provider.h)
 *
 * DESCRIPTION
 *	This file, the top of the provider, reads the environment's
 *	configuration and holds open(), close() and the operations table.
 *	The rest lives, from the top down, in provider_local_deploy.c
 *	(deploy_start, deploy_poll, deploy_stop), provider_local_slots.c
 *	(releases and processes of the slots; scale, health),
 *	provider_local_weights.c (set_weights, get_weights, the shares scale()
 *	keeps), provider_local_haproxy.c (the HAProxy configuration file and
 *	its reload, the servers, preview_open, preview_close) and, at the
 *	bottom, provider_local_state.c (the state, the path and file helpers,
 *	slot ports and paths, processes, the recorded capacity). Each file
 *	calls only files after it in this list; each has its own header.
 *
 *	An environment <env> owns, in CUTOVER_HAPROXY_CONFIG_DIR, the file
 *	env-<env>.cfg: a frontend on 127.0.0.1:<local.listen_port> that sends
 *	requests carrying the preview header (value blue or green) to backend
 *	<env>_preview_<color> and all others to backend <env>. Each backend
 *	declares max_instances server slots per color, blue1..blueN and
 *	green1..greenN, disabled at start. open() writes the file when its
 *	content changed and then reloads HAProxy through the master socket;
 *	runtime state (weights, enabled servers) survives reloads through a
 *	server-state-file dumped just before each reload. Each operation
 *	that changes runtime state holds CUTOVER_RUN_DIR/local/haproxy.lock
 *	shared until it saved that file, and a reload holds it exclusively
 *	until its new worker serves, whichever environment asks for it: a
 *	change never falls between another reload's dump and its new
 *	worker, where it would reach the old worker only. Should that file be
 *	missing or stale, open() after its own reload brings the servers of
 *	running slots below the recorded capacity out of maintenance, then
 *	the recorded weights back. (A slot that another process is deploying
 *	to may so be enabled early; its color has no share at that time.)
 *
 *	Slot i (0-based) of color c listens on base_port + c * max_instances
 *	+ i and lives in CUTOVER_RUN_DIR/local/<env>/<color>-<i+1>/: releases/
 *	<version>/ (unpacked artifacts), current (a symbolic link to the
 *	release that runs), pid (written by the ApplicationStart hook), app.log
 *	and hooks.log. Hooks get PORT, COLOR, VERSION, INSTANCE_DIR and
 *	RELEASE_DIR in their environment.
 *
 *	scale() is absolute. A slot to start runs its release's ApplicationStart
 *	hook in a detached process (its own session, so the instance outlives
 *	the worker). A slot without a release gets a copy of a release another
 *	slot runs (the live color's first); when no slot has one, the
 *	optional local.initial_release {uri, sha256, version} is fetched.
 *	Slots above the capacity are drained, put in maintenance, and their
 *	process gets SIGTERM, then SIGKILL after LOCAL_STOP_WAIT_MS.
 *
 *	Weights: a color's share is spread over its enabled servers (see
 *	haproxy_weights_for_shares()). The shares are set_weights()'s alone:
 *	it records them in <env>/weights before applying them, and scale()
 *	and a reload of ours spread that record over the enabled servers
 *	again, never what HAProxy happens to hold (a reload that restored no
 *	state leaves every weight 0). Without a record, scale() keeps
 *	HAProxy's shares; the scaled color takes all only when the other
 *	color serves nothing (the first seeding of an environment).
 *	get_weights() reads HAProxy: servers in maintenance or draining take
 *	no traffic and count for nothing.
 *
 *	deploy_start() fetches the artifact once, unpacks it into every slot up
 *	to the capacity and starts, per slot, the hooks ApplicationStop (old
 *	release), BeforeInstall and AfterInstall (new release), then moves
 *	"current" and runs ApplicationStart and ValidateService. The slot's
 *	server is in maintenance meanwhile. deploy_poll() advances the runs
 *	without blocking; a slot that finished leaves a marker file
 *	deploy-<id>, so a deploy_start() after a crash does not redo it (a
 *	process that restarts must call deploy_start() again: deploy_poll()
 *	knows only the deployments of its own process; unfinished slots start
 *	over). A failing ApplicationStop of the old release is logged and the
 *	old process stopped by signal: a broken release must not block the
 *	release that replaces it.
 *
 *	Waiting on an application (hooks, health checks) is always left to
 *	the caller's polling. Bounded local work is done inside the calls:
 *	open() may reload HAProxy (at most LOCAL_RELOAD_WAIT_MS); scale() and
 *	deploy_start() fetch (artifact_fetch()'s timeouts: keep artifacts
 *	local or near), unpack and copy releases; stopping a process waits at
 *	most LOCAL_STOP_WAIT_MS plus one second.
 *
 *	Changing base_port or max_instances moves the slots' ports: do it
 *	while no instance runs.
 */
#include "provider/local/provider_local_command.h"
#include "provider/local/provider_local_deploy.h"
#include "provider/local/provider_local_haproxy.h"
#include "provider/local/provider_local_slots.h"
#include "provider/local/provider_local_state.h"
#include "provider/local/provider_local_weights.h"

#include "base/config.h"
#include "provider/local/appspec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- configuration ------------------------------------------------------ */

/* json_int - an integer member in lo..hi, or def when absent */
static int json_int(const cJSON *obj, const char *key, int def, int lo, int hi, int *out,
                    char *err, size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (item == NULL || cJSON_IsNull(item)) {
        *out = def;
        if (def >= lo)
            return 0;
        snprintf(err, err_len, "local provider: %s is required", key);
        return -1;
    }
    if (!cJSON_IsNumber(item) || item->valuedouble < lo || item->valuedouble > hi ||
        item->valuedouble != (double)(int)item->valuedouble) {
        snprintf(err, err_len, "local provider: %s must be an integer in %d..%d", key, lo, hi);
        return -1;
    }
    *out = (int)item->valuedouble;
    return 0;
}

/* json_str - a string member matching re, or def when absent */
static int json_str(const cJSON *obj, const char *key, const char *def, const char *re,
                    char *out, size_t out_len, char *err, size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    const char *v = cJSON_IsString(item) ? item->valuestring : def;

    if ((item != NULL && !cJSON_IsString(item)) || v == NULL || !local_matches(v, re) ||
        strlen(v) >= out_len) {
        snprintf(err, err_len, "local provider: %s missing or invalid", key);
        return -1;
    }
    snprintf(out, out_len, "%s", v);
    return 0;
}

/* config_parse_initial - the optional local.initial_release */
static int config_parse_initial(const cJSON *local, struct local_config *cfg, char *err,
                                size_t err_len)
{
    const cJSON *init = cJSON_GetObjectItemCaseSensitive(local, "initial_release");

    if (init == NULL)
        return 0;
    if (json_str(init, "uri", NULL, "^[^[:space:]]+$", cfg->initial_uri,
                 sizeof(cfg->initial_uri), err, err_len) != 0 ||
        json_str(init, "sha256", NULL, "^[0-9a-fA-F]{64}$", cfg->initial_sha256,
                 sizeof(cfg->initial_sha256), err, err_len) != 0 ||
        json_str(init, "version", NULL, "^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$",
                 cfg->initial_version, sizeof(cfg->initial_version), err, err_len) != 0)
        return -1;
    return 0;
}

/* config_parse - the environment's configuration, with defaults */
static int config_parse(const char *environment, const cJSON *config, struct local_config *cfg,
                        char *err, size_t err_len)
{
    const cJSON *local = cJSON_GetObjectItemCaseSensitive(config, "local");
    const cJSON *preview = cJSON_GetObjectItemCaseSensitive(config, "preview");
    const cJSON *timeouts = cJSON_GetObjectItemCaseSensitive(config, "timeouts");

    memset(cfg, 0, sizeof(*cfg));
    if (!local_matches(environment, "^[a-z0-9][a-z0-9-]{0,62}$")) {
        snprintf(err, err_len, "local provider: invalid environment name");
        return -1;
    }
    snprintf(cfg->name, sizeof(cfg->name), "%s", environment);
    if (!cJSON_IsObject(local)) {
        snprintf(err, err_len, "local provider: the \"local\" object is required");
        return -1;
    }
    if (json_int(local, "listen_port", -1, 1, 65535, &cfg->listen_port, err, err_len) != 0 ||
        json_int(local, "base_port", -1, 1, 65535, &cfg->base_port, err, err_len) != 0 ||
        json_int(local, "max_instances", 4, 1, LOCAL_SLOTS_MAX, &cfg->max_instances, err,
                 err_len) != 0 ||
        json_str(local, "health_path", "/health", "^/[A-Za-z0-9._~/?=&-]*$", cfg->health_path,
                 sizeof(cfg->health_path), err, err_len) != 0 ||
        json_str(preview, "header", "X-Cutover-Preview", "^[A-Za-z0-9-]{1,63}$",
                 cfg->preview_header, sizeof(cfg->preview_header), err, err_len) != 0 ||
        json_int(timeouts, "deploy", 600, 1, APPSPEC_TIMEOUT_MAX_S, &cfg->hook_timeout_s, err,
                 err_len) != 0)
        return -1;
    if (cfg->base_port + 2 * cfg->max_instances - 1 > 65535) {
        snprintf(err, err_len, "local provider: base_port + 2 * max_instances exceeds 65535");
        return -1;
    }
    return config_parse_initial(local, cfg, err, err_len);
}

/* setting - a CUTOVER_* value from the configuration table, else the environment */
static const char *setting(const char *name)
{
    const char *v = config_get(name);

    return v != NULL && *v != '\0' ? v : getenv(name);
}

/* paths_resolve - the sockets and directories this provider uses */
static int paths_resolve(struct local_provider *p, char *err, size_t err_len)
{
    const char *sock = setting("CUTOVER_HAPROXY_SOCKET");
    const char *master = setting("CUTOVER_HAPROXY_MASTER_SOCKET");
    const char *conf = setting("CUTOVER_HAPROXY_CONFIG_DIR");
    const char *run = setting("CUTOVER_RUN_DIR");
    char local[LOCAL_PATH], *abs;

    if (sock == NULL || master == NULL || conf == NULL || run == NULL) {
        snprintf(err, err_len, "local provider: CUTOVER_HAPROXY_SOCKET, "
                               "CUTOVER_HAPROXY_MASTER_SOCKET, CUTOVER_HAPROXY_CONFIG_DIR "
                               "and CUTOVER_RUN_DIR must be set");
        return -1;
    }
    if (local_fmt_path(p->sock, sizeof(p->sock), err, err_len, "%s", sock) != 0 ||
        local_fmt_path(p->master, sizeof(p->master), err, err_len, "%s", master) != 0 ||
        local_fmt_path(p->conf_dir, sizeof(p->conf_dir), err, err_len, "%s", conf) != 0 ||
        local_fmt_path(local, sizeof(local), err, err_len, "%s/local/%s", run, p->cfg.name) != 0 ||
        local_mkdir_p(local, err, err_len) != 0)
        return -1;
    if ((abs = realpath(local, NULL)) == NULL) {
        snprintf(err, err_len, "realpath %s: %s", local, strerror(errno));
        return -1;
    }
    snprintf(p->env_dir, sizeof(p->env_dir), "%s", abs);
    snprintf(p->local_dir, sizeof(p->local_dir), "%s", abs);
    *strrchr(p->local_dir, '/') = '\0';
    free(abs);
    return 0;
}

/* ---- provider operations: open, close ----------------------------------- */

/* local_close - release the state; hook runs still going are stopped */
static void local_close(void *state)
{
    struct local_provider *p = state;

    if (p == NULL)
        return;
    for (int k = 0; k < LOCAL_DEPLOYS_MAX; k++)
        local_deploy_free(p->deploys[k]);
    if (p->lock_fd >= 0)
        close(p->lock_fd);
    free(p);
}

/* local_open - parse the configuration, install the HAProxy configuration */
static int local_open(const char *environment, const cJSON *config, void **state, char *err,
                      size_t err_len)
{
    struct local_provider *p = calloc(1, sizeof(*p));
    int reloaded = 0;

    *state = NULL;
    if (p == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    p->lock_fd = -1;
    if (config_parse(environment, config, &p->cfg, err, err_len) != 0 ||
        paths_resolve(p, err, err_len) != 0 || local_lock_open(p, err, err_len) != 0 ||
        local_cfg_ensure(p, &reloaded, err, err_len) != 0) {
        local_close(p);
        return -1;
    }
    /* a state file that was missing or stale: servers, then weights */
    if (reloaded && local_changes_begin(p, err, err_len) == 0) {
        local_slots_restore(p);
        local_weights_restore(p);
        local_changes_end(p, 0);
    }
    *state = p;
    return 0;
}

/* ---- the operations that change HAProxy's runtime state, under the lock - */

/* locked_scale - scale() while no reload runs (local_changes_begin) */
static int locked_scale(void *state, enum color c, int capacity, char *err, size_t err_len)
{
    return local_changes_begin(state, err, err_len) != 0
               ? -1
               : local_changes_end(state, local_scale(state, c, capacity, err, err_len));
}

/* locked_deploy_start - deploy_start() while no reload runs */
static int locked_deploy_start(void *state, enum color c, const struct provider_release *rel,
                               char *handle, size_t handle_len, char *err, size_t err_len)
{
    return local_changes_begin(state, err, err_len) != 0
               ? -1
               : local_changes_end(state, local_deploy_start(state, c, rel, handle, handle_len,
                                                             err, err_len));
}

/* locked_deploy_poll - deploy_poll() while no reload runs */
static int locked_deploy_poll(void *state, const char *handle, enum provider_deploy_status *out,
                              char *detail, size_t detail_len)
{
    return local_changes_begin(state, detail, detail_len) != 0
               ? -1
               : local_changes_end(state,
                                   local_deploy_poll(state, handle, out, detail, detail_len));
}

/* locked_deploy_stop - deploy_stop() while no reload runs */
static int locked_deploy_stop(void *state, const char *handle, char *err, size_t err_len)
{
    return local_changes_begin(state, err, err_len) != 0
               ? -1
               : local_changes_end(state, local_deploy_stop(state, handle, err, err_len));
}

/* locked_set_weights - set_weights() while no reload runs */
static int locked_set_weights(void *state, const struct provider_weights *w, char *err,
                              size_t err_len)
{
    return local_changes_begin(state, err, err_len) != 0
               ? -1
               : local_changes_end(state, local_set_weights(state, w, err, err_len));
}

/* locked_preview_open - preview_open() while no reload runs */
static int locked_preview_open(void *state, enum color c, const char *deployment_id, char *url,
                               size_t url_len, char *err, size_t err_len)
{
    return local_changes_begin(state, err, err_len) != 0
               ? -1
               : local_changes_end(state, local_preview_open(state, c, deployment_id, url, url_len,
                                                             err, err_len));
}

/* locked_preview_close - preview_close() while no reload runs */
static int locked_preview_close(void *state, const char *deployment_id, char *err,
                                size_t err_len)
{
    return local_changes_begin(state, err, err_len) != 0
               ? -1
               : local_changes_end(state, local_preview_close(state, deployment_id, err, err_len));
}

const struct provider_ops provider_local_ops = {
    .name = "local",
    .open = local_open,
    .close = local_close,
    .scale = locked_scale,
    .health = local_health,
    .deploy_start = locked_deploy_start,
    .deploy_poll = locked_deploy_poll,
    .deploy_stop = locked_deploy_stop,
    .set_weights = locked_set_weights,
    .get_weights = local_get_weights,
    .preview_open = locked_preview_open,
    .preview_close = locked_preview_close,
    .command_start = local_command_start,
    .command_poll = local_command_poll,
};
