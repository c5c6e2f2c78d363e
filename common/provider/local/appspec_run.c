/*
 * appspec_run - run a release's lifecycle hook scripts without blocking.
 *
 * SYNOPSIS
 *	See appspec.h: appspec_run_start, appspec_run_poll, appspec_run_stop,
 *	appspec_run_free.
 *
 * DESCRIPTION
 *	A run is a flat list of (hook, script, timeout) copied from the spec,
 *	and at most one child process at a time. The child's stdout and
 *	stderr are the log file itself (opened with O_APPEND and shared), so
 *	a daemon left behind by a hook holds nothing the run waits for: only
 *	waitpid() on the script decides. The last lines of the script's
 *	output are read back from the log for the detail message, made
 *	printable ASCII so that they can travel in a JSON event.
 */
#include "base/child.h"
#include "provider/local/appspec.h"

#include "base/clock.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define APPSPEC_TAIL_BYTES 2048 /* read back from the log for a detail */
#define APPSPEC_TAIL_LINES 5
#define APPSPEC_DETAIL_MAX 1024

extern char **environ;

/* One script to run, copied out of the spec. */
struct appspec_step {
    char *hook;
    char *location;
    int timeout_s;
};

struct appspec_run {
    char *release_dir;
    char **env;              /* the caller's (or environ) plus event_var; array owned */
    char event_var[64];      /* LIFECYCLE_EVENT=<hook> of the current step */
    struct appspec_step *steps;
    size_t step_count;
    size_t current;          /* index of the running step */
    pid_t pid;               /* 0 when no child */
    int log_fd;
    off_t out_start;         /* where the current script's output begins in the log */
    off_t punched;           /* the log's head freed while a script ran, up to here */
    long long deadline_ms;   /* the timeout */
    long long kill_ms;       /* SIGKILL after SIGTERM; 0 when not timed out */
    enum appspec_status status;
    char detail[APPSPEC_DETAIL_MAX];
};

/* appspec_run_fail - end the run as failed with a detail message */
static void __attribute__((format(printf, 2, 3)))
appspec_run_fail(struct appspec_run *run, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(run->detail, sizeof(run->detail), fmt, ap);
    va_end(ap);
    run->status = APPSPEC_FAILED;
    log_warn("%s", run->detail);
}

/* appspec_log_compact - drop the log's head when it is over the cap; no script may be running */
static void appspec_log_compact(struct appspec_run *run)
{
    static const char mark[] = "[... truncated ...]\n";
    size_t keep = APPSPEC_LOG_MAX_BYTES / 4;
    struct stat st;
    char *tail;
    ssize_t n;

    if (fstat(run->log_fd, &st) != 0 || st.st_size <= APPSPEC_LOG_MAX_BYTES)
        return;
    if ((tail = malloc(keep)) == NULL)
        return;
    n = pread(run->log_fd, tail, keep, st.st_size - (off_t)keep);
    if (ftruncate(run->log_fd, 0) == 0) {
        (void)!write(run->log_fd, mark, sizeof(mark) - 1);
        if (n > 0)
            (void)!write(run->log_fd, tail, (size_t)n);
        run->out_start = 0;
        run->punched = 0;
    }
    free(tail);
}

/*
 * appspec_log_punch - while a script writes: free the log's head in place.
 * A hole punched below the end loses nothing the script appends meanwhile,
 * where a truncate would. The size stays; compact() shrinks it later.
 */
static void appspec_log_punch(struct appspec_run *run)
{
    off_t keep = APPSPEC_LOG_MAX_BYTES / 4, upto;
    struct stat st;

    if (fstat(run->log_fd, &st) != 0 || st.st_size - run->punched <= APPSPEC_LOG_MAX_BYTES)
        return;
    upto = (st.st_size - keep) & ~(off_t)4095;
    if (fallocate(run->log_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, upto) == 0)
        run->punched = upto;
}

