/*
 * provider_local_slots - the local provider's instances: slot directories,
 *                        releases, the processes that run them, and the
 *                        scale and health operations.
 *
 * SYNOPSIS
 *	local_scale(p, COLOR_GREEN, 2, err, sizeof(err));
 *	local_health(p, COLOR_GREEN, &health, err, sizeof(err));
 *	local_slots_restore(p);			(after a reload of ours)
 *	char **envp = local_hook_env_create(p, COLOR_GREEN, 0, version, release_dir, NULL);
 *	local_hook_env_free(envp);
 *
 * DESCRIPTION
 *	Slot i of color c listens on local_slot_port() and lives in
 *	local_slot_path() (both in provider_local_state.c; the layout is
 *	described in provider_local.c). scale() records the capacity asked
 *	for (local_desired_set()), starts the slots below it whose
 *	process does not run, each through its release's ApplicationStart
 *	hook in a detached session, and retires the slots above it. health()
 *	counts the slots whose process is alive and, of those, the ones whose
 *	server passes HAProxy's check.
 */
#include "provider/local/provider_local_slots.h"

#include "base/fault.h"
#include "base/log.h"
#include "provider/local/appspec.h"
#include "provider/local/artifact.h"
#include "provider/local/provider_local_haproxy.h"
#include "provider/local/provider_local_weights.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOCAL_ENV_MAX         1024  /* environment variables passed to hooks */

static const char *const local_hook_vars[] = { "PORT=", "COLOR=", "VERSION=", "INSTANCE_DIR=",
                                               "RELEASE_DIR=", "LIFECYCLE_EVENT=" };

/* ---- slots -------------------------------------------------------------- */

/* slot_alive - 1 when the slot's process runs */
static int slot_alive(const struct local_provider *p, enum color c, int i)
{
    return local_pid_alive(local_slot_pid(p, c, i));
}

/* local_slot_current - the version the slot's "current" link names; -1 when none */
int local_slot_current(const struct local_provider *p, enum color c, int i, char *version,
                       size_t len)
{
    char link[LOCAL_PATH], target[LOCAL_PATH], *base;
    ssize_t n;

    if (local_slot_path(p, c, i, "current", link, sizeof(link)) != 0)
        return -1;
    n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0)
        return -1;
    target[n] = '\0';
    base = strrchr(target, '/');
    base = base ? base + 1 : target;
    if (strlen(base) >= len)
        return -1;
    memcpy(version, base, strlen(base) + 1);
    return 0;
}

/* local_slot_set_current - point "current" at releases/<version> (atomic rename) */
int local_slot_set_current(const struct local_provider *p, enum color c, int i,
                           const char *version, char *err, size_t err_len)
{
    char link[LOCAL_PATH], tmp[LOCAL_PATH], target[LOCAL_PATH];

    if (local_slot_path(p, c, i, "current", link, sizeof(link)) != 0 ||
        local_fmt_path(tmp, sizeof(tmp), err, err_len, "%s.new", link) != 0 ||
        local_fmt_path(target, sizeof(target), err, err_len, "releases/%s", version) != 0)
        return -1;
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, link) != 0) {
        snprintf(err, err_len, "link %s: %s", link, strerror(errno));
        return -1;
    }
    return 0;
}

