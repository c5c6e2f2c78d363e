/*
 * provider_local_state - the bottom of the local provider: the state every
 *                        operation receives and the helpers the other files
 *                        share, which call none of them.
 *
 * SYNOPSIS
 *	char path[LOCAL_PATH];
 *	if (local_fmt_path(path, sizeof(path), err, sizeof(err), "%s/weights", p->env_dir) != 0) ...
 *	local_write_file_atomic(path, "50 50\n", err, sizeof(err));
 *	local_read_file_capped(path, buf, sizeof(buf));
 *	int port = local_slot_port(p, COLOR_GREEN, 0);
 *	local_slot_path(p, COLOR_GREEN, 0, "pid", path, sizeof(path));
 *	if (local_pid_alive(local_slot_pid(p, COLOR_GREEN, 0))) ...
 *	int capacity = local_desired_get(p, COLOR_GREEN);
 *
 * DESCRIPTION
 *	Paths are built with local_fmt_path(), which refuses to truncate;
 *	small files are read whole with a cap and written through a
 *	temporary file and a rename. Slot i of color c listens on
 *	local_slot_port() and lives in local_slot_path(); its process is the
 *	pid in the slot's pid file. scale() records the capacity asked for in
 *	<env>/<color>.capacity (local_desired_set()), which
 *	local_desired_get() reads back. The layout on disk is described at
 *	the top of provider_local.c.
 */
#include "provider/local/provider_local_state.h"

#include "base/clock.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCAL_STOP_WAIT_MS    5000
#define LOCAL_POLL_STEP_MS    20
/* A slot's process that started this long after its pid file was written
 * holds a pid handed out again. The start time is counted on the boot clock
 * and the file's mtime on the real one, so a step of the real clock moves one
 * against the other: a minute absorbs any step short of that, while a pid
 * takes minutes to come round (32,768 of them at a few hundred a second). */
#define LOCAL_PID_REUSED_S    60.0

/* ---- paths and files --------------------------------------------------- */

/* local_fmt_path - snprintf into a path buffer; -1 with a message when truncated */
int local_fmt_path(char *buf, size_t len, char *err, size_t err_len, const char *fmt, ...)
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

