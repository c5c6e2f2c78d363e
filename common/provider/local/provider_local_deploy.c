/*
 * provider_local_deploy - deployments for the local provider: a release's
 *                         appspec hooks run on every slot of a color at
 *                         once, advanced by polling.
 *
 * SYNOPSIS
 *	local_deploy_start(p, COLOR_GREEN, &rel, handle, sizeof(handle), err, sizeof(err));
 *	local_deploy_poll(p, handle, &status, detail, sizeof(detail));	(on a timer)
 *	local_deploy_stop(p, handle, err, sizeof(err));
 *
 * DESCRIPTION
 *	A deployment covers the color's slots up to the capacity scale()
 *	recorded. Each slot goes through three phases, each one run of hooks:
 *	ApplicationStop of the old release, when there is one; BeforeInstall
 *	and AfterInstall of the new one; then "current" moves and
 *	ApplicationStart and ValidateService run. A slot that ends, well or
 *	not, leaves the marker deploy-<id> in its directory; one slot that
 *	fails halts the others. At most LOCAL_DEPLOYS_MAX deployments are
 *	tracked at once, a finished one making room for a new one. The whole
 *	story, crashes included, is in provider_local.c.
 */
#include "provider/local/provider_local_deploy.h"

#include "base/log.h"
#include "provider/local/appspec.h"
#include "provider/local/provider_local_haproxy.h"
#include "provider/local/provider_local_slots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum local_phase { PHASE_STOP, PHASE_INSTALL, PHASE_START, PHASE_DONE };
enum local_slot_status { SLOT_RUNNING, SLOT_SUCCEEDED, SLOT_FAILED };

struct local_slot_deploy {
    int slot;
    enum local_phase phase;
    enum local_slot_status status;
    struct appspec_run *run;
    char **envp;                    /* lives as long as run */
    char old_release[LOCAL_PATH];   /* empty when the slot had none */
    char detail[512];
};

struct local_deploy {
    char id[128];
    char version[65];
    enum color c;
    int slot_count;
    struct local_slot_deploy slots[LOCAL_SLOTS_MAX];
    enum provider_deploy_status status;
    char detail[512];
};

static const char *const local_stop_hooks[] = { "ApplicationStop" };
static const char *const local_install_hooks[] = { "BeforeInstall", "AfterInstall" };
static const char *const local_start_hooks[] = { "ApplicationStart", "ValidateService" };

/* ---- tracked deployments ------------------------------------------------ */

/* local_deploy_free - stop what still runs and release a deployment */
void local_deploy_free(struct local_deploy *d)
{
    if (d == NULL)
        return;
    for (int k = 0; k < d->slot_count; k++) {
        appspec_run_free(d->slots[k].run);
        local_hook_env_free(d->slots[k].envp);
    }
    free(d);
}

/* deploy_find - the tracked deployment with id; NULL when none */
static struct local_deploy *deploy_find(struct local_provider *p, const char *id)
{
    for (int k = 0; k < LOCAL_DEPLOYS_MAX; k++)
        if (p->deploys[k] != NULL && strcmp(p->deploys[k]->id, id) == 0)
            return p->deploys[k];
    return NULL;
}

/* deploy_track - keep d; a finished deployment makes room when all places are taken */
static int deploy_track(struct local_provider *p, struct local_deploy *d, char *err,
                        size_t err_len)
{
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < LOCAL_DEPLOYS_MAX; k++) {
            struct local_deploy *old = p->deploys[k];
            if (old == NULL || (pass == 1 && old->status != DEPLOY_IN_PROGRESS)) {
                local_deploy_free(old);
                p->deploys[k] = d;
                return 0;
            }
        }
    snprintf(err, err_len, "more than %d deployments in progress", LOCAL_DEPLOYS_MAX);
    return -1;
}

/* ---- a slot's hooks ----------------------------------------------------- */

/* marker_path - the slot's marker of a finished deployment */
static int marker_path(const struct local_provider *p, const struct local_deploy *d, int i,
                       char *buf, size_t len)
{
    char leaf[160];

    snprintf(leaf, sizeof(leaf), "deploy-%s", d->id);
    return local_slot_path(p, d->c, i, leaf, buf, len);
}

