/*
 * provider_local_haproxy - the local provider's HAProxy side: the
 *                          environment's configuration file and the reload
 *                          that installs it, the servers state file, the
 *                          slots' servers and the preview backends.
 *
 * SYNOPSIS
 *	local_cfg_ensure(p, &reloaded, err, sizeof(err));
 *	local_slot_enable(p, COLOR_GREEN, 0, err, sizeof(err));
 *	local_server_set(p, backend, COLOR_GREEN, 0, HAPROXY_ADMIN_MAINT, err, sizeof(err));
 *	local_state_save(p);
 *	local_preview_open(p, COLOR_GREEN, "dep-1", url, sizeof(url), err, sizeof(err));
 *
 * DESCRIPTION
 *	local_cfg_ensure() renders env-<env>.cfg (described in
 *	provider_local.c) and, when it differs from the installed file or
 *	HAProxy lacks the backend, writes it, under the lock file
 *	CUTOVER_RUN_DIR/local/haproxy.lock held exclusively, and reloads
 *	HAProxy through the master socket, waiting at most
 *	LOCAL_RELOAD_WAIT_MS for a new worker that serves the backend; a
 *	failed reload puts the old file back. Runtime changes go through the
 *	Runtime API socket; local_state_save() dumps them into
 *	<env>/haproxy.state, which the backends load after any reload. Every
 *	operation that changes runtime state holds the lock file shared
 *	(local_changes_begin/end) until its state is saved, so that no
 *	environment's change falls between another's reload and its new
 *	worker.
 *
 *	A preview backend holds the slots of one color: preview_open() makes
 *	the slots up to the color's capacity ready in it, preview_close() puts
 *	every preview server back in maintenance.
 */
#include "provider/local/provider_local_haproxy.h"

#include "base/clock.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define LOCAL_CFG_MAX         (64 * 1024)
#define LOCAL_RELOAD_WAIT_MS  15000

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
                    color_name((enum color)c), i + 1, local_slot_port(p, (enum color)c, i), weight);
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
    /* on a reload the old worker answers an idle keep-alive connection's next request
     * with "Connection: close" instead of closing it under a client about to send */
    cfg_add(b, "    option idle-close-on-response\n");
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

/* local_state_save - this environment's servers state into <env>/haproxy.state, which its
 * backends load after any reload (whoever asks for it); a failure only warns */
void local_state_save(const struct local_provider *p)
{
    char backends[3][128], path[LOCAL_PATH], err[512];
    const char *names[3] = { backends[0], backends[1], backends[2] };

    snprintf(backends[0], sizeof(backends[0]), "%s", p->cfg.name);
    snprintf(backends[1], sizeof(backends[1]), "%s_preview_blue", p->cfg.name);
    snprintf(backends[2], sizeof(backends[2]), "%s_preview_green", p->cfg.name);
    if (local_fmt_path(path, sizeof(path), err, sizeof(err), "%s/haproxy.state", p->env_dir) != 0 ||
        haproxy_dump_state(p->sock, names, 3, path, err, sizeof(err)) != 0)
        log_warn("haproxy state of %s not saved: %s", p->cfg.name, err);
}

/* reload_wait - reload HAProxy and wait until a new worker serves backend; a
 * reload request that fails (the master re-executing for someone else's
 * reload resets or refuses the connection) is asked again until the deadline */
static int reload_wait(const struct local_provider *p, char *err, size_t err_len)
{
    char why[256] = "";
    long old_pid = 0, pid = 0;
    long long deadline = clock_mono_ms() + LOCAL_RELOAD_WAIT_MS;
    int asked = 0, refusals = 0;

    if (haproxy_worker_pid(p->sock, &old_pid, why, sizeof(why)) == 0 &&
        backend_loaded(p, p->cfg.name))
        local_state_save(p);
    while (clock_mono_ms() < deadline) {
        if (!asked && (asked = haproxy_reload(p->master, why, sizeof(why)) == 0) == 0) {
            if (refusals++ == 0) /* once: a master that is down would say it every 50 ms */
                log_warn("haproxy: reload for %s not taken, asking again: %s", p->cfg.name, why);
        } else if (haproxy_worker_pid(p->sock, &pid, why, sizeof(why)) == 0 && pid != old_pid &&
                 backend_loaded(p, p->cfg.name))
            return 0;
        clock_sleep_ms(50);
    }
    snprintf(err, err_len, "haproxy did not load backend %s within %d ms (last: %s)",
             p->cfg.name, LOCAL_RELOAD_WAIT_MS,
             why[0] ? why : asked ? "old worker still answers" : "reload not taken");
    return -1;
}