/* appspec_tail_clean - the end of the last lines of buf, printable, joined with " | " */
static void appspec_tail_clean(char *buf, size_t len, char *out, size_t out_len)
{
    char clean[APPSPEC_TAIL_BYTES * 3 + 1];
    size_t start, lines = 0, o = 0, from = 0, pre = 0;

    if (out_len == 0)
        return;

    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\r'))
        len--;
    for (start = len; start > 0; start--)
        if (buf[start - 1] == '\n' && ++lines == APPSPEC_TAIL_LINES)
            break;
    for (size_t i = start; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n') {
            memcpy(clean + o, " | ", 3);
            o += 3;
        } else {
            clean[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
        }
    }
    if (out_len > 4 && o > out_len - 1) {
        from = o - (out_len - 4); /* keep the end, where the error usually is */
        memcpy(out, "...", 3);
        pre = 3;
    }
    if (pre + (o - from) > out_len - 1)
        o = from + (out_len - 1 - pre);
    memcpy(out + pre, clean + from, o - from);
    out[pre + (o - from)] = '\0';
}

/* appspec_tail - the last lines the current script wrote to the log */
static void appspec_tail(struct appspec_run *run, char *out, size_t out_len)
{
    char buf[APPSPEC_TAIL_BYTES];
    struct stat st;
    off_t from;
    ssize_t n;

    out[0] = '\0';
    if (fstat(run->log_fd, &st) != 0)
        return;
    from = st.st_size - APPSPEC_TAIL_BYTES;
    if (from < run->out_start)
        from = run->out_start;
    if (from >= st.st_size || (n = pread(run->log_fd, buf, sizeof(buf), from)) <= 0)
        return;
    appspec_tail_clean(buf, (size_t)n, out, out_len);
}

/* appspec_env_build - envp plus run->event_var as run->env; 0 or -1 */
static int appspec_env_build(struct appspec_run *run, char *const *envp)
{
    size_t n = 0, o = 0;

    while (envp[n] != NULL)
        n++;
    if ((run->env = calloc(n + 2, sizeof(*run->env))) == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strncmp(envp[i], "LIFECYCLE_EVENT=", 16) != 0)
            run->env[o++] = envp[i];
    run->env[o] = run->event_var;
    return 0;
}

/* appspec_child_exec - in the child: own group, cwd, fds, signals, then exec; never returns */
static void appspec_child_exec(const char *dir, int log_fd, char *const argv[],
                               char *const env[])
{
    if (child_setup(log_fd) != 0 || chdir(dir) != 0)
        _exit(126);
    close_range(3, ~0U, 0);
    execve(argv[0], argv, env);
    _exit(127);
}

/* appspec_step_spawn - fork the script of step with argv and env; 0 or -1 (run failed) */
static int appspec_step_spawn(struct appspec_run *run, const struct appspec_step *step,
                              char *const argv[], char *const env[])
{
    char header[PATH_MAX + 128];
    struct stat st;
    int n;

    n = snprintf(header, sizeof(header), "== hook %s script %s ==\n", step->hook,
                 step->location);
    (void)!write(run->log_fd, header, n > 0 && (size_t)n < sizeof(header) ? (size_t)n : 0);
    run->out_start = fstat(run->log_fd, &st) == 0 ? st.st_size : 0;
    run->pid = fork();
    if (run->pid < 0) {
        run->pid = 0;
        appspec_run_fail(run, "hook %s script %s: fork: %s", step->hook, step->location,
                         strerror(errno));
        return -1;
    }
    if (run->pid == 0)
        appspec_child_exec(run->release_dir, run->log_fd, argv, env);
    setpgid(run->pid, run->pid); /* also here, so that a kill cannot race the child's own */
    run->deadline_ms = clock_mono_ms() + (long long)step->timeout_s * 1000;
    run->kill_ms = 0;
    return 0;
}

/* appspec_step_start - start the script of run->current; 0 or -1 (run failed) */
static int appspec_step_start(struct appspec_run *run)
{
    const struct appspec_step *step = &run->steps[run->current];
    char path[PATH_MAX];
    char *argv[3] = { path, NULL, NULL };
    struct stat st;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", run->release_dir, step->location) >=
            sizeof(path) ||
        stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        appspec_run_fail(run, "hook %s script %s: not found in the release", step->hook,
                         step->location);
        return -1;
    }
    if (access(path, X_OK) != 0) {
        argv[0] = "/bin/sh";
        argv[1] = path;
    }
    snprintf(run->event_var, sizeof(run->event_var), "LIFECYCLE_EVENT=%s", step->hook);
    return appspec_step_spawn(run, step, argv, run->env);
}

