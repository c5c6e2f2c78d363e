/*
 * provider_local_command - a shell command on each running instance of a
 *                          color, the local way (see provider.h).
 *
 * SYNOPSIS
 *	local_command_start(p, COLOR_GREEN, "kill -USR2 $(cat $INSTANCE_DIR/fpm.pid)", 30,
 *	                    "cutover-<deployment>-<epoch>-opcache", handle, sizeof(handle),
 *	                    err, sizeof(err));
 *	local_command_poll(p, handle, &report, &done, err, sizeof(err));	(on a timer)
 *
 * DESCRIPTION
 *	An instance is a slot below the color's recorded capacity whose
 *	process runs. On each, /bin/sh -c command runs as a child of this
 *	process in its own process group, in the slot's current release
 *	directory, with the environment the release's hooks get (PORT,
 *	COLOR, VERSION, INSTANCE_DIR, RELEASE_DIR), stdin /dev/null and its
 *	output in the slot's cache-command.log (truncated at each start);
 *	the tail of that log is an instance's detail. It dies with this
 *	process (PR_SET_PDEATHSIG): a worker killed mid-run leaves nothing
 *	behind, and the copy that takes the effect over starts the run
 *	again. Past timeout_s the group is killed and the instance failed.
 *
 *	Runs live in this process only, at most LOCAL_COMMAND_RUNS at once,
 *	named by their reference (the handle); a start with a reference that
 *	runs already returns it, and a run is forgotten once a poll reported
 *	it done, or reclaimed by a start when nobody polled it for a minute
 *	past its deadline.
 */
#include "provider/local/provider_local_command.h"

#include "base/child.h"
#include "base/clock.h"
#include "base/log.h"
#include "provider/local/provider_local_slots.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOCAL_COMMAND_RUNS 8
#define LOCAL_COMMAND_TAIL 200
#define LOCAL_COMMAND_ABANDONED_MS 60000

struct local_command_run {
    char reference[128]; /* "": the slot is free */
    long long deadline_ms;
    int timeout_s;
    size_t count;
    pid_t pids[LOCAL_SLOTS_MAX]; /* 0 once reaped */
    char logs[LOCAL_SLOTS_MAX][LOCAL_PATH];
    struct provider_command_instance instances[LOCAL_SLOTS_MAX];
};

static struct local_command_run local_command_runs[LOCAL_COMMAND_RUNS];

/* command_run_find - the run named reference, or NULL */
static struct local_command_run *command_run_find(const char *reference)
{
    for (int i = 0; i < LOCAL_COMMAND_RUNS; i++)
        if (local_command_runs[i].reference[0] &&
            strcmp(local_command_runs[i].reference, reference) == 0)
            return &local_command_runs[i];
    return NULL;
}

/* command_run_kill - kill the process groups still running and reap them */
static void command_run_kill(struct local_command_run *run)
{
    for (size_t k = 0; k < run->count; k++) {
        if (run->pids[k] <= 0)
            continue;
        kill(-run->pids[k], SIGKILL);
        waitpid(run->pids[k], NULL, 0);
        run->pids[k] = 0;
    }
}

/* command_child - in the child: own group, output to log, die with the parent, exec */
static void command_child(const char *command, const char *dir, char **envp, int log_fd,
                          pid_t parent)
{
    if (child_setup(log_fd) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
        getppid() != parent || chdir(dir) != 0)
        _exit(127);
    execle("/bin/sh", "sh", "-c", command, (char *)NULL, envp);
    _exit(127);
}

/* command_spawn - start command on slot i of color c into run; 0 or -1 */
static int command_spawn(const struct local_provider *p, enum color c, int i, const char *command,
                         struct local_command_run *run, char *err, size_t err_len)
{
    struct provider_command_instance *inst = &run->instances[run->count];
    char version[128], release[LOCAL_PATH], **envp;
    pid_t parent = getpid(), pid;
    int fd;

    if (local_slot_current(p, c, i, version, sizeof(version)) != 0 ||
        local_slot_path(p, c, i, "current", release, sizeof(release)) != 0 ||
        local_slot_path(p, c, i, "cache-command.log", run->logs[run->count], LOCAL_PATH) != 0) {
        snprintf(err, err_len, "%s-%d has no release", color_name(c), i + 1);
        return -1;
    }
    fd = open(run->logs[run->count], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    envp = local_hook_env_create(p, c, i, version, release, NULL);
    pid = fd >= 0 && envp != NULL ? fork() : -1;
    if (pid == 0)
        command_child(command, release, envp, fd, parent);
    if (fd >= 0)
        close(fd);
    local_hook_env_free(envp);
    if (pid < 0) {
        snprintf(err, err_len, "%s-%d: cannot start the command", color_name(c), i + 1);
        return -1;
    }
    snprintf(inst->id, sizeof(inst->id), "%s-%d", color_name(c), i + 1);
    inst->state = COMMAND_RUNNING;
    inst->detail[0] = '\0';
    run->pids[run->count++] = pid;
    return 0;
}

/* command_run_free_slot - a free run, or one nobody polled past its
 * deadline and LOCAL_COMMAND_ABANDONED_MS (its caller went away: killed
 * there and reaped); NULL when LOCAL_COMMAND_RUNS run */
static struct local_command_run *command_run_free_slot(void)
{
    long long now = clock_mono_ms();