/* slot_finish - record a slot's outcome in memory and in its marker file */
static void slot_finish(const struct local_provider *p, struct local_deploy *d,
                        struct local_slot_deploy *s, enum local_slot_status status,
                        const char *detail)
{
    char path[LOCAL_PATH], text[600], err[256];

    s->status = status;
    s->phase = PHASE_DONE;
    snprintf(s->detail, sizeof(s->detail), "%s", detail);
    appspec_run_free(s->run);
    s->run = NULL;
    local_hook_env_free(s->envp);
    s->envp = NULL;
    snprintf(text, sizeof(text), "%s %s\n", status == SLOT_SUCCEEDED ? "succeeded" : "failed",
             detail);
    if (marker_path(p, d, s->slot, path, sizeof(path)) == 0 &&
        local_write_file_atomic(path, text, err, sizeof(err)) != 0)
        log_warn("deployment %s: %s", d->id, err);
    local_state_save(p);
    log_msg(status == SLOT_SUCCEEDED ? LOG_INFO : LOG_WARN, "deployment %s slot %s-%d %s: %s",
            d->id, color_name(d->c), s->slot + 1,
            status == SLOT_SUCCEEDED ? "succeeded" : "failed", detail);
}

/* slot_run_hooks - start a run of hooks of the release in release_dir */
static int slot_run_hooks(const struct local_provider *p, struct local_deploy *d,
                          struct local_slot_deploy *s, const char *release_dir,
                          const char *version, const char *const *hooks, size_t hook_count,
                          char *err, size_t err_len)
{
    char spec_path[LOCAL_PATH], log_path[LOCAL_PATH];
    struct appspec *spec;

    if (local_fmt_path(spec_path, sizeof(spec_path), err, err_len, "%s/appspec.yml",
                       release_dir) != 0 ||
        local_slot_path(p, d->c, s->slot, "hooks.log", log_path, sizeof(log_path)) != 0)
        return -1;
    if ((spec = appspec_load_max(spec_path, p->cfg.hook_timeout_s, err, err_len)) == NULL)
        return -1;
    local_hook_env_free(s->envp);
    s->envp = local_hook_env_create(p, d->c, s->slot, version, release_dir, NULL);
    if (s->envp != NULL)
        s->run = appspec_run_start(release_dir, spec, hooks, hook_count, s->envp, log_path, err,
                                   err_len);
    else
        snprintf(err, err_len, "out of memory");
    appspec_free(spec);
    return s->run != NULL ? 0 : -1;
}

/* slot_phase_start - begin the slot's next phase; -1 with err when it cannot */
static int slot_phase_start(const struct local_provider *p, struct local_deploy *d,
                            struct local_slot_deploy *s, char *err, size_t err_len)
{
    char release[LOCAL_PATH], rel[LOCAL_PATH];

    if (s->phase == PHASE_STOP) {
        char old_version[128];
        if (s->old_release[0] == '\0')
            return 0; /* nothing to stop: the next poll moves on */
        snprintf(old_version, sizeof(old_version), "%s", strrchr(s->old_release, '/') + 1);
        return slot_run_hooks(p, d, s, s->old_release, old_version, local_stop_hooks, 1, err,
                              err_len);
    }
    if (local_fmt_path(rel, sizeof(rel), err, err_len, "releases/%s", d->version) != 0 ||
        local_slot_path(p, d->c, s->slot, rel, release, sizeof(release)) != 0)
        return -1;
    if (s->phase == PHASE_INSTALL)
        return slot_run_hooks(p, d, s, release, d->version, local_install_hooks, 2, err,
                              err_len);
    if (local_slot_set_current(p, d->c, s->slot, d->version, err, err_len) != 0)
        return -1;
    return slot_run_hooks(p, d, s, release, d->version, local_start_hooks, 2, err, err_len);
}

/* slot_after_stop - make sure the old process is gone once ApplicationStop ran */
static void slot_after_stop(const struct local_provider *p, struct local_deploy *d, int i)
{
    pid_t pid = local_slot_pid(p, d->c, i);
    char path[LOCAL_PATH];

    if (local_pid_alive(pid)) {
        log_warn("slot %s-%d: process %ld survived ApplicationStop", color_name(d->c), i + 1,
                 (long)pid);
        local_pid_stop(pid);
    }
    if (local_slot_path(p, d->c, i, "pid", path, sizeof(path)) == 0)
        unlink(path);
}