/* cfg_current - 1 when HAProxy runs the installed env-<name>.cfg and it holds text */
static int cfg_current(const struct local_provider *p, const char *text)
{
    char path[LOCAL_PATH], ignored[64], *installed = malloc(LOCAL_CFG_MAX);
    int current;

    current = installed != NULL &&
              local_fmt_path(path, sizeof(path), ignored, sizeof(ignored), "%s/env-%s.cfg",
                             p->conf_dir, p->cfg.name) == 0 &&
              local_read_file_capped(path, installed, LOCAL_CFG_MAX) == 0 &&
              strcmp(installed, text) == 0 && backend_loaded(p, p->cfg.name);
    free(installed);
    return current;
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
    if (local_fmt_path(path, sizeof(path), err, err_len, "%s/env-%s.cfg", p->conf_dir,
                       p->cfg.name) != 0)
        goto out;
    if (cfg_current(p, text)) { /* installed by another process while this one waited */
        rc = 0;
        goto out;
    }
    had_old = local_read_file_capped(path, old, LOCAL_CFG_MAX) == 0;
    if (local_write_file_atomic(path, text, err, err_len) != 0)
        goto out;
    log_info("haproxy: reloading for %s", path);
    if ((rc = reload_wait(p, err, err_len)) == 0)
        *reloaded = 1;
    else {
        char ignored[256];
        if (had_old)
            local_write_file_atomic(path, old, ignored, sizeof(ignored));
        else
            unlink(path);
    }
out:
    free(old);
    return rc;
}

/* local_cfg_ensure - the environment's HAProxy configuration: when it is not
 * the one HAProxy runs, written and reloaded under the lock file held
 * exclusively; *reloaded tells whether HAProxy was reloaded for it */