/* local_matches - 1 when s matches the POSIX extended regular expression re */
int local_matches(const char *s, const char *re)
{
    regex_t rx;
    int ok;

    if (s == NULL || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    ok = regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

/* local_mkdir_p - create path and its parents */
int local_mkdir_p(const char *path, char *err, size_t err_len)
{
    char buf[LOCAL_PATH];

    if (local_fmt_path(buf, sizeof(buf), err, err_len, "%s", path) != 0)
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

/* local_read_file_capped - a small file's content into buf; -1 when absent */
int local_read_file_capped(const char *path, char *buf, size_t len)
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

/* local_write_file_atomic - write content to path through a temporary file and rename */
int local_write_file_atomic(const char *path, const char *content, char *err, size_t err_len)
{
    char tmp[LOCAL_PATH];
    FILE *f;

    if (local_fmt_path(tmp, sizeof(tmp), err, err_len, "%s.tmp.%ld", path, (long)getpid()) != 0)
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

/* ---- slots: where they live, what they listen on ------------------------ */

/* local_slot_path - CUTOVER_RUN_DIR/local/<env>/<color>-<i+1>[/leaf] */
int local_slot_path(const struct local_provider *p, enum color c, int i, const char *leaf,
                    char *buf, size_t len)
{
    char ignored[64];

    return local_fmt_path(buf, len, ignored, sizeof(ignored), "%s/%s-%d%s%s", p->env_dir,
                          color_name(c), i + 1, leaf ? "/" : "", leaf ? leaf : "");
}

/* local_slot_port - the port of slot i of color c */
int local_slot_port(const struct local_provider *p, enum color c, int i)
{
    return p->cfg.base_port + (int)c * p->cfg.max_instances + i;
}

/* ---- processes --------------------------------------------------------- */

/* proc_stat_after_comm - /proc/PID/stat into buf; its fields from the
 * state on (field 3, after the command's ')'), or NULL when pid is gone */
static const char *proc_stat_after_comm(pid_t pid, char *buf, size_t len)
{
    char path[64], *rparen;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if (local_read_file_capped(path, buf, len) != 0)
        return NULL;
    rparen = strrchr(buf, ')');
    return rparen != NULL && rparen[1] == ' ' ? rparen + 2 : NULL;
}

/* local_pid_alive - 1 when pid is a live process (a zombie is dead) */
int local_pid_alive(pid_t pid)
{
    char stat[512];
    const char *state;

    if (pid <= 0 || kill(pid, 0) != 0)
        return 0;
    state = proc_stat_after_comm(pid, stat, sizeof(stat));
    return state != NULL && *state != 'Z' && *state != 'X';
}

/* pid_started_at - when pid's process started, in seconds of the realtime
 * clock (the kernel counts it in ticks since boot); -1 when pid is gone */
static double pid_started_at(pid_t pid)
{
    char stat[512];
    const char *field = proc_stat_after_comm(pid, stat, sizeof(stat));
    struct timespec real, boot;
    unsigned long long ticks;

    for (int k = 3; field != NULL && k < 22; k++) { /* field 22 is starttime */
        field = strchr(field, ' ');
        if (field != NULL)
            field++;
    }
    if (field == NULL || sscanf(field, "%llu", &ticks) != 1 ||
        clock_gettime(CLOCK_REALTIME, &real) != 0 || clock_gettime(CLOCK_BOOTTIME, &boot) != 0)
        return -1;
    return (double)(real.tv_sec - boot.tv_sec) + (real.tv_nsec - boot.tv_nsec) / 1e9 +
           (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

/* local_slot_pid - the pid in the slot's pid file; 0 when none. A slot's
 * process writes the file after it starts: a process under that pid that
 * started later (LOCAL_PID_REUSED_S) got it from the kernel after the slot's
 * own process died, and is none of the slot's, never to be signalled nor
 * counted as the slot running (pids come round again within minutes where
 * pid_max is 32768 and processes come and go) */
pid_t local_slot_pid(const struct local_provider *p, enum color c, int i)
{
    char path[LOCAL_PATH], buf[32];
    struct stat st;
    long pid;

    if (local_slot_path(p, c, i, "pid", path, sizeof(path)) != 0 ||
        local_read_file_capped(path, buf, sizeof(buf)) != 0 || stat(path, &st) != 0)
        return 0;
    pid = strtol(buf, NULL, 10);
    if (pid <= 0 || pid >= INT_MAX)
        return 0;
    if (pid_started_at((pid_t)pid) >
        (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9 + LOCAL_PID_REUSED_S)
        return 0;
    return (pid_t)pid;
}

/* local_pid_stop - SIGTERM, then SIGKILL after LOCAL_STOP_WAIT_MS; bounded wait */
void local_pid_stop(pid_t pid)
{
    long long deadline = clock_mono_ms() + LOCAL_STOP_WAIT_MS;

    if (!local_pid_alive(pid))
        return;
    kill(pid, SIGTERM);
    while (local_pid_alive(pid) && clock_mono_ms() < deadline)
        clock_sleep_ms(LOCAL_POLL_STEP_MS);
    if (!local_pid_alive(pid))
        return;
    log_warn("process %ld ignored SIGTERM for %d ms: SIGKILL", (long)pid, LOCAL_STOP_WAIT_MS);
    kill(pid, SIGKILL);
    deadline = clock_mono_ms() + 1000;
    while (local_pid_alive(pid) && clock_mono_ms() < deadline)
        clock_sleep_ms(LOCAL_POLL_STEP_MS);
}

/* ---- the capacity scale() records --------------------------------------- */

/* desired_path - where scale() records the capacity asked for */
static int desired_path(const struct local_provider *p, enum color c, char *buf, size_t len)
{
    char ignored[64];

    return local_fmt_path(buf, len, ignored, sizeof(ignored), "%s/%s.capacity", p->env_dir,
                          color_name(c));
}

/* local_desired_get - the capacity last asked for color c (0 when never) */
int local_desired_get(const struct local_provider *p, enum color c)
{
    char path[LOCAL_PATH], buf[32];

    if (desired_path(p, c, path, sizeof(path)) != 0 ||
        local_read_file_capped(path, buf, sizeof(buf)) != 0)
        return 0;
    return atoi(buf);
}

/* local_desired_set - record the capacity asked for color c */
int local_desired_set(const struct local_provider *p, enum color c, int capacity, char *err,
                      size_t err_len)
{
    char path[LOCAL_PATH], buf[32];

    if (desired_path(p, c, path, sizeof(path)) != 0)
        return -1;
    snprintf(buf, sizeof(buf), "%d\n", capacity);
    return local_write_file_atomic(path, buf, err, err_len);
}