/* slot_step - advance one slot without blocking */
static void slot_step(const struct local_provider *p, struct local_deploy *d,
                      struct local_slot_deploy *s)
{
    enum appspec_status st = APPSPEC_SUCCEEDED;
    char detail[512] = "", err[512];

    if (s->run != NULL)
        appspec_run_poll(s->run, &st, detail, sizeof(detail));
    if (st == APPSPEC_RUNNING)
        return;
    if (st == APPSPEC_FAILED && s->phase == PHASE_STOP) {
        /* a broken old release must not block the release that replaces it */
        log_warn("slot %s-%d: ApplicationStop of the old release failed, going on: %s",
                 color_name(d->c), s->slot + 1, detail);
    } else if (st == APPSPEC_FAILED) {
        slot_finish(p, d, s, SLOT_FAILED, detail);
        return;
    }
    appspec_run_free(s->run);
    s->run = NULL;
    if (s->phase == PHASE_STOP)
        slot_after_stop(p, d, s->slot);
    if (s->phase == PHASE_START) {
        if (local_slot_enable(p, d->c, s->slot, err, sizeof(err)) != 0)
            slot_finish(p, d, s, SLOT_FAILED, err);
        else
            slot_finish(p, d, s, SLOT_SUCCEEDED, detail);
        return;
    }
    s->phase++;
    if (slot_phase_start(p, d, s, err, sizeof(err)) != 0)
        slot_finish(p, d, s, SLOT_FAILED, err);
}

/* slot_begin - a slot of a new deployment: marker found, or maint and first phase */
static void slot_begin(const struct local_provider *p, struct local_deploy *d,
                       struct local_slot_deploy *s, const char *tarball)
{
    char path[LOCAL_PATH], text[600], err[512], cur[128];

    if (marker_path(p, d, s->slot, path, sizeof(path)) == 0 &&
        local_read_file_capped(path, text, sizeof(text)) == 0) {
        const char *space = strchr(text, ' ');
        s->phase = PHASE_DONE;
        s->status = strncmp(text, "succeeded", 9) == 0 ? SLOT_SUCCEEDED : SLOT_FAILED;
        snprintf(s->detail, sizeof(s->detail), "%s", space ? space + 1 : "");
        s->detail[strcspn(s->detail, "\n")] = '\0';
        return;
    }
    if (local_slot_current(p, d->c, s->slot, cur, sizeof(cur)) == 0 &&
        strcmp(cur, d->version) != 0) {
        char rel[LOCAL_PATH];
        snprintf(rel, sizeof(rel), "releases/%s", cur);
        local_slot_path(p, d->c, s->slot, rel, s->old_release, sizeof(s->old_release));
    }
    if (local_server_set(p, p->cfg.name, d->c, s->slot, HAPROXY_ADMIN_MAINT, err,
                         sizeof(err)) == 0) {
        local_state_save(p);
        if (local_slot_unpack(p, d->c, s->slot, tarball, d->version, err, sizeof(err)) == 0 &&
            slot_phase_start(p, d, s, err, sizeof(err)) == 0)
            return;
    }
    slot_finish(p, d, s, SLOT_FAILED, err);
}

/* ---- provider operations: deploy_start, deploy_poll, deploy_stop -------- */