int local_cfg_ensure(const struct local_provider *p, int *reloaded, char *err, size_t err_len)
{
    struct cfg_buf b = { .text = malloc(LOCAL_CFG_MAX) };
    int rc = -1;

    if (b.text == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    *reloaded = 0;
    cfg_render(p, &b);
    if (b.overflow) {
        snprintf(err, err_len, "haproxy configuration larger than %d bytes", LOCAL_CFG_MAX);
        goto out;
    }
    if (cfg_current(p, b.text)) {
        rc = 0;
        goto out;
    }
    if (flock(p->lock_fd, LOCK_EX) != 0) {
        snprintf(err, err_len, "lock haproxy.lock: %s", strerror(errno));
        goto out;
    }
    rc = cfg_install(p, b.text, reloaded, err, err_len);
    flock(p->lock_fd, LOCK_UN);
out:
    free(b.text);
    return rc;
}

/* ---- the lock: runtime changes against reloads -------------------------- */

/* local_lock_open - open CUTOVER_RUN_DIR/local/haproxy.lock into p->lock_fd */
int local_lock_open(struct local_provider *p, char *err, size_t err_len)
{
    char lock[LOCAL_PATH];

    if (local_fmt_path(lock, sizeof(lock), err, err_len, "%s/haproxy.lock", p->local_dir) != 0)
        return -1;
    if ((p->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        snprintf(err, err_len, "open %s: %s", lock, strerror(errno));
        return -1;
    }
    return 0;
}

/* local_changes_begin - the lock file held shared, for runtime changes and the
 * state save that follows them: a reload (which holds it exclusively from the
 * dump before it until the new worker serves) never starts in between, so the
 * new worker loads every change; one made during a reload went to the old
 * worker, after the new one had read the state file, and was lost */
int local_changes_begin(const struct local_provider *p, char *err, size_t err_len)
{
    if (flock(p->lock_fd, LOCK_SH) == 0)
        return 0;
    snprintf(err, err_len, "lock haproxy.lock: %s", strerror(errno));
    return -1;
}

/* local_changes_end - let reloads go again; rc, the changes' result, passes
 * through (begin ? -1 : end(p, change(...)) holds the lock around a change) */
int local_changes_end(const struct local_provider *p, int rc)
{
    flock(p->lock_fd, LOCK_UN);
    return rc;
}

/* ---- HAProxy servers ---------------------------------------------------- */

/* local_server_name - "<color><i+1>" */
void local_server_name(enum color c, int i, char *buf, size_t len)
{
    snprintf(buf, len, "%s%d", color_name(c), i + 1);
}

/* local_server_set - set one server's state in backend */
int local_server_set(const struct local_provider *p, const char *backend, enum color c, int i,
                     enum haproxy_admin state, char *err, size_t err_len)
{
    char name[32];

    local_server_name(c, i, name, sizeof(name));
    return haproxy_set_state(p->sock, backend, name, state, err, err_len);
}

/* local_slot_enable - point the slot's main server at its port and make it ready */
int local_slot_enable(const struct local_provider *p, enum color c, int i, char *err,
                      size_t err_len)
{
    char name[32];

    local_server_name(c, i, name, sizeof(name));
    if (haproxy_set_addr(p->sock, p->cfg.name, name, "127.0.0.1", local_slot_port(p, c, i), err,
                         err_len) != 0)
        return -1;
    return haproxy_set_state(p->sock, p->cfg.name, name, HAPROXY_ADMIN_READY, err, err_len);
}

/* local_servers_read - the main backend's servers, from "show servers state" */
int local_servers_read(const struct local_provider *p, struct haproxy_server *sv, size_t *n,
                       char *err, size_t err_len)
{
    return haproxy_servers_state(p->sock, p->cfg.name, sv, HAPROXY_SERVERS_MAX, n, err,
                                 err_len);
}

/* ---- preview ------------------------------------------------------------ */

/* local_preview_open - color c's slots join its preview backend */
int local_preview_open(void *state, enum color c, const char *deployment_id, char *url,
                       size_t url_len, char *err, size_t err_len)
{
    struct local_provider *p = state;
    char backend[128];
    int capacity = local_desired_get(p, c);

    snprintf(backend, sizeof(backend), "%s_preview_%s", p->cfg.name, color_name(c));
    for (int i = 0; i < p->cfg.max_instances; i++)
        if (local_server_set(p, backend, c, i,
                             i < capacity ? HAPROXY_ADMIN_READY : HAPROXY_ADMIN_MAINT, err,
                             err_len) != 0)
            return -1;
    local_state_save(p);
    snprintf(url, url_len, "http://127.0.0.1:%d", p->cfg.listen_port);
    log_info("preview of %s open for %s at %s (header %s: %s)", color_name(c),
             deployment_id ? deployment_id : "-", url, p->cfg.preview_header, color_name(c));
    return 0;
}

/* local_preview_close - every preview server back in maintenance */
int local_preview_close(void *state, const char *deployment_id, char *err,
                        size_t err_len)
{
    struct local_provider *p = state;
    char backend[128];

    for (int c = COLOR_BLUE; c <= COLOR_GREEN; c++) {
        snprintf(backend, sizeof(backend), "%s_preview_%s", p->cfg.name,
                 color_name((enum color)c));
        for (int i = 0; i < p->cfg.max_instances; i++)
            if (local_server_set(p, backend, (enum color)c, i, HAPROXY_ADMIN_MAINT, err,
                                 err_len) != 0)
                return -1;
    }
    local_state_save(p);
    log_info("preview closed for %s", deployment_id ? deployment_id : "-");
    return 0;
}