    for (int i = 0; i < LOCAL_COMMAND_RUNS; i++) {
        struct local_command_run *run = &local_command_runs[i];

        if (run->reference[0] != '\0' && now > run->deadline_ms + LOCAL_COMMAND_ABANDONED_MS) {
            command_run_kill(run);
            run->reference[0] = '\0';
        }
        if (run->reference[0] == '\0')
            return run;
    }
    return NULL;
}

/* local_command_start - the command on each running instance of c */
int local_command_start(void *state, enum color c, const char *command, int timeout_s,
                        const char *reference, char *handle, size_t handle_len, char *err,
                        size_t err_len)
{
    const struct local_provider *p = state;
    struct local_command_run *run = command_run_find(reference);
    int capacity = local_desired_get(p, c);

    snprintf(handle, handle_len, "%s", reference);
    if (run != NULL)
        return 0;
    if (strlen(reference) >= sizeof(run->reference) || (run = command_run_free_slot()) == NULL) {
        snprintf(err, err_len, "too many command runs, or a reference too long");
        return -1;
    }
    memset(run, 0, sizeof(*run));
    run->timeout_s = timeout_s;
    run->deadline_ms = clock_mono_ms() + (long long)timeout_s * 1000;
    for (int i = 0; i < capacity && i < p->cfg.max_instances; i++) {
        if (local_pid_alive(local_slot_pid(p, c, i)) &&
            command_spawn(p, c, i, command, run, err, err_len) != 0) {
            command_run_kill(run);
            return -1;
        }
    }
    if (run->count == 0) {
        snprintf(err, err_len, "no instance of %s runs", color_name(c));
        return -1;
    }
    snprintf(run->reference, sizeof(run->reference), "%s", reference);
    log_info("command %s started on %zu instances of %s", reference, run->count, color_name(c));
    return 0;
}

/* command_tail - the last line of an instance's output, printable */
static void command_tail(const char *log_path, char *out, size_t len)
{
    char buf[4096], *start;
    size_t n;

    if (local_read_file_capped(log_path, buf, sizeof(buf)) != 0)
        buf[0] = '\0';
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    start = n > LOCAL_COMMAND_TAIL ? buf + n - LOCAL_COMMAND_TAIL : buf;
    for (char *s = start; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            *s = ' ';
    snprintf(out, len, "%s", start);
}

/* command_instance_settle - reap instance k when it ended or is past the deadline */
static void command_instance_settle(struct local_command_run *run, size_t k, long long now)
{
    struct provider_command_instance *inst = &run->instances[k];
    char tail[LOCAL_COMMAND_TAIL + 1];
    int status = 0;
    pid_t r = waitpid(run->pids[k], &status, WNOHANG);

    if (r == 0 && now < run->deadline_ms)
        return;
    command_tail(run->logs[k], tail, sizeof(tail));
    if (r == 0) {
        kill(-run->pids[k], SIGKILL);
        waitpid(run->pids[k], NULL, 0);
        snprintf(inst->detail, sizeof(inst->detail), "timed out after %d s: %s", run->timeout_s,
                 tail);
    } else if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        snprintf(inst->detail, sizeof(inst->detail), "%s", tail);
    } else {
        snprintf(inst->detail, sizeof(inst->detail), "exited %d: %s",
                 r > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
    }
    kill(-run->pids[k], SIGKILL); /* what the shell left behind in its group */
    inst->state = r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? COMMAND_SUCCEEDED
                                                                          : COMMAND_FAILED;
    run->pids[k] = 0;
}

/* local_command_poll - each instance's state; the run is forgotten once done */
int local_command_poll(void *state, const char *handle, struct provider_command_report *out,
                       int *done, char *err, size_t err_len)
{
    struct local_command_run *run = command_run_find(handle);
    long long now = clock_mono_ms();

    (void)state;
    *done = 0;
    if (run == NULL) {
        snprintf(err, err_len, "command run %s is not known to this process", handle);
        return -1;
    }
    *done = 1;
    out->count = run->count;
    for (size_t k = 0; k < run->count; k++) {
        if (run->pids[k] > 0)
            command_instance_settle(run, k, now);
        if (run->instances[k].state == COMMAND_RUNNING)
            *done = 0;
        out->instances[k] = run->instances[k];
    }
    if (*done)
        run->reference[0] = '\0';
    return 0;
}