/* deploy_create - a deployment of rel to color c, artifact fetched */
static struct local_deploy *deploy_create(struct local_provider *p, enum color c,
                                          const struct provider_release *rel, char *tarball,
                                          size_t tarball_len, char *err, size_t err_len)
{
    struct local_deploy *d;
    int capacity = local_desired_get(p, c);

    if (!local_matches(rel->deployment_id, "^[A-Za-z0-9][A-Za-z0-9._:-]{0,126}$") ||
        !local_matches(rel->version, "^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$") ||
        rel->artifact_uri == NULL) {
        snprintf(err, err_len, "deploy: invalid deployment id, version or artifact");
        return NULL;
    }
    if (capacity <= 0) {
        snprintf(err, err_len, "deploy: %s has no capacity: scale it first", color_name(c));
        return NULL;
    }
    if (local_artifact_local(p, rel->artifact_uri, rel->artifact_sha256, rel->version, tarball,
                             tarball_len, err, err_len) != 0)
        return NULL;
    if ((d = calloc(1, sizeof(*d))) == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    snprintf(d->id, sizeof(d->id), "%s", rel->deployment_id);
    snprintf(d->version, sizeof(d->version), "%s", rel->version);
    d->c = c;
    d->slot_count = capacity;
    d->status = DEPLOY_IN_PROGRESS;
    for (int i = 0; i < capacity; i++)
        d->slots[i].slot = i;
    return d;
}

/* local_deploy_start - begin (or find again) the deployment of rel to color c */
int local_deploy_start(void *state, enum color c, const struct provider_release *rel,
                       char *handle, size_t handle_len, char *err, size_t err_len)
{
    struct local_provider *p = state;
    struct local_deploy *d = deploy_find(p, rel->deployment_id ? rel->deployment_id : "");
    char tarball[LOCAL_PATH];

    if (d == NULL) {
        if ((d = deploy_create(p, c, rel, tarball, sizeof(tarball), err, err_len)) == NULL)
            return -1;
        if (deploy_track(p, d, err, err_len) != 0) {
            local_deploy_free(d);
            return -1;
        }
        log_info("deployment %s: %s to %d %s slots", d->id, d->version, d->slot_count,
                 color_name(c));
        for (int i = 0; i < d->slot_count; i++)
            slot_begin(p, d, &d->slots[i], tarball);
    }
    snprintf(handle, handle_len, "%s", d->id);
    return 0;
}

/* deploy_summarize - the deployment's status from its slots */
static void deploy_summarize(struct local_deploy *d)
{
    int done = 0, failed = -1;

    for (int k = 0; k < d->slot_count; k++) {
        if (d->slots[k].phase == PHASE_DONE)
            done++;
        if (d->slots[k].status == SLOT_FAILED && failed < 0)
            failed = k;
    }
    if (failed >= 0) {
        d->status = DEPLOY_FAILED;
        snprintf(d->detail, sizeof(d->detail), "%s-%d: %s", color_name(d->c),
                 d->slots[failed].slot + 1, d->slots[failed].detail);
    } else if (done == d->slot_count) {
        d->status = DEPLOY_SUCCEEDED;
        snprintf(d->detail, sizeof(d->detail), "%s deployed to %d %s instances", d->version,
                 d->slot_count, color_name(d->c));
    } else {
        snprintf(d->detail, sizeof(d->detail), "%d of %d instances done", done, d->slot_count);
    }
}

/* deploy_halt - stop every slot still running hooks, marking it failed */
static void deploy_halt(const struct local_provider *p, struct local_deploy *d,
                        const char *why)
{
    for (int k = 0; k < d->slot_count; k++)
        if (d->slots[k].phase != PHASE_DONE) {
            if (d->slots[k].run != NULL)
                appspec_run_stop(d->slots[k].run);
            slot_finish(p, d, &d->slots[k], SLOT_FAILED, why);
        }
}

/* local_deploy_poll - advance the hook runs; never blocks */
int local_deploy_poll(void *state, const char *handle, enum provider_deploy_status *out,
                      char *detail, size_t detail_len)
{
    struct local_provider *p = state;
    struct local_deploy *d = deploy_find(p, handle ? handle : "");

    if (d == NULL) {
        snprintf(detail, detail_len, "unknown deployment %s: call deploy_start again",
                 handle ? handle : "(null)");
        return -1;
    }
    if (d->status == DEPLOY_IN_PROGRESS) {
        for (int k = 0; k < d->slot_count; k++)
            if (d->slots[k].phase != PHASE_DONE)
                slot_step(p, d, &d->slots[k]);
        deploy_summarize(d);
        if (d->status == DEPLOY_FAILED)
            deploy_halt(p, d, "stopped: another instance failed");
    }
    *out = d->status;
    snprintf(detail, detail_len, "%s", d->detail);
    return 0;
}

/* local_deploy_stop - kill the hook runs of a deployment */
int local_deploy_stop(void *state, const char *handle, char *err, size_t err_len)
{
    struct local_provider *p = state;
    struct local_deploy *d = deploy_find(p, handle ? handle : "");

    if (d == NULL) {
        snprintf(err, err_len, "unknown deployment %s", handle ? handle : "(null)");
        return -1;
    }
    if (d->status == DEPLOY_IN_PROGRESS) {
        deploy_halt(p, d, "stopped");
        d->status = DEPLOY_STOPPED;
        snprintf(d->detail, sizeof(d->detail), "stopped");
        log_info("deployment %s stopped", d->id);
    }
    return 0;
}