/* appspec_step_ended - judge the reaped script; start the next one or end the run */
static void appspec_step_ended(struct appspec_run *run, int wstatus)
{
    const struct appspec_step *step = &run->steps[run->current];
    char tail[APPSPEC_DETAIL_MAX / 2];
    int timed_out = run->kill_ms != 0;

    if (timed_out)
        kill(-run->pid, SIGKILL); /* what is left of its group, if anything */
    run->pid = 0;
    appspec_tail(run, tail, sizeof(tail));
    appspec_log_compact(run);
    if (timed_out)
        appspec_run_fail(run, "hook %s script %s timed out after %d s: %s", step->hook,
                         step->location, step->timeout_s, tail);
    else if (WIFSIGNALED(wstatus))
        appspec_run_fail(run, "hook %s script %s killed by signal %d: %s", step->hook,
                         step->location, WTERMSIG(wstatus), tail);
    else if (WEXITSTATUS(wstatus) != 0)
        appspec_run_fail(run, "hook %s script %s exited %d: %s", step->hook, step->location,
                         WEXITSTATUS(wstatus), tail);
    else if (++run->current < run->step_count)
        appspec_step_start(run);
    else {
        run->status = APPSPEC_SUCCEEDED;
        snprintf(run->detail, sizeof(run->detail), "ran %zu scripts", run->step_count);
    }
}

/* appspec_step_watch - the timeout of a script still running: SIGTERM, then SIGKILL */
static void appspec_step_watch(struct appspec_run *run)
{
    long long now = clock_mono_ms();

    if (run->kill_ms == 0 && now >= run->deadline_ms) {
        log_warn("hook %s script %s: timeout of %d s, terminating its process group",
                 run->steps[run->current].hook, run->steps[run->current].location,
                 run->steps[run->current].timeout_s);
        kill(-run->pid, SIGTERM);
        run->kill_ms = now + APPSPEC_KILL_GRACE_S * 1000LL;
    } else if (run->kill_ms != 0 && now >= run->kill_ms) {
        kill(-run->pid, SIGKILL);
    }
    appspec_log_punch(run);
}

/* appspec_run_poll - advance the run without blocking; 0, or -1 on misuse */
int appspec_run_poll(struct appspec_run *run, enum appspec_status *status, char *detail,
                     size_t detail_len)
{
    int wstatus;
    pid_t got;

    if (run == NULL)
        return -1;
    if (run->status == APPSPEC_RUNNING && run->pid > 0) {
        got = waitpid(run->pid, &wstatus, WNOHANG);
        if (got == run->pid)
            appspec_step_ended(run, wstatus);
        else if (got == 0)
            appspec_step_watch(run);
        else if (errno != EINTR) {
            run->pid = 0;
            appspec_run_fail(run, "hook %s script %s: waitpid: %s (reaped elsewhere?)",
                             run->steps[run->current].hook,
                             run->steps[run->current].location, strerror(errno));
        }
    }
    if (status != NULL)
        *status = run->status;
    if (detail != NULL && detail_len > 0)
        snprintf(detail, detail_len, "%s", run->detail);
    return 0;
}

