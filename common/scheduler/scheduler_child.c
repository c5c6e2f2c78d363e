/*
 * scheduler_child - one run of an environment's scheduled command
 *                   (scheduler_child.h).
 */
#include "scheduler/scheduler_child.h"
#include "scheduler/scheduler_lease.h"

#include "base/child.h"
#include "base/clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SCHEDULER_CHILD_VARS 5 /* the variables a run gets on top of the scheduler's */
#define SCHEDULER_POLL_MS    50

/* scheduler_child_env_free - free a NULL-terminated environment */
static void scheduler_child_env_free(char **env)
{
    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        free(env[i]);
    free(env);
}

/* scheduler_child_env_add - NAME=value at env[*n]; 0 or -1 */
static int scheduler_child_env_add(char **env, size_t *n, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 2;

    if ((env[*n] = malloc(len)) == NULL)
        return -1;
    snprintf(env[(*n)++], len, "%s=%s", name, value);
    return 0;
}

/* scheduler_child_env - the scheduler's environment without CUTOVER_*, plus the run's */
static char **scheduler_child_env(const char *environment, const char *run_id, const char *color,
                                  const struct scheduler_target *target)
{
    size_t count = 0, n = 0;
    char port[16];
    char **env;

    while (environ[count] != NULL)
        count++;
    if ((env = calloc(count + SCHEDULER_CHILD_VARS + 1, sizeof(*env))) == NULL)
        return NULL;
    for (char **e = environ; *e != NULL; e++)
        if (strncmp(*e, "CUTOVER_", 8) != 0 && (env[n++] = strdup(*e)) == NULL)
            goto fail;
    snprintf(port, sizeof(port), "%d", target->port);
    if (scheduler_child_env_add(env, &n, "CUTOVER_ENVIRONMENT", environment) != 0
        || scheduler_child_env_add(env, &n, "CUTOVER_LIVE_COLOR", color) != 0
        || scheduler_child_env_add(env, &n, "CUTOVER_SCHEDULER_RUN", run_id) != 0
        || (target->port > 0
            && (scheduler_child_env_add(env, &n, "CUTOVER_LIVE_PORT", port) != 0
                || scheduler_child_env_add(env, &n, "CUTOVER_LIVE_URL", target->url) != 0)))
        goto fail;
    return env;
fail:
    scheduler_child_env_free(env);
    return NULL;
}

/* scheduler_child_exec - in the child: own group, TERM when the scheduler
 * dies, then timeout ... sh -c command; async-signal-safe calls only */
static void scheduler_child_exec(char *const argv[], char **env, int out_fd, pid_t parent)
{
    if (child_setup(out_fd) != 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) != 0
        || getppid() != parent)
        _exit(126);
    close_range(3, ~0U, 0);
    execve(argv[0], argv, env);
    _exit(127);
}

/* scheduler_child_timeout_path - coreutils' timeout */
static const char *scheduler_child_timeout_path(void)
{
    return access("/usr/bin/timeout", X_OK) == 0 ? "/usr/bin/timeout" : "/bin/timeout";
}

/* scheduler_child_start - fork timeout -k GRACE T /bin/sh -c command */
int scheduler_child_start(struct scheduler_child *c, const struct scheduler_doc *doc,
                          const char *environment, const char *run_id, const char *color,
                          const struct scheduler_target *target, const char *log_path,
                          char *err, size_t err_len)
{
    char seconds[16], kill_after[16];
    char *argv[] = {(char *)scheduler_child_timeout_path(), "-k", kill_after, seconds,
                    "/bin/sh", "-c", (char *)doc->command, NULL};
    char **env = scheduler_child_env(environment, run_id, color, target);
    int out_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    pid_t parent = getpid();

    memset(c, 0, sizeof(*c));
    snprintf(seconds, sizeof(seconds), "%d", doc->timeout_s);
    snprintf(kill_after, sizeof(kill_after), "%d", SCHEDULER_KILL_AFTER_S);
    if (env == NULL || out_fd < 0 || (c->pid = fork()) < 0) {
        snprintf(err, err_len, "cannot start the command (%s): %s", log_path, strerror(errno));
        c->pid = 0;
    } else if (c->pid == 0) {
        scheduler_child_exec(argv, env, out_fd, parent);
    } else {
        setpgid(c->pid, c->pid); /* also here, so that a kill cannot race the child's own */
        c->group = c->pid;
        c->started_ms = clock_mono_ms();
        c->deadline_ms = c->started_ms + (int64_t)doc->timeout_s * 1000;
    }
    if (out_fd >= 0)
        close(out_fd);
    scheduler_child_env_free(env);
    return c->pid > 0 ? 0 : -1;
}

/* scheduler_child_read - the start of a small file, NUL-terminated; its length or -1 */
static ssize_t scheduler_child_read(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, len - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n;
}

/* scheduler_child_group_alive - 1 while a process of group pgid runs;
 * zombies run nothing (and an init that reaps late keeps them) */
static int scheduler_child_group_alive(pid_t pgid)
{
    DIR *proc;
    struct dirent *de;
    int alive = 0;

    if (kill(-pgid, 0) != 0 && errno == ESRCH)
        return 0;
    if ((proc = opendir("/proc")) == NULL)
        return 1;
    while (!alive && (de = readdir(proc)) != NULL) {
        char path[300], stat[512], state = 'Z';
        const char *after_name;
        int ppid = 0, pgrp = 0;

        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
        if (scheduler_child_read(path, stat, sizeof(stat)) <= 0 || (after_name = strrchr(stat, ')')) == NULL)
            continue;
        if (sscanf(after_name + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid
            && state != 'Z' && state != 'X')
            alive = 1;
    }
    closedir(proc);
    return alive;
}

/* scheduler_child_reap - the leader has ended (not yet reaped, so its
 * group id cannot be reused): kill what the command left in its group,
 * then reap the leader and keep its status */
static void scheduler_child_reap(struct scheduler_child *c)
{
    int status = 0;

    kill(-c->pid, SIGKILL);
    if (waitpid(c->pid, &status, 0) != c->pid)
        status = 0;
    c->pid = 0;
    c->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 124)
        c->timed_out = 1; /* timeout's own report of its deadline */
}

/* scheduler_child_poll - reap or, past the deadline, kill the group; done
 * once the leader is reaped and nothing of its group runs any more */
enum scheduler_child_state scheduler_child_poll(struct scheduler_child *c)
{
    siginfo_t info;

    if (c->pid > 0) {
        memset(&info, 0, sizeof(info));
        if (waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0
            || info.si_pid == c->pid) {
            scheduler_child_reap(c);
        } else if (clock_mono_ms() >= c->deadline_ms) {
            c->timed_out = 1;
            kill(-c->pid, SIGKILL);
        }
    }
    if (c->pid > 0)
        return SCHEDULER_CHILD_RUNNING;
    if (c->group > 0 && scheduler_child_group_alive(c->group)) {
        kill(-c->group, SIGKILL);
        return SCHEDULER_CHILD_RUNNING;
    }
    c->group = 0;
    return SCHEDULER_CHILD_DONE;
}

/* scheduler_child_wait - poll until done */
void scheduler_child_wait(struct scheduler_child *c)
{
    while (scheduler_child_poll(c) == SCHEDULER_CHILD_RUNNING)
        clock_sleep_ms(SCHEDULER_POLL_MS);
}

/* scheduler_child_kill - end the run now, and wait until its group is gone */
void scheduler_child_kill(struct scheduler_child *c)
{
    if (c->pid > 0)
        scheduler_child_reap(c);
    scheduler_child_wait(c);
}