/* run_argv - fork/exec argv and wait for it (short local commands only) */
static int run_argv(char *const argv[], char *err, size_t err_len)
{
    int status;
    pid_t pid = fork();

    if (pid < 0) {
        snprintf(err, err_len, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            break;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    snprintf(err, err_len, "%s failed", argv[0]);
    return -1;
}

/* slot_copy_release - copy a release another slot has into slot i of c */
static int slot_copy_release(const struct local_provider *p, enum color c, int i,
                             enum color from_c, int from_i, const char *version, char *err,
                             size_t err_len)
{
    char src[LOCAL_PATH], dst[LOCAL_PATH], dir[LOCAL_PATH], rel[LOCAL_PATH];

    if (local_fmt_path(rel, sizeof(rel), err, err_len, "releases/%s", version) != 0 ||
        local_slot_path(p, from_c, from_i, rel, src, sizeof(src)) != 0 ||
        local_slot_path(p, c, i, rel, dst, sizeof(dst)) != 0 ||
        local_slot_path(p, c, i, "releases", dir, sizeof(dir)) != 0 ||
        local_mkdir_p(dir, err, err_len) != 0)
        return -1;
    if (access(dst, F_OK) != 0) {
        char *argv[] = { "cp", "-a", src, dst, NULL };
        if (run_argv(argv, err, err_len) != 0)
            return -1;
    }
    log_info("slot %s-%d: copied release %s from %s-%d", color_name(c), i + 1, version,
             color_name(from_c), from_i + 1);
    return local_slot_set_current(p, c, i, version, err, err_len);
}

/* local_artifact_local - fetch an artifact once into <env>/artifacts/<version>.tar.gz */
int local_artifact_local(const struct local_provider *p, const char *uri, const char *sha256,
                         const char *version, char *tarball, size_t len, char *err,
                         size_t err_len)
{
    char dir[LOCAL_PATH];

    if (local_fmt_path(dir, sizeof(dir), err, err_len, "%s/artifacts", p->env_dir) != 0 ||
        local_mkdir_p(dir, err, err_len) != 0 ||
        local_fmt_path(tarball, len, err, err_len, "%s/%s.tar.gz", dir, version) != 0)
        return -1;
    return artifact_fetch(uri, sha256, tarball, err, err_len);
}

/* local_slot_unpack - unpack tarball into the slot's releases/<version> */
int local_slot_unpack(const struct local_provider *p, enum color c, int i,
                      const char *tarball, const char *version, char *err, size_t err_len)
{
    char dir[LOCAL_PATH], rel[LOCAL_PATH];

    if (local_slot_path(p, c, i, "releases", dir, sizeof(dir)) != 0 ||
        local_mkdir_p(dir, err, err_len) != 0 ||
        local_fmt_path(rel, sizeof(rel), err, err_len, "%s/%s", dir, version) != 0)
        return -1;
    return artifact_unpack(tarball, rel, err, err_len);
}

/* slot_install_any - give slot i of c a release: another slot's, else initial_release */
static int slot_install_any(const struct local_provider *p, enum color c, int i, char *err,
                            size_t err_len)
{
    char version[128], tarball[LOCAL_PATH];
    enum color order[2] = { color_other(c), c };

    for (int k = 0; k < 2; k++)
        for (int j = 0; j < p->cfg.max_instances; j++)
            if (!(order[k] == c && j == i) &&
                local_slot_current(p, order[k], j, version, sizeof(version)) == 0)
                return slot_copy_release(p, c, i, order[k], j, version, err, err_len);
    if (p->cfg.initial_uri[0] == '\0') {
        snprintf(err, err_len, "no release installed for %s", p->cfg.name);
        return -1;
    }
    if (local_artifact_local(p, p->cfg.initial_uri, p->cfg.initial_sha256,
                             p->cfg.initial_version, tarball, sizeof(tarball), err,
                             err_len) != 0 ||
        local_slot_unpack(p, c, i, tarball, p->cfg.initial_version, err, err_len) != 0)
        return -1;
    log_info("slot %s-%d: installed initial release %s", color_name(c), i + 1,
             p->cfg.initial_version);
    return local_slot_set_current(p, c, i, p->cfg.initial_version, err, err_len);
}

/* local_hook_env_free - release an environment built by local_hook_env_create */
void local_hook_env_free(char **env)
{
    if (env == NULL)
        return;
    for (size_t i = 0; env[i] != NULL; i++)
        free(env[i]);
    free(env);
}

/* hook_var_ours - 1 when an environ entry is one the provider sets itself */
static int hook_var_ours(const char *entry)
{
    for (size_t k = 0; k < sizeof(local_hook_vars) / sizeof(local_hook_vars[0]); k++)
        if (strncmp(entry, local_hook_vars[k], strlen(local_hook_vars[k])) == 0)
            return 1;
    return 0;
}

/* env_add - append a formatted entry; 0, or -1 when out of memory */
static int env_add(char **env, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int env_add(char **env, size_t *n, const char *fmt, ...)
{
    va_list ap;
    char *entry;
    int rc;

    va_start(ap, fmt);
    rc = vasprintf(&entry, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    env[(*n)++] = entry;
    return 0;
}

/* local_hook_env_create - the caller's environment plus PORT, COLOR, VERSION, INSTANCE_DIR,
 * RELEASE_DIR and, when event is not NULL, LIFECYCLE_EVENT; NULL when out of memory */
char **local_hook_env_create(const struct local_provider *p, enum color c, int i,
                             const char *version, const char *release_dir, const char *event)
{
    char **env = calloc(LOCAL_ENV_MAX + 6, sizeof(char *));
    char instance[LOCAL_PATH];
    size_t n = 0;
    int rc = 0;

    if (env == NULL || local_slot_path(p, c, i, NULL, instance, sizeof(instance)) != 0) {
        free(env);
        return NULL;
    }
    for (size_t k = 0; environ[k] != NULL && n < LOCAL_ENV_MAX && rc == 0; k++)
        if (!hook_var_ours(environ[k]))
            rc = env_add(env, &n, "%s", environ[k]);
    if (rc != 0 || env_add(env, &n, "PORT=%d", local_slot_port(p, c, i)) != 0 ||
        env_add(env, &n, "COLOR=%s", color_name(c)) != 0 ||
        env_add(env, &n, "VERSION=%s", version) != 0 ||
        env_add(env, &n, "INSTANCE_DIR=%s", instance) != 0 ||
        env_add(env, &n, "RELEASE_DIR=%s", release_dir) != 0 ||
        (event != NULL && env_add(env, &n, "LIFECYCLE_EVENT=%s", event) != 0)) {
        local_hook_env_free(env);
        return NULL;
    }
    return env;
}

/* spawn_detached - run argv (an sh that puts its work in the background and exits)
 * in a new session through posix_spawn: stdin /dev/null, output appended to log_path,
 * working directory dir, none of our descriptors. The background work is reparented
 * away from us, so it outlives us and never becomes our zombie. */
static int spawn_detached(const char *log_path, const char *dir, char *const argv[],
                          char *const envp[], char *err, size_t err_len)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    pid_t pid;
    int rc, status;

    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawn_file_actions_addchdir_np(&fa, dir);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        snprintf(err, err_len, "spawn %s: %s", argv[0], strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            break;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    snprintf(err, err_len, "could not start a detached process");
    return -1;
}

/* start_argv - an sh that runs each ApplicationStart script in order, in the
 * background, and returns at once */
static char **start_argv(const struct appspec_hook *hook, char *err, size_t err_len)
{
    static const char loop[] =
        "(for s in \"$@\"; do if [ -x \"$s\" ]; then \"$s\"; else /bin/sh \"$s\"; fi "
        "|| exit $?; done) &";
    char **argv = calloc(hook->script_count + 5, sizeof(char *));
    size_t n = 0;

    if (argv == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    argv[n++] = "/bin/sh";
    argv[n++] = "-c";
    argv[n++] = (char *)loop;
    argv[n++] = "cutover-start";
    for (size_t k = 0; k < hook->script_count; k++)
        argv[n++] = hook->scripts[k].location;
    return argv;
}

/* slot_running_release - the release a running slot of c other than skip
 * has, into out; 0, or -1 when none runs */
static int slot_running_release(const struct local_provider *p, enum color c, int skip,
                                char *out, size_t len, int *from)
{
    for (int j = 0; j < p->cfg.max_instances; j++) {
        if (j == skip || !slot_alive(p, c, j) || local_slot_current(p, c, j, out, len) != 0)
            continue;
        *from = j;
        return 0;
    }
    return -1;
}

/* slot_take_live_release - a slot coming up runs what its color runs now,
 * as an instance launched from its group's template would: the release of
 * a running sibling; when none of its color runs (a color scaled up from
 * zero), the release a running slot of the other color, the serving one,
 * has. Either replaces the slot's own when they differ (a leftover from a
 * deployment that failed or rolled back). A color whose every instance
 * died comes back with the other color's release: without a running
 * sibling nothing here tells which one it ran. */
static int slot_take_live_release(const struct local_provider *p, enum color c, int i,
                                  char *err, size_t err_len)
{
    char live[128], own[128] = "";
    enum color from_c = c;
    int from_i;

    local_slot_current(p, c, i, own, sizeof(own));
    if (slot_running_release(p, c, i, live, sizeof(live), &from_i) != 0) {
        from_c = color_other(c);
        if (slot_running_release(p, from_c, -1, live, sizeof(live), &from_i) != 0)
            return 0;
    }
    if (strcmp(live, own) == 0)
        return 0;
    return slot_copy_release(p, c, i, from_c, from_i, live, err, err_len);
}

/* slot_start - run the current release's ApplicationStart hook, detached */
static int slot_start(const struct local_provider *p, enum color c, int i, char *err,
                      size_t err_len)
{
    char version[128], release[LOCAL_PATH], spec_path[LOCAL_PATH], log_path[LOCAL_PATH];
    struct appspec *spec = NULL;
    const struct appspec_hook *hook;
    char **envp = NULL, **argv = NULL;
    int rc = -1;

    if (slot_take_live_release(p, c, i, err, err_len) != 0)
        return -1;
    if (local_slot_current(p, c, i, version, sizeof(version)) != 0 &&
        (slot_install_any(p, c, i, err, err_len) != 0 ||
         local_slot_current(p, c, i, version, sizeof(version)) != 0))
        return -1;
    if (local_slot_path(p, c, i, "current", release, sizeof(release)) != 0 ||
        local_fmt_path(spec_path, sizeof(spec_path), err, err_len, "%s/appspec.yml",
                       release) != 0 ||
        local_slot_path(p, c, i, "hooks.log", log_path, sizeof(log_path)) != 0)
        return -1;
    if ((spec = appspec_load(spec_path, err, err_len)) == NULL)
        return -1;
    hook = appspec_hook_find(spec, "ApplicationStart");
    if (hook == NULL || hook->script_count == 0) {
        snprintf(err, err_len, "release %s has no ApplicationStart hook", version);
        goto out;
    }
    envp = local_hook_env_create(p, c, i, version, release, "ApplicationStart");
    if (envp == NULL || (argv = start_argv(hook, err, err_len)) == NULL) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    rc = spawn_detached(log_path, release, argv, envp, err, err_len);
    if (rc == 0)
        log_info("slot %s-%d: starting release %s", color_name(c), i + 1, version);
out:
    free(argv);
    local_hook_env_free(envp);
    appspec_free(spec);
    return rc;
}

/* slot_retire - drain and disable the slot's servers, stop its process */
static int slot_retire(const struct local_provider *p, enum color c, int i, char *err,
                       size_t err_len)
{
    char preview[128];
    pid_t pid = local_slot_pid(p, c, i);

    snprintf(preview, sizeof(preview), "%s_preview_%s", p->cfg.name, color_name(c));
    if (local_server_set(p, p->cfg.name, c, i, HAPROXY_ADMIN_DRAIN, err, err_len) != 0 ||
        local_server_set(p, p->cfg.name, c, i, HAPROXY_ADMIN_MAINT, err, err_len) != 0 ||
        local_server_set(p, preview, c, i, HAPROXY_ADMIN_MAINT, err, err_len) != 0)
        return -1;
    if (local_pid_alive(pid)) {
        log_info("slot %s-%d: stopping process %ld", color_name(c), i + 1, (long)pid);
        local_pid_stop(pid);
    }
    return 0;
}

/* ---- provider operations: scale, health --------------------------------- */

/* local_scale - absolute capacity for color c */
int local_scale(void *state, enum color c, int capacity, char *err, size_t err_len)
{
    struct local_provider *p = state;
    struct provider_weights w;
    int known;

    if (capacity < 0 || capacity > p->cfg.max_instances) {
        snprintf(err, err_len, "capacity %d out of 0..%d (local.max_instances)", capacity,
                 p->cfg.max_instances);
        return -1;
    }
    if (local_scale_weights(p, c, capacity, &w, &known, err, err_len) != 0 ||
        local_desired_set(p, c, capacity, err, err_len) != 0)
        return -1;
    for (int i = 0; i < capacity; i++) {
        if (!slot_alive(p, c, i) && slot_start(p, c, i, err, err_len) != 0)
            return -1;
        if (local_slot_enable(p, c, i, err, err_len) != 0)
            return -1;
    }
    fault_point("local-scale-before-retire"); /* the count recorded, slots still running */
    for (int i = capacity; i < p->cfg.max_instances; i++)
        if (slot_retire(p, c, i, err, err_len) != 0)
            return -1;
    if (known)
        log_info("scaled %s to %d (weights blue %d green %d)", color_name(c), capacity, w.blue,
                 w.green);
    else
        log_info("scaled %s to %d (no weights set: %s at 0)", color_name(c), capacity,
                 color_name(c));
    if (local_scale_weights_apply(p, c, &w, known, err, err_len) != 0)
        return -1;
    local_state_save(p);
    return 0;
}

/* server_in_maint - 1 when sv holds the main server of slot i of c in maintenance */
static int server_in_maint(const struct haproxy_server *sv, size_t n, enum color c, int i)
{
    char name[32];

    local_server_name(c, i, name, sizeof(name));
    for (size_t k = 0; k < n; k++)
        if (strcmp(sv[k].name, name) == 0)
            return sv[k].status == HAPROXY_STATUS_MAINT;
    return 0;
}

/* local_slots_restore - after a reload of ours that restored no state: the servers of
 * running slots below the recorded capacity out of maintenance again; a failure only warns */
void local_slots_restore(const struct local_provider *p)
{
    struct haproxy_server *sv = calloc(HAPROXY_SERVERS_MAX, sizeof(*sv));
    char err[512];
    size_t n;

    if (sv == NULL || local_servers_read(p, sv, &n, err, sizeof(err)) != 0)
        goto out;
    for (int c = COLOR_BLUE; c <= COLOR_GREEN; c++) {
        int desired = local_desired_get(p, c); /* a file read: once per color */
        for (int i = 0; i < desired; i++) {
            if (!slot_alive(p, c, i) || !server_in_maint(sv, n, c, i))
                continue;
            log_warn("haproxy reloaded with %s-%d of %s in maintenance: enabling it again",
                     color_name(c), i + 1, p->cfg.name);
            if (local_slot_enable(p, c, i, err, sizeof(err)) != 0)
                log_warn("slot %s-%d not enabled: %s", color_name(c), i + 1, err);
        }
    }
out:
    free(sv);
}

/* local_health - desired, running (process alive) and healthy (check UP) */
int local_health(void *state, enum color c, struct provider_health *out, char *err,
                 size_t err_len)
{
    struct local_provider *p = state;
    struct haproxy_server *sv = calloc(HAPROXY_SERVERS_MAX, sizeof(*sv));
    size_t n;
    char name[32];
    int rc = -1;

    if (sv == NULL || local_servers_read(p, sv, &n, err, err_len) != 0)
        goto out;
    *out = (struct provider_health){ .desired = local_desired_get(p, c) };
    for (int i = 0; i < p->cfg.max_instances; i++) {
        if (!slot_alive(p, c, i))
            continue;
        out->running++;
        local_server_name(c, i, name, sizeof(name));
        for (size_t k = 0; k < n; k++)
            if (strcmp(sv[k].name, name) == 0 && sv[k].status == HAPROXY_STATUS_UP)
                out->healthy++;
    }
    rc = 0;
out:
    free(sv);
    return rc;
}
