/*
 * provider_local - the "local" provider: HAProxy in front, instances as
 *                  local processes, releases run through appspec hooks.
 *
 * SYNOPSIS
 *	const struct provider_ops *ops = provider_find("local");
 *	(see provider.h)
 *
 * DESCRIPTION
 *	An environment <env> owns, in CUTOVER_HAPROXY_CONFIG_DIR, the file
 *	env-<env>.cfg: a frontend on 127.0.0.1:<local.listen_port> that sends
 *	requests carrying the preview header (value blue or green) to backend
 *	<env>_preview_<color> and all others to backend <env>. Each backend
 *	declares max_instances server slots per color, blue1..blueN and
 *	green1..greenN, disabled at start. open() writes the file when its
 *	content changed and then reloads HAProxy through the master socket;
 *	runtime state (weights, enabled servers) survives reloads through a
 *	server-state-file dumped just before each reload.
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
#include "appspec.h"
#include "artifact.h"
#include "config.h"
#include "haproxy.h"
#include "log.h"
#include "provider.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOCAL_SLOTS_MAX       32    /* local.max_instances upper bound */
#define LOCAL_DEPLOYS_MAX     8     /* deployments tracked at once */
#define LOCAL_CFG_MAX         (64 * 1024)
#define LOCAL_ENV_MAX         1024  /* environment variables passed to hooks */
#define LOCAL_RELOAD_WAIT_MS  15000
#define LOCAL_STOP_WAIT_MS    5000
#define LOCAL_POLL_STEP_MS    20
#define LOCAL_PATH            4096

enum local_phase { PHASE_STOP, PHASE_INSTALL, PHASE_START, PHASE_DONE };
enum local_slot_status { SLOT_RUNNING, SLOT_SUCCEEDED, SLOT_FAILED };

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

struct local_provider {
    struct local_config cfg;
    char sock[LOCAL_PATH];
    char master[LOCAL_PATH];
    char conf_dir[LOCAL_PATH];
    char local_dir[LOCAL_PATH];     /* CUTOVER_RUN_DIR/local, absolute */
    char env_dir[LOCAL_PATH];       /* local_dir/<env> */
    struct local_deploy *deploys[LOCAL_DEPLOYS_MAX];
};

static const char *const local_stop_hooks[] = { "ApplicationStop" };
static const char *const local_install_hooks[] = { "BeforeInstall", "AfterInstall" };
static const char *const local_start_hooks[] = { "ApplicationStart", "ValidateService" };
static const char *const local_hook_vars[] = { "PORT=", "COLOR=", "VERSION=", "INSTANCE_DIR=",
                                               "RELEASE_DIR=", "LIFECYCLE_EVENT=" };

/* fmt_path - snprintf into a path buffer; -1 with a message when truncated */
static int fmt_path(char *buf, size_t len, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fmt_path(char *buf, size_t len, char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, err_len, "path too long");
        return -1;
    }
    return 0;
}