/* appspec_run_add - append the runnable scripts of one named hook; 0 or -1 */
static int appspec_run_add(struct appspec_run *run, const struct appspec *spec,
                           const char *name, char *err, size_t err_len)
{
    const struct appspec_hook *hook;

    if (appspec_hook_kind(name) < 0) {
        snprintf(err, err_len, "unknown hook \"%s\"", name);
        return -1;
    }
    hook = appspec_hook_find(spec, name);
    if (hook == NULL || !hook->runnable)
        return 0;
    for (size_t i = 0; i < hook->script_count; i++) {
        struct appspec_step *step = &run->steps[run->step_count];
        step->hook = strdup(name);
        step->location = strdup(hook->scripts[i].location);
        step->timeout_s = hook->scripts[i].timeout_s;
        run->step_count++;
        if (step->hook == NULL || step->location == NULL) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* appspec_run_plan - allocate and fill the steps of the listed hooks; 0 or -1 */
static int appspec_run_plan(struct appspec_run *run, const struct appspec *spec,
                            const char *const *hooks, size_t hook_count, char *err,
                            size_t err_len)
{
    size_t total = 0;

    for (size_t i = 0; i < spec->hook_count; i++)
        total += spec->hooks[i].script_count;
    total *= hook_count; /* a hook may be listed more than once */
    if (total > 0 && (run->steps = calloc(total, sizeof(*run->steps))) == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < hook_count; i++)
        if (appspec_run_add(run, spec, hooks[i], err, err_len) != 0)
            return -1;
    return 0;
}

/* appspec_run_start - plan the scripts of the listed hooks and start the first; NULL on error */
struct appspec_run *appspec_run_start(const char *release_dir, const struct appspec *spec,
                                      const char *const *hooks, size_t hook_count,
                                      char *const *envp, const char *log_path, char *err,
                                      size_t err_len)
{
    struct appspec_run *run = calloc(1, sizeof(*run));

    if (run == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    run->log_fd = -1;
    if (appspec_env_build(run, envp != NULL ? envp : environ) != 0) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    if ((run->release_dir = realpath(release_dir, NULL)) == NULL) {
        snprintf(err, err_len, "%s: %s", release_dir, strerror(errno));
        goto out;
    }
    if (appspec_run_plan(run, spec, hooks, hook_count, err, err_len) != 0)
        goto out;
    run->log_fd = open(log_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (run->log_fd < 0) {
        snprintf(err, err_len, "%s: %s", log_path, strerror(errno));
        goto out;
    }
    run->status = APPSPEC_RUNNING;
    if (run->step_count == 0) {
        run->status = APPSPEC_SUCCEEDED;
        snprintf(run->detail, sizeof(run->detail), "ran 0 scripts");
    } else {
        appspec_step_start(run); /* a failure to start is the run's result, for poll */
    }
    return run;
out:
    appspec_run_free(run);
    return NULL;
}

/* appspec_run_reap - wait for the current script up to deadline_ms; 1 when reaped */
static int appspec_run_reap(struct appspec_run *run, long long deadline_ms)
{
    int wstatus;

    for (;;) {
        pid_t got = waitpid(run->pid, &wstatus, WNOHANG);
        if (got == run->pid || (got < 0 && errno != EINTR))
            return 1;
        if (clock_mono_ms() >= deadline_ms)
            return 0;
        clock_sleep_ms(10);
    }
}

/* appspec_run_stop - kill the current script's group and end the run as failed */
void appspec_run_stop(struct appspec_run *run)
{
    if (run == NULL || run->status != APPSPEC_RUNNING || run->pid <= 0)
        return; /* nothing started, or already over */
    kill(-run->pid, SIGTERM);
    if (!appspec_run_reap(run, clock_mono_ms() + APPSPEC_KILL_GRACE_S * 1000LL)) {
        kill(-run->pid, SIGKILL);
        appspec_run_reap(run, LLONG_MAX);
    }
    kill(-run->pid, SIGKILL); /* stragglers of the group */
    run->pid = 0;
    appspec_log_compact(run);
    appspec_run_fail(run, "stopped during hook %s script %s", run->steps[run->current].hook,
                     run->steps[run->current].location);
}

/* appspec_run_free - stop a run still going and release it */
void appspec_run_free(struct appspec_run *run)
{
    if (run == NULL)
        return;
    appspec_run_stop(run);
    for (size_t i = 0; i < run->step_count; i++) {
        free(run->steps[i].hook);
        free(run->steps[i].location);
    }
    free(run->steps);
    free(run->env);
    free(run->release_dir);
    if (run->log_fd >= 0)
        close(run->log_fd);
    free(run);
}
