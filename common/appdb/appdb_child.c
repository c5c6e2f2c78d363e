/*
 * appdb_child - run pt-online-schema-change or a command migration as a
 *               child process, its output appended to the report.
 *
 * DESCRIPTION
 *	The child gets its own process group and default signals
 *	(base/child.c) and PR_SET_PDEATHSIG SIGKILL: when the executor is
 *	killed, its tool dies too instead of copying rows on its own, so that
 *	the cleanup of the next run never races a live copy.
 */
#include "appdb/appdb_conn.h"

#include "base/buf.h"
#include "base/child.h"
#include "base/fault.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* appdb_child_close_inherited - close every descriptor above stderr but keep_fd
 * (the database connection's socket among them: a command must not share it) */
static void appdb_child_close_inherited(int keep_fd)
{
    if (keep_fd < 3) {
        close_range(3, ~0U, 0);
        return;
    }
    if (keep_fd > 3)
        close_range(3, (unsigned)keep_fd - 1, 0);
    close_range((unsigned)keep_fd + 1, ~0U, 0);
}

/* appdb_child_exec - in the child: die with the parent, output to out_fd, exec argv */
static void appdb_child_exec(char *const argv[], const char *cwd, int out_fd, int keep_fd)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1 || child_setup(out_fd) != 0)
        _exit(126);
    appdb_child_close_inherited(keep_fd);
    if (cwd != NULL && chdir(cwd) != 0)
        _exit(126);
    execvp(argv[0], argv);
    _exit(127);
}

/* appdb_child_read - the child's output into report until EOF; the fault point once watch shows */
static void appdb_child_read(int fd, const char *watch, const char *fault, struct buf *report)
{
    size_t start = report->len;
    int fired = watch == NULL;
    char chunk[4096];
    ssize_t n;

    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        buf_append(report, chunk, (size_t)n);
        if (!fired && strstr(report->data + start, watch) != NULL) {
            fired = 1;
            fault_point(fault);
        }
    }
}

int appdb_child_run(char *const argv[], const char *cwd, int keep_fd, const char *watch,
                    const char *fault, struct buf *report, int *status, char *err, size_t err_len)
{
    int fds[2], raw;
    pid_t pid;

    if (pipe(fds) != 0)
        return appdb_err(err, err_len, "pipe: %s", strerror(errno));
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        appdb_child_exec(argv, cwd, fds[1], keep_fd);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return appdb_err(err, err_len, "fork: %s", strerror(errno));
    }
    appdb_child_read(fds[0], watch, fault, report);
    close(fds[0]);
    while (waitpid(pid, &raw, 0) < 0)
        if (errno != EINTR)
            return appdb_err(err, err_len, "waitpid: %s", strerror(errno));
    *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    return 0;
}