/* sleep_ms - a short pause inside a bounded poll loop */
static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* mono_ms - monotonic milliseconds */
static long long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* matches - 1 when s matches the POSIX extended regular expression re */
static int matches(const char *s, const char *re)
{
    regex_t rx;
    int ok;

    if (s == NULL || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    ok = regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

/* mkdir_p - create path and its parents */
static int mkdir_p(const char *path, char *err, size_t err_len)
{
    char buf[LOCAL_PATH];

    if (fmt_path(buf, sizeof(buf), err, err_len, "%s", path) != 0)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        goto fail;
    return 0;
fail:
    snprintf(err, err_len, "mkdir %s: %s", buf, strerror(errno));
    return -1;
}

/* read_file_capped - a small file's content into buf; -1 when absent */
static int read_file_capped(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    size_t got = 0;

    if (fd < 0)
        return -1;
    while (got + 1 < len && (n = read(fd, buf + got, len - got - 1)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(fd);
    return 0;
}

/* write_file_atomic - write content to path through a temporary file and rename */
static int write_file_atomic(const char *path, const char *content, char *err, size_t err_len)
{
    char tmp[LOCAL_PATH];
    FILE *f;

    if (fmt_path(tmp, sizeof(tmp), err, err_len, "%s.tmp.%ld", path, (long)getpid()) != 0)
        return -1;
    if ((f = fopen(tmp, "w")) == NULL) {
        snprintf(err, err_len, "open %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (fputs(content, f) == EOF || fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(err, err_len, "write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

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

    if ((item != NULL && !cJSON_IsString(item)) || v == NULL || !matches(v, re) ||
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
    if (!matches(environment, "^[a-z0-9][a-z0-9-]{0,62}$")) {
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
    if (fmt_path(p->sock, sizeof(p->sock), err, err_len, "%s", sock) != 0 ||
        fmt_path(p->master, sizeof(p->master), err, err_len, "%s", master) != 0 ||
        fmt_path(p->conf_dir, sizeof(p->conf_dir), err, err_len, "%s", conf) != 0 ||
        fmt_path(local, sizeof(local), err, err_len, "%s/local/%s", run, p->cfg.name) != 0 ||
        mkdir_p(local, err, err_len) != 0)
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

/* ---- the HAProxy configuration ------------------------------------------ */

struct cfg_buf {
    char *text;
    size_t len;
    int overflow;
};

/* cfg_add - append formatted text; remembers an overflow of LOCAL_CFG_MAX */
static void cfg_add(struct cfg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cfg_add(struct cfg_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->overflow)
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->text + b->len, LOCAL_CFG_MAX - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= LOCAL_CFG_MAX - b->len)
        b->overflow = 1;
    else
        b->len += (size_t)n;
}

/* slot_port - the port of slot i of color c */
static int slot_port(const struct local_provider *p, enum color c, int i)
{
    return p->cfg.base_port + (int)c * p->cfg.max_instances + i;
}

/* cfg_add_backend - one backend with the slots of the given colors */
static void cfg_add_backend(const struct local_provider *p, struct cfg_buf *b,
                            const char *backend, int with_blue, int with_green, int weight)
{
    cfg_add(b, "\nbackend %s\n    mode http\n    balance roundrobin\n", backend);
    cfg_add(b, "    option httpchk GET %s\n    option redispatch\n    retries 3\n",
            p->cfg.health_path);
    cfg_add(b, "    timeout connect 2s\n    timeout server 30s\n");
    cfg_add(b, "    load-server-state-from-file local\n");
    cfg_add(b, "    server-state-file-name %s/haproxy.state\n", p->env_dir);
    for (int c = COLOR_BLUE; c <= COLOR_GREEN; c++) {
        if ((c == COLOR_BLUE && !with_blue) || (c == COLOR_GREEN && !with_green))
            continue;
        for (int i = 0; i < p->cfg.max_instances; i++)
            cfg_add(b, "    server %s%d 127.0.0.1:%d disabled weight %d check inter 500 "
                       "fall 2 rise 1\n",
                    color_name((enum color)c), i + 1, slot_port(p, (enum color)c, i), weight);
    }
}

/* cfg_render - the text of env-<name>.cfg */
static void cfg_render(const struct local_provider *p, struct cfg_buf *b)
{
    const char *n = p->cfg.name;
    char backend[128];

    cfg_add(b, "# env-%s.cfg - written by cutover's local provider; do not edit.\n", n);
    cfg_add(b, "frontend %s_front\n    bind 127.0.0.1:%d\n    mode http\n", n,
            p->cfg.listen_port);
    cfg_add(b, "    timeout client 30s\n");
    for (int c = COLOR_BLUE; c <= COLOR_GREEN; c++)
        cfg_add(b, "    use_backend %s_preview_%s if { req.hdr(%s) -i %s }\n", n,
                color_name((enum color)c), p->cfg.preview_header, color_name((enum color)c));
    cfg_add(b, "    default_backend %s\n", n);
    cfg_add_backend(p, b, n, 1, 1, 0);
    snprintf(backend, sizeof(backend), "%s_preview_blue", n);
    cfg_add_backend(p, b, backend, 1, 0, 1);
    snprintf(backend, sizeof(backend), "%s_preview_green", n);
    cfg_add_backend(p, b, backend, 0, 1, 1);
}

/* backend_loaded - 1 when the running HAProxy knows backend */
static int backend_loaded(const struct local_provider *p, const char *backend)
{
    char cmd[128], err[256], *answer = NULL;
    int ok;

    if (!haproxy_name_valid(backend))
        return 0;
    snprintf(cmd, sizeof(cmd), "show servers state %s", backend);
    if (haproxy_command(p->sock, cmd, &answer, err, sizeof(err)) != 0)
        return 0;
    ok = strncmp(answer, "1\n", 2) == 0;
    free(answer);
    return ok;
}

/* state_save - this environment's servers state into <env>/haproxy.state, which its
 * backends load after any reload (whoever asks for it); a failure only warns */
static void state_save(const struct local_provider *p)
{
    char backends[3][128], path[LOCAL_PATH], err[512];
    const char *names[3] = { backends[0], backends[1], backends[2] };

    snprintf(backends[0], sizeof(backends[0]), "%s", p->cfg.name);
    snprintf(backends[1], sizeof(backends[1]), "%s_preview_blue", p->cfg.name);
    snprintf(backends[2], sizeof(backends[2]), "%s_preview_green", p->cfg.name);
    if (fmt_path(path, sizeof(path), err, sizeof(err), "%s/haproxy.state", p->env_dir) != 0 ||
        haproxy_dump_state(p->sock, names, 3, path, err, sizeof(err)) != 0)
        log_warn("haproxy state of %s not saved: %s", p->cfg.name, err);
}

/* reload_wait - reload HAProxy and wait until a new worker serves backend */
static int reload_wait(const struct local_provider *p, char *err, size_t err_len)
{
    char why[256] = "";
    long old_pid = 0, pid = 0;
    long long deadline;

    if (haproxy_worker_pid(p->sock, &old_pid, why, sizeof(why)) == 0 &&
        backend_loaded(p, p->cfg.name))
        state_save(p);
    if (haproxy_reload(p->master, err, err_len) != 0)
        return -1;
    deadline = mono_ms() + LOCAL_RELOAD_WAIT_MS;
    while (mono_ms() < deadline) {
        if (haproxy_worker_pid(p->sock, &pid, why, sizeof(why)) == 0 && pid != old_pid &&
            backend_loaded(p, p->cfg.name))
            return 0;
        sleep_ms(50);
    }
    snprintf(err, err_len, "haproxy did not load backend %s within %d ms (last: %s)",
             p->cfg.name, LOCAL_RELOAD_WAIT_MS, why[0] ? why : "old worker still answers");
    return -1;
}

/* cfg_install - write env-<name>.cfg when it changed, reload (*reloaded set);
 * restore the old file on failure */
static int cfg_install(const struct local_provider *p, const char *text, int *reloaded,
                       char *err, size_t err_len)
{
    char path[LOCAL_PATH], *old = malloc(LOCAL_CFG_MAX);
    int had_old, rc = -1;

    if (old == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (fmt_path(path, sizeof(path), err, err_len, "%s/env-%s.cfg", p->conf_dir,
                 p->cfg.name) != 0)
        goto out;
    had_old = read_file_capped(path, old, LOCAL_CFG_MAX) == 0;
    if (had_old && strcmp(old, text) == 0 && backend_loaded(p, p->cfg.name)) {
        rc = 0;
        goto out;
    }
    if (write_file_atomic(path, text, err, err_len) != 0)
        goto out;
    log_info("haproxy: reloading for %s", path);
    if ((rc = reload_wait(p, err, err_len)) == 0)
        *reloaded = 1;
    else {
        char ignored[256];
        if (had_old)
            write_file_atomic(path, old, ignored, sizeof(ignored));
        else
            unlink(path);
    }
out:
    free(old);
    return rc;
}

/* cfg_ensure - the environment's HAProxy configuration, under a lock file;
 * *reloaded tells whether HAProxy was reloaded for it */
static int cfg_ensure(const struct local_provider *p, int *reloaded, char *err, size_t err_len)
{
    struct cfg_buf b = { .text = malloc(LOCAL_CFG_MAX) };
    char lock[LOCAL_PATH];
    int fd = -1, rc = -1;

    if (b.text == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    cfg_render(p, &b);
    if (b.overflow) {
        snprintf(err, err_len, "haproxy configuration larger than %d bytes", LOCAL_CFG_MAX);
        goto out;
    }
    if (fmt_path(lock, sizeof(lock), err, err_len, "%s/haproxy.lock", p->local_dir) != 0)
        goto out;
    if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 || flock(fd, LOCK_EX) != 0) {
        snprintf(err, err_len, "lock %s: %s", lock, strerror(errno));
        goto out;
    }
    *reloaded = 0;
    rc = cfg_install(p, b.text, reloaded, err, err_len);
out:
    if (fd >= 0)
        close(fd);
    free(b.text);
    return rc;
}

/* ---- slots -------------------------------------------------------------- */

/* slot_path - CUTOVER_RUN_DIR/local/<env>/<color>-<i+1>[/leaf] */
static int slot_path(const struct local_provider *p, enum color c, int i, const char *leaf,
                     char *buf, size_t len)
{
    char ignored[64];

    return fmt_path(buf, len, ignored, sizeof(ignored), "%s/%s-%d%s%s", p->env_dir,
                    color_name(c), i + 1, leaf ? "/" : "", leaf ? leaf : "");
}

/* server_name - "<color><i+1>" */
static void server_name(enum color c, int i, char *buf, size_t len)
{
    snprintf(buf, len, "%s%d", color_name(c), i + 1);
}

/* pid_alive - 1 when pid is a live process (a zombie is dead) */
static int pid_alive(pid_t pid)
{
    char path[64], stat[512], *rparen;

    if (pid <= 0 || kill(pid, 0) != 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if (read_file_capped(path, stat, sizeof(stat)) != 0)
        return 0;
    rparen = strrchr(stat, ')');
    return rparen != NULL && rparen[1] == ' ' && rparen[2] != 'Z' && rparen[2] != 'X';
}

/* slot_pid - the pid in the slot's pid file; 0 when none */
static pid_t slot_pid(const struct local_provider *p, enum color c, int i)
{
    char path[LOCAL_PATH], buf[32];
    long pid;

    if (slot_path(p, c, i, "pid", path, sizeof(path)) != 0 ||
        read_file_capped(path, buf, sizeof(buf)) != 0)
        return 0;
    pid = strtol(buf, NULL, 10);
    return pid > 0 && pid < INT_MAX ? (pid_t)pid : 0;
}

/* slot_alive - 1 when the slot's process runs */
static int slot_alive(const struct local_provider *p, enum color c, int i)
{
    return pid_alive(slot_pid(p, c, i));
}

/* slot_current - the version the slot's "current" link names; -1 when none */
static int slot_current(const struct local_provider *p, enum color c, int i, char *version,
                        size_t len)
{
    char link[LOCAL_PATH], target[LOCAL_PATH], *base;
    ssize_t n;

    if (slot_path(p, c, i, "current", link, sizeof(link)) != 0)
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

/* slot_set_current - point "current" at releases/<version> (atomic rename) */
static int slot_set_current(const struct local_provider *p, enum color c, int i,
                            const char *version, char *err, size_t err_len)
{
    char link[LOCAL_PATH], tmp[LOCAL_PATH], target[LOCAL_PATH];

    if (slot_path(p, c, i, "current", link, sizeof(link)) != 0 ||
        fmt_path(tmp, sizeof(tmp), err, err_len, "%s.new", link) != 0 ||
        fmt_path(target, sizeof(target), err, err_len, "releases/%s", version) != 0)
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

    if (fmt_path(rel, sizeof(rel), err, err_len, "releases/%s", version) != 0 ||
        slot_path(p, from_c, from_i, rel, src, sizeof(src)) != 0 ||
        slot_path(p, c, i, rel, dst, sizeof(dst)) != 0 ||
        slot_path(p, c, i, "releases", dir, sizeof(dir)) != 0 || mkdir_p(dir, err, err_len) != 0)
        return -1;
    if (access(dst, F_OK) != 0) {
        char *argv[] = { "cp", "-a", src, dst, NULL };
        if (run_argv(argv, err, err_len) != 0)
            return -1;
    }
    log_info("slot %s-%d: copied release %s from %s-%d", color_name(c), i + 1, version,
             color_name(from_c), from_i + 1);
    return slot_set_current(p, c, i, version, err, err_len);
}

/* artifact_local - fetch an artifact once into <env>/artifacts/<version>.tar.gz */
static int artifact_local(const struct local_provider *p, const char *uri, const char *sha256,
                          const char *version, char *tarball, size_t len, char *err,
                          size_t err_len)
{
    char dir[LOCAL_PATH];

    if (fmt_path(dir, sizeof(dir), err, err_len, "%s/artifacts", p->env_dir) != 0 ||
        mkdir_p(dir, err, err_len) != 0 ||
        fmt_path(tarball, len, err, err_len, "%s/%s.tar.gz", dir, version) != 0)
        return -1;
    return artifact_fetch(uri, sha256, tarball, err, err_len);
}

/* slot_unpack - unpack tarball into the slot's releases/<version> */
static int slot_unpack(const struct local_provider *p, enum color c, int i,
                       const char *tarball, const char *version, char *err, size_t err_len)
{
    char dir[LOCAL_PATH], rel[LOCAL_PATH];

    if (slot_path(p, c, i, "releases", dir, sizeof(dir)) != 0 || mkdir_p(dir, err, err_len) != 0 ||
        fmt_path(rel, sizeof(rel), err, err_len, "%s/%s", dir, version) != 0)
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
                slot_current(p, order[k], j, version, sizeof(version)) == 0)
                return slot_copy_release(p, c, i, order[k], j, version, err, err_len);
    if (p->cfg.initial_uri[0] == '\0') {
        snprintf(err, err_len, "no release installed for %s", p->cfg.name);
        return -1;
    }
    if (artifact_local(p, p->cfg.initial_uri, p->cfg.initial_sha256, p->cfg.initial_version,
                       tarball, sizeof(tarball), err, err_len) != 0 ||
        slot_unpack(p, c, i, tarball, p->cfg.initial_version, err, err_len) != 0)
        return -1;
    log_info("slot %s-%d: installed initial release %s", color_name(c), i + 1,
             p->cfg.initial_version);
    return slot_set_current(p, c, i, p->cfg.initial_version, err, err_len);
}

/* hook_env_free - release an environment built by hook_env_create */
static void hook_env_free(char **env)
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

/* hook_env_create - the caller's environment plus PORT, COLOR, VERSION, INSTANCE_DIR,
 * RELEASE_DIR and, when event is not NULL, LIFECYCLE_EVENT; NULL when out of memory */
static char **hook_env_create(const struct local_provider *p, enum color c, int i,
                              const char *version, const char *release_dir, const char *event)
{
    char **env = calloc(LOCAL_ENV_MAX + 6, sizeof(char *));
    char instance[LOCAL_PATH];
    size_t n = 0;
    int rc = 0;

    if (env == NULL || slot_path(p, c, i, NULL, instance, sizeof(instance)) != 0) {
        free(env);
        return NULL;
    }
    for (size_t k = 0; environ[k] != NULL && n < LOCAL_ENV_MAX && rc == 0; k++)
        if (!hook_var_ours(environ[k]))
            rc = env_add(env, &n, "%s", environ[k]);
    if (rc != 0 || env_add(env, &n, "PORT=%d", slot_port(p, c, i)) != 0 ||
        env_add(env, &n, "COLOR=%s", color_name(c)) != 0 ||
        env_add(env, &n, "VERSION=%s", version) != 0 ||
        env_add(env, &n, "INSTANCE_DIR=%s", instance) != 0 ||
        env_add(env, &n, "RELEASE_DIR=%s", release_dir) != 0 ||
        (event != NULL && env_add(env, &n, "LIFECYCLE_EVENT=%s", event) != 0)) {
        hook_env_free(env);
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

/* slot_take_live_release - a slot coming up runs what the serving color
 * runs, as an instance launched from the live launch template would: the
 * release a running slot of the other color has, when it differs from the
 * slot's own (left over from a deployment that failed or rolled back) */
static int slot_take_live_release(const struct local_provider *p, enum color c, int i,
                                  char *err, size_t err_len)
{
    char live[128], own[128] = "";
    enum color other = color_other(c);

    slot_current(p, c, i, own, sizeof(own));
    for (int j = 0; j < p->cfg.max_instances; j++) {
        if (!slot_alive(p, other, j) || slot_current(p, other, j, live, sizeof(live)) != 0)
            continue;
        if (strcmp(live, own) == 0)
            return 0;
        return slot_copy_release(p, c, i, other, j, live, err, err_len);
    }
    return 0;
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
    if (slot_current(p, c, i, version, sizeof(version)) != 0 &&
        (slot_install_any(p, c, i, err, err_len) != 0 ||
         slot_current(p, c, i, version, sizeof(version)) != 0))
        return -1;
    if (slot_path(p, c, i, "current", release, sizeof(release)) != 0 ||
        fmt_path(spec_path, sizeof(spec_path), err, err_len, "%s/appspec.yml", release) != 0 ||
        slot_path(p, c, i, "hooks.log", log_path, sizeof(log_path)) != 0)
        return -1;
    if ((spec = appspec_load(spec_path, err, err_len)) == NULL)
        return -1;
    hook = appspec_hook_find(spec, "ApplicationStart");
    if (hook == NULL || hook->script_count == 0) {
        snprintf(err, err_len, "release %s has no ApplicationStart hook", version);
        goto out;
    }
    envp = hook_env_create(p, c, i, version, release, "ApplicationStart");
    if (envp == NULL || (argv = start_argv(hook, err, err_len)) == NULL) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    rc = spawn_detached(log_path, release, argv, envp, err, err_len);
    if (rc == 0)
        log_info("slot %s-%d: starting release %s", color_name(c), i + 1, version);
out:
    free(argv);
    hook_env_free(envp);
    appspec_free(spec);
    return rc;
}

/* pid_stop - SIGTERM, then SIGKILL after LOCAL_STOP_WAIT_MS; bounded wait */
static void pid_stop(pid_t pid)
{
    long long deadline = mono_ms() + LOCAL_STOP_WAIT_MS;

    if (!pid_alive(pid))
        return;
    kill(pid, SIGTERM);
    while (pid_alive(pid) && mono_ms() < deadline)
        sleep_ms(LOCAL_POLL_STEP_MS);
    if (!pid_alive(pid))
        return;
    log_warn("process %ld ignored SIGTERM for %d ms: SIGKILL", (long)pid, LOCAL_STOP_WAIT_MS);
    kill(pid, SIGKILL);
    deadline = mono_ms() + 1000;
    while (pid_alive(pid) && mono_ms() < deadline)
        sleep_ms(LOCAL_POLL_STEP_MS);
}

/* ---- HAProxy servers ---------------------------------------------------- */

/* server_set - set one server's state in backend */
static int server_set(const struct local_provider *p, const char *backend, enum color c, int i,
                      enum haproxy_admin state, char *err, size_t err_len)
{
    char name[32];

    server_name(c, i, name, sizeof(name));
    return haproxy_set_state(p->sock, backend, name, state, err, err_len);
}

/* slot_enable - point the slot's main server at its port and make it ready */
static int slot_enable(const struct local_provider *p, enum color c, int i, char *err,
                       size_t err_len)
{
    char name[32];

    server_name(c, i, name, sizeof(name));
    if (haproxy_set_addr(p->sock, p->cfg.name, name, "127.0.0.1", slot_port(p, c, i), err,
                         err_len) != 0)
        return -1;
    return haproxy_set_state(p->sock, p->cfg.name, name, HAPROXY_ADMIN_READY, err, err_len);
}

/* slot_retire - drain and disable the slot's servers, stop its process */
static int slot_retire(const struct local_provider *p, enum color c, int i, char *err,
                       size_t err_len)
{
    char preview[128];
    pid_t pid = slot_pid(p, c, i);

    snprintf(preview, sizeof(preview), "%s_preview_%s", p->cfg.name, color_name(c));
    if (server_set(p, p->cfg.name, c, i, HAPROXY_ADMIN_DRAIN, err, err_len) != 0 ||
        server_set(p, p->cfg.name, c, i, HAPROXY_ADMIN_MAINT, err, err_len) != 0 ||
        server_set(p, preview, c, i, HAPROXY_ADMIN_MAINT, err, err_len) != 0)
        return -1;
    if (pid_alive(pid)) {
        log_info("slot %s-%d: stopping process %ld", color_name(c), i + 1, (long)pid);
        pid_stop(pid);
    }
    return 0;
}

/* servers_read - the main backend's servers, from "show servers state" */
static int servers_read(const struct local_provider *p, struct haproxy_server *sv, size_t *n,
                        char *err, size_t err_len)
{
    return haproxy_servers_state(p->sock, p->cfg.name, sv, HAPROXY_SERVERS_MAX, n, err,
                                 err_len);
}

/* server_color - the color a server name belongs to; -1 for another name */
static int server_color(const char *name, enum color *c)
{
    if (strncmp(name, "blue", 4) == 0 && isdigit((unsigned char)name[4]))
        *c = COLOR_BLUE;
    else if (strncmp(name, "green", 5) == 0 && isdigit((unsigned char)name[5]))
        *c = COLOR_GREEN;
    else
        return -1;
    return 0;
}

/* server_serves - 1 when HAProxy may send new requests to the server: neither in
 * maintenance nor draining (a failing check is health, not weights) */
static int server_serves(const struct haproxy_server *sv)
{
    return sv->status != HAPROXY_STATUS_MAINT && sv->status != HAPROXY_STATUS_DRAIN;
}

/* weights_read - blue's share from HAProxy; -1 in *blue when no weight is set */
static int weights_read(const struct local_provider *p, int *blue, char *err, size_t err_len)
{
    struct haproxy_server *sv = calloc(HAPROXY_SERVERS_MAX, sizeof(*sv));
    long total[2] = { 0, 0 }, first[2] = { 0, 0 };
    size_t n;
    enum color c;
    int rc = -1;

    if (sv == NULL || servers_read(p, sv, &n, err, err_len) != 0)
        goto out;
    for (size_t k = 0; k < n; k++) {
        if (server_color(sv[k].name, &c) != 0)
            continue;
        if (strcmp(sv[k].name + strlen(color_name(c)), "1") == 0)
            first[c] = sv[k].weight;
        if (server_serves(&sv[k]))
            total[c] += sv[k].weight;
    }
    *blue = haproxy_share_from_totals(total[COLOR_BLUE], total[COLOR_GREEN]);
    if (*blue < 0) /* nothing enabled: the per-server weights still say the intent */
        *blue = haproxy_share_from_totals(first[COLOR_BLUE], first[COLOR_GREEN]);
    rc = 0;
out:
    free(sv);
    return rc;
}

/* enabled_count - how many of color c's main servers take traffic (server_serves) */
static int enabled_count(const struct local_provider *p, enum color c, char *err,
                         size_t err_len)
{
    struct haproxy_server *sv = calloc(HAPROXY_SERVERS_MAX, sizeof(*sv));
    size_t n;
    enum color sc;
    int count = -1;

    if (sv == NULL || servers_read(p, sv, &n, err, err_len) != 0)
        goto out;
    count = 0;
    for (size_t k = 0; k < n; k++)
        if (server_color(sv[k].name, &sc) == 0 && sc == c && server_serves(&sv[k]))
            count++;
out:
    free(sv);
    return count;
}

/* color_weight_set - the same weight on every main server of color c */
static int color_weight_set(const struct local_provider *p, enum color c, int weight,
                            char *err, size_t err_len)
{
    char name[32];

    for (int i = 0; i < p->cfg.max_instances; i++) {
        server_name(c, i, name, sizeof(name));
        if (haproxy_set_weight(p->sock, p->cfg.name, name, weight, err, err_len) != 0)
            return -1;
    }
    return 0;
}

/* weights_apply - per-server weights for each color from the shares */
static int weights_apply(const struct local_provider *p, const struct provider_weights *w,
                         char *err, size_t err_len)
{
    int share[2] = { w->blue, w->green }, count[2], weight[2];

    for (int c = COLOR_BLUE; c <= COLOR_GREEN; c++)
        if ((count[c] = enabled_count(p, (enum color)c, err, err_len)) < 0)
            return -1;
    haproxy_weights_for_shares(share, count, weight);
    for (int c = COLOR_BLUE; c <= COLOR_GREEN; c++)
        if (color_weight_set(p, (enum color)c, weight[c], err, err_len) != 0)
            return -1;
    return 0;
}

/* ---- provider operations: open, close, scale, health, weights ------------ */

static void weights_restore(const struct local_provider *p);

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
    if (config_parse(environment, config, &p->cfg, err, err_len) != 0 ||
        paths_resolve(p, err, err_len) != 0 || cfg_ensure(p, &reloaded, err, err_len) != 0) {
        free(p);
        return -1;
    }
    if (reloaded)
        weights_restore(p);
    *state = p;
    return 0;
}

static void deploy_free(struct local_deploy *d);

/* local_close - release the state; hook runs still going are stopped */
static void local_close(void *state)
{
    struct local_provider *p = state;

    if (p == NULL)
        return;
    for (int k = 0; k < LOCAL_DEPLOYS_MAX; k++)
        deploy_free(p->deploys[k]);
    free(p);
}

/* desired_path - where scale() records the capacity asked for */
static int desired_path(const struct local_provider *p, enum color c, char *buf, size_t len)
{
    char ignored[64];

    return fmt_path(buf, len, ignored, sizeof(ignored), "%s/%s.capacity", p->env_dir,
                    color_name(c));
}

/* desired_get - the capacity last asked for color c (0 when never) */
static int desired_get(const struct local_provider *p, enum color c)
{
    char path[LOCAL_PATH], buf[32];

    if (desired_path(p, c, path, sizeof(path)) != 0 ||
        read_file_capped(path, buf, sizeof(buf)) != 0)
        return 0;
    return atoi(buf);
}

/* desired_set - record the capacity asked for color c */
static int desired_set(const struct local_provider *p, enum color c, int capacity, char *err,
                       size_t err_len)
{
    char path[LOCAL_PATH], buf[32];

    if (desired_path(p, c, path, sizeof(path)) != 0)
        return -1;
    snprintf(buf, sizeof(buf), "%d\n", capacity);
    return write_file_atomic(path, buf, err, err_len);
}

/* weights_path - where set_weights() records the shares */
static int weights_path(const struct local_provider *p, char *buf, size_t len)
{
    char ignored[64];

    return fmt_path(buf, len, ignored, sizeof(ignored), "%s/weights", p->env_dir);
}

/* weights_recorded - the shares set_weights() recorded; -1 when none */
static int weights_recorded(const struct local_provider *p, struct provider_weights *w)
{
    char path[LOCAL_PATH], buf[64];
    int blue, green;

    if (weights_path(p, path, sizeof(path)) != 0 ||
        read_file_capped(path, buf, sizeof(buf)) != 0)
        return -1;
    if (sscanf(buf, "%d %d", &blue, &green) != 2 || blue < 0 || green < 0 ||
        blue + green != 100) {
        log_warn("%s: unreadable weights record ignored", path);
        return -1;
    }
    *w = (struct provider_weights){ blue, green };
    return 0;
}

/* weights_record - record the shares for scale() and reloads to apply again */
static int weights_record(const struct local_provider *p, const struct provider_weights *w,
                          char *err, size_t err_len)
{
    char path[LOCAL_PATH], buf[32];

    if (weights_path(p, path, sizeof(path)) != 0) {
        snprintf(err, err_len, "path too long");
        return -1;
    }
    snprintf(buf, sizeof(buf), "%d %d\n", w->blue, w->green);
    return write_file_atomic(path, buf, err, err_len);
}

/* color_serves - 1 when color c is asked to run or has a server taking traffic */
static int color_serves(const struct local_provider *p, enum color c, char *err,
                        size_t err_len)
{
    int enabled;

    if (desired_get(p, c) > 0)
        return 1;
    if ((enabled = enabled_count(p, c, err, err_len)) < 0)
        return -1;
    return enabled > 0;
}

/* scale_weights - the shares a scale of c to capacity keeps: set_weights()' record;
 * without one c takes all when the other color serves nothing (first seeding), else
 * HAProxy's shares stay; *known is 0 when there are none (no weight set anywhere) */
static int scale_weights(const struct local_provider *p, enum color c, int capacity,
                         struct provider_weights *w, int *known, char *err, size_t err_len)
{
    int blue, other;

    *known = 1;
    if (weights_recorded(p, w) == 0)
        return 0;
    if ((other = color_serves(p, color_other(c), err, err_len)) < 0)
        return -1;
    if (!other && capacity > 0) {
        *w = (struct provider_weights){ c == COLOR_BLUE ? 100 : 0, c == COLOR_GREEN ? 100 : 0 };
        log_info("first seeding of %s: %s takes the traffic", p->cfg.name, color_name(c));
        return weights_record(p, w, err, err_len);
    }
    if (weights_read(p, &blue, err, err_len) != 0)
        return -1;
    *known = blue >= 0;
    *w = (struct provider_weights){ blue < 0 ? 0 : blue, blue < 0 ? 0 : 100 - blue };
    return 0;
}

/* scale_weights_apply - spread known shares again; else only c gets weight 0, so
 * that scaling never gives c traffic nobody asked for */
static int scale_weights_apply(const struct local_provider *p, enum color c,
                               const struct provider_weights *w, int known, char *err,
                               size_t err_len)
{
    if (known)
        return weights_apply(p, w, err, err_len);
    return color_weight_set(p, c, 0, err, err_len);
}

/* weights_restore - after a reload of ours, the recorded shares again when HAProxy's
 * differ (a state file that was missing or stale); a failure only warns */
static void weights_restore(const struct local_provider *p)
{
    struct provider_weights w;
    char err[512];
    int blue;

    if (weights_recorded(p, &w) != 0 || weights_read(p, &blue, err, sizeof(err)) != 0 ||
        blue == w.blue)
        return;
    log_warn("haproxy reloaded with blue share %d for %s: restoring blue %d green %d", blue,
             p->cfg.name, w.blue, w.green);
    if (weights_apply(p, &w, err, sizeof(err)) != 0) {
        log_warn("weights of %s not restored: %s", p->cfg.name, err);
        return;
    }
    state_save(p);
}

/* local_scale - absolute capacity for color c */
static int local_scale(void *state, enum color c, int capacity, char *err, size_t err_len)
{
    struct local_provider *p = state;
    struct provider_weights w;
    int known;

    if (capacity < 0 || capacity > p->cfg.max_instances) {
        snprintf(err, err_len, "capacity %d out of 0..%d (local.max_instances)", capacity,
                 p->cfg.max_instances);
        return -1;
    }
    if (scale_weights(p, c, capacity, &w, &known, err, err_len) != 0 ||
        desired_set(p, c, capacity, err, err_len) != 0)
        return -1;
    for (int i = 0; i < capacity; i++) {
        if (!slot_alive(p, c, i) && slot_start(p, c, i, err, err_len) != 0)
            return -1;
        if (slot_enable(p, c, i, err, err_len) != 0)
            return -1;
    }
    for (int i = capacity; i < p->cfg.max_instances; i++)
        if (slot_retire(p, c, i, err, err_len) != 0)
            return -1;
    if (known)
        log_info("scaled %s to %d (weights blue %d green %d)", color_name(c), capacity, w.blue,
                 w.green);
    else
        log_info("scaled %s to %d (no weights set: %s at 0)", color_name(c), capacity,
                 color_name(c));
    if (scale_weights_apply(p, c, &w, known, err, err_len) != 0)
        return -1;
    state_save(p);
    return 0;
}

/* local_health - desired, running (process alive) and healthy (check UP) */
static int local_health(void *state, enum color c, struct provider_health *out, char *err,
                        size_t err_len)
{
    struct local_provider *p = state;
    struct haproxy_server *sv = calloc(HAPROXY_SERVERS_MAX, sizeof(*sv));
    size_t n;
    char name[32];
    int rc = -1;

    if (sv == NULL || servers_read(p, sv, &n, err, err_len) != 0)
        goto out;
    *out = (struct provider_health){ .desired = desired_get(p, c) };
    for (int i = 0; i < p->cfg.max_instances; i++) {
        if (!slot_alive(p, c, i))
            continue;
        out->running++;
        server_name(c, i, name, sizeof(name));
        for (size_t k = 0; k < n; k++)
            if (strcmp(sv[k].name, name) == 0 && sv[k].status == HAPROXY_STATUS_UP)
                out->healthy++;
    }
    rc = 0;
out:
    free(sv);
    return rc;
}

/* local_set_weights - absolute shares; idempotent */
static int local_set_weights(void *state, const struct provider_weights *w, char *err,
                             size_t err_len)
{
    struct local_provider *p = state;

    if (w->blue < 0 || w->green < 0 || w->blue + w->green != 100) {
        snprintf(err, err_len, "weights must be 0..100 and add up to 100");
        return -1;
    }
    if (weights_record(p, w, err, err_len) != 0 || weights_apply(p, w, err, err_len) != 0)
        return -1;
    state_save(p);
    log_info("weights blue %d green %d", w->blue, w->green);
    return 0;
}

/* local_get_weights - the shares HAProxy applies now */
static int local_get_weights(void *state, struct provider_weights *out, char *err,
                             size_t err_len)
{
    struct local_provider *p = state;
    int blue;

    if (weights_read(p, &blue, err, err_len) != 0)
        return -1;
    if (blue < 0) {
        snprintf(err, err_len, "no traffic weights set for %s", p->cfg.name);
        return -1;
    }
    out->blue = blue;
    out->green = 100 - blue;
    return 0;
}

/* ---- preview ------------------------------------------------------------ */

/* local_preview_open - color c's slots join its preview backend */
static int local_preview_open(void *state, enum color c, const char *deployment_id, char *url,
                              size_t url_len, char *err, size_t err_len)
{
    struct local_provider *p = state;
    char backend[128];
    int capacity = desired_get(p, c);

    snprintf(backend, sizeof(backend), "%s_preview_%s", p->cfg.name, color_name(c));
    for (int i = 0; i < p->cfg.max_instances; i++)
        if (server_set(p, backend, c, i, i < capacity ? HAPROXY_ADMIN_READY : HAPROXY_ADMIN_MAINT,
                       err, err_len) != 0)
            return -1;
    state_save(p);
    snprintf(url, url_len, "http://127.0.0.1:%d", p->cfg.listen_port);
    log_info("preview of %s open for %s at %s (header %s: %s)", color_name(c),
             deployment_id ? deployment_id : "-", url, p->cfg.preview_header, color_name(c));
    return 0;
}

/* local_preview_close - every preview server back in maintenance */
static int local_preview_close(void *state, const char *deployment_id, char *err,
                               size_t err_len)
{
    struct local_provider *p = state;
    char backend[128];

    for (int c = COLOR_BLUE; c <= COLOR_GREEN; c++) {
        snprintf(backend, sizeof(backend), "%s_preview_%s", p->cfg.name,
                 color_name((enum color)c));
        for (int i = 0; i < p->cfg.max_instances; i++)
            if (server_set(p, backend, (enum color)c, i, HAPROXY_ADMIN_MAINT, err, err_len) != 0)
                return -1;
    }
    state_save(p);
    log_info("preview closed for %s", deployment_id ? deployment_id : "-");
    return 0;
}

/* ---- deployments -------------------------------------------------------- */

/* deploy_free - stop what still runs and release a deployment */
static void deploy_free(struct local_deploy *d)
{
    if (d == NULL)
        return;
    for (int k = 0; k < d->slot_count; k++) {
        appspec_run_free(d->slots[k].run);
        hook_env_free(d->slots[k].envp);
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
                deploy_free(old);
                p->deploys[k] = d;
                return 0;
            }
        }
    snprintf(err, err_len, "more than %d deployments in progress", LOCAL_DEPLOYS_MAX);
    return -1;
}

/* marker_path - the slot's marker of a finished deployment */
static int marker_path(const struct local_provider *p, const struct local_deploy *d, int i,
                       char *buf, size_t len)
{
    char leaf[160];

    snprintf(leaf, sizeof(leaf), "deploy-%s", d->id);
    return slot_path(p, d->c, i, leaf, buf, len);
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
    hook_env_free(s->envp);
    s->envp = NULL;
    snprintf(text, sizeof(text), "%s %s\n", status == SLOT_SUCCEEDED ? "succeeded" : "failed",
             detail);
    if (marker_path(p, d, s->slot, path, sizeof(path)) == 0 &&
        write_file_atomic(path, text, err, sizeof(err)) != 0)
        log_warn("deployment %s: %s", d->id, err);
    state_save(p);
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

    if (fmt_path(spec_path, sizeof(spec_path), err, err_len, "%s/appspec.yml", release_dir) != 0 ||
        slot_path(p, d->c, s->slot, "hooks.log", log_path, sizeof(log_path)) != 0)
        return -1;
    if ((spec = appspec_load_max(spec_path, p->cfg.hook_timeout_s, err, err_len)) == NULL)
        return -1;
    hook_env_free(s->envp);
    s->envp = hook_env_create(p, d->c, s->slot, version, release_dir, NULL);
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
    if (fmt_path(rel, sizeof(rel), err, err_len, "releases/%s", d->version) != 0 ||
        slot_path(p, d->c, s->slot, rel, release, sizeof(release)) != 0)
        return -1;
    if (s->phase == PHASE_INSTALL)
        return slot_run_hooks(p, d, s, release, d->version, local_install_hooks, 2, err,
                              err_len);
    if (slot_set_current(p, d->c, s->slot, d->version, err, err_len) != 0)
        return -1;
    return slot_run_hooks(p, d, s, release, d->version, local_start_hooks, 2, err, err_len);
}

/* slot_after_stop - make sure the old process is gone once ApplicationStop ran */
static void slot_after_stop(const struct local_provider *p, struct local_deploy *d, int i)
{
    pid_t pid = slot_pid(p, d->c, i);
    char path[LOCAL_PATH];

    if (pid_alive(pid)) {
        log_warn("slot %s-%d: process %ld survived ApplicationStop", color_name(d->c), i + 1,
                 (long)pid);
        pid_stop(pid);
    }
    if (slot_path(p, d->c, i, "pid", path, sizeof(path)) == 0)
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
        if (slot_enable(p, d->c, s->slot, err, sizeof(err)) != 0)
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
        read_file_capped(path, text, sizeof(text)) == 0) {
        const char *space = strchr(text, ' ');
        s->phase = PHASE_DONE;
        s->status = strncmp(text, "succeeded", 9) == 0 ? SLOT_SUCCEEDED : SLOT_FAILED;
        snprintf(s->detail, sizeof(s->detail), "%s", space ? space + 1 : "");
        s->detail[strcspn(s->detail, "\n")] = '\0';
        return;
    }
    if (slot_current(p, d->c, s->slot, cur, sizeof(cur)) == 0 && strcmp(cur, d->version) != 0) {
        char rel[LOCAL_PATH];
        snprintf(rel, sizeof(rel), "releases/%s", cur);
        slot_path(p, d->c, s->slot, rel, s->old_release, sizeof(s->old_release));
    }
    if (server_set(p, p->cfg.name, d->c, s->slot, HAPROXY_ADMIN_MAINT, err, sizeof(err)) == 0) {
        state_save(p);
        if (slot_unpack(p, d->c, s->slot, tarball, d->version, err, sizeof(err)) == 0 &&
            slot_phase_start(p, d, s, err, sizeof(err)) == 0)
            return;
    }
    slot_finish(p, d, s, SLOT_FAILED, err);
}

/* deploy_create - a deployment of rel to color c, artifact fetched */
static struct local_deploy *deploy_create(struct local_provider *p, enum color c,
                                          const struct provider_release *rel, char *tarball,
                                          size_t tarball_len, char *err, size_t err_len)
{
    struct local_deploy *d;
    int capacity = desired_get(p, c);

    if (!matches(rel->deployment_id, "^[A-Za-z0-9][A-Za-z0-9._:-]{0,126}$") ||
        !matches(rel->version, "^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$") || rel->artifact_uri == NULL) {
        snprintf(err, err_len, "deploy: invalid deployment id, version or artifact");
        return NULL;
    }
    if (capacity <= 0) {
        snprintf(err, err_len, "deploy: %s has no capacity: scale it first", color_name(c));
        return NULL;
    }
    if (artifact_local(p, rel->artifact_uri, rel->artifact_sha256, rel->version, tarball,
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
static int local_deploy_start(void *state, enum color c, const struct provider_release *rel,
                              char *handle, size_t handle_len, char *err, size_t err_len)
{
    struct local_provider *p = state;
    struct local_deploy *d = deploy_find(p, rel->deployment_id ? rel->deployment_id : "");
    char tarball[LOCAL_PATH];

    if (d == NULL) {
        if ((d = deploy_create(p, c, rel, tarball, sizeof(tarball), err, err_len)) == NULL)
            return -1;
        if (deploy_track(p, d, err, err_len) != 0) {
            deploy_free(d);
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
static int local_deploy_poll(void *state, const char *handle, enum provider_deploy_status *out,
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
static int local_deploy_stop(void *state, const char *handle, char *err, size_t err_len)
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

const struct provider_ops provider_local_ops = {
    .name = "local",
    .open = local_open,
    .close = local_close,
    .scale = local_scale,
    .health = local_health,
    .deploy_start = local_deploy_start,
    .deploy_poll = local_deploy_poll,
    .deploy_stop = local_deploy_stop,
    .set_weights = local_set_weights,
    .get_weights = local_get_weights,
    .preview_open = local_preview_open,
    .preview_close = local_preview_close,
};
