/*
 * cutoverd - the supervisor: runs the workers and restarts them.
 *
 * SYNOPSIS
 *	cutoverd [--workers NAME[=COPIES],...] [--bin-dir DIR] [--check] [--help]
 *
 * DESCRIPTION
 *	Starts each named worker (default: scaler, deployer, validator,
 *	shifter, rollbacker, migrator and web, the status page on CUTOVER_WEB_ADDR;
 *	scheduler, the scheduled work of each environment on its live color,
 *	only when named; COPIES of it, default 1) as DIR/cutover-NAME,
 *	where DIR defaults to the directory of cutoverd's own executable. The
 *	workers inherit cutoverd's environment (the CUTOVER_* configuration),
 *	standard input, output and error. An unknown name or a binary that is
 *	missing or not executable is refused before anything starts (exit 2),
 *	and so is a configuration that does not load.
 *
 *	A worker that exits, for whatever reason, is started again after a
 *	pause: CUTOVER_SUPERVISOR_RESTART_MIN_MS at first, doubled on each
 *	exit up to CUTOVER_SUPERVISOR_RESTART_MAX_MS, and back to the minimum
 *	when the worker had run for CUTOVER_SUPERVISOR_STABLE_MS before it
 *	exited. A worker that cannot start (a broken database URL) thus
 *	costs a start every RESTART_MAX_MS, not a tight loop.
 *
 *	SIGTERM or SIGINT: no more restarts; SIGTERM to every worker, SIGKILL
 *	to those still running after CUTOVER_SUPERVISOR_STOP_GRACE_MS; exit 0
 *	once all are reaped. SIGHUP: SIGTERM to every worker, each started
 *	again as soon as it exited (new binaries after an upgrade; the
 *	environment stays cutoverd's own). A worker whose supervisor dies
 *	gets SIGTERM (PR_SET_PDEATHSIG), so no orphan outlives it.
 *
 *	Each child gets CUTOVER_KAFKA_INSTANCE_ID, "HOST-TAG-LABEL" ("scaler#2"
 *	as "scaler-2"): its Kafka consumer is a static member of its group, so
 *	a worker restarted after a crash takes its partitions back at once
 *	instead of waiting for the dead one's session to expire (an alarm is
 *	not held up by a killed rollbacker). TAG names the run directory while
 *	cutoverd holds CUTOVER_RUN_DIR/cutoverd.lock (its device and inode, in
 *	hexadecimal): a cutoverd started again after a crash, or restarted,
 *	gives its workers the same ids, and they too take their partitions
 *	back at once. A second cutoverd of the same directory finds the lock
 *	taken and uses its pid as TAG.
 *
 *	Metrics: with CUTOVER_METRICS_PORT_BASE set, the Nth worker (from 0,
 *	in the order of the slots: --workers order, copies in turn) gets
 *	CUTOVER_METRICS_ADDR=HOST:BASE+N, HOST being the host of cutoverd's
 *	own CUTOVER_METRICS_ADDR, else 127.0.0.1; without it no worker gets
 *	an address (none inherits cutoverd's). cutoverd serves its own
 *	/metrics and /healthz on CUTOVER_METRICS_ADDR, and writes every
 *	address to CUTOVER_RUN_DIR/metrics-targets.json, a Prometheus
 *	file_sd list whose targets carry the label process ("cutoverd",
 *	"scaler", "deployer#2"), removed when cutoverd exits; --check prints
 *	them. One cutoverd per run directory.
 *
 *	cutoverd opens no Kafka or database connection itself; it logs JSON
 *	lines (log.h) with worker "cutoverd".
 */
#include "base/clock.h"
#include "base/config.h"
#include "base/lean.h"
#include "base/log.h"
#include "base/metrics.h"
#include "io/httpd.h"

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const supervisor_known[] = {
    "scaler", "deployer", "validator", "shifter", "rollbacker", "migrator", "web", "scheduler", NULL,
};

/* The first SUPERVISOR_DEFAULT_COUNT known workers run without --workers;
 * the scheduler (scheduled work on the live color) runs when named. */
#define SUPERVISOR_DEFAULT_COUNT 7

/* The signals cutoverd handles, which a worker must not inherit handled. */
static const int supervisor_signals[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP};

#define SUPERVISOR_SIGNAL_COUNT (sizeof(supervisor_signals) / sizeof(supervisor_signals[0]))
#define SUPERVISOR_MAX_COPIES   16
/* each known worker named once, with at most SUPERVISOR_MAX_COPIES copies */
#define SUPERVISOR_MAX_SLOTS \
    ((sizeof(supervisor_known) / sizeof(supervisor_known[0]) - 1) * SUPERVISOR_MAX_COPIES)

struct supervisor;

/* One running copy of a worker. */
struct slot {
    struct supervisor *sup;
    const char *name;         /* an entry of supervisor_known */
    char label[48];           /* "scaler", or "scaler#2" among copies */
    pid_t pid;                /* 0 while not running */
    long long started_ms;     /* monotonic clock at the last start */
    long delay_ms;            /* pause before the next start */
    int again_now;            /* SIGHUP: start again as soon as it exits */
    struct event *ev_restart; /* the pause before the next start */
    char metrics_addr[272];   /* its CUTOVER_METRICS_ADDR; "" for none */
};

struct supervisor {
    struct event_base *base;
    struct event *ev_signals[SUPERVISOR_SIGNAL_COUNT]; /* in supervisor_signals order */
    struct event *ev_grace;
    char bin_dir[PATH_MAX];
    struct slot slots[SUPERVISOR_MAX_SLOTS];
    size_t slot_count;
    int stopping;
    long restart_min_ms, restart_max_ms, stable_ms, grace_ms;
    struct httpd *httpd;        /* cutoverd's own /metrics; NULL when not asked for */
    char targets_path[PATH_MAX]; /* the metrics targets file written; "" when none */
    char instance_tag[40];       /* the middle of the children's Kafka instance ids */
};

struct supervisor_options {
    const char *workers; /* NAME[=COPIES],...; NULL: each known worker once */
    const char *bin_dir; /* NULL: the directory of our executable */
    int check;
};

/* supervisor_print_known - the known worker names, comma-separated */
static void supervisor_print_known(FILE *out)
{
    for (size_t i = 0; supervisor_known[i]; i++)
        fprintf(out, "%s%s", i ? "," : "", supervisor_known[i]);
}

/* supervisor_usage - --help */
static void supervisor_usage(FILE *out)
{
    fprintf(out,
            "usage: cutoverd [--workers NAME[=COPIES],...] [--bin-dir DIR] [--check] [--help]\n\n"
            "Runs cutover's workers and restarts those that exit, with a growing pause.\n\n"
            "  -w, --workers LIST  workers to run, of ");
    supervisor_print_known(out);
    fprintf(out,
            "\n                      (default: all but scheduler);\n"
            "                      NAME=COPIES runs several copies (1..%d)\n"
            "  -b, --bin-dir DIR   where cutover-NAME binaries are (default: cutoverd's own "
            "directory)\n"
            "  -n, --check         validate the configuration, print it (secrets masked) and\n"
            "                      the workers that would run, exit\n"
            "  -h, --help          this text\n\n"
            "Signals: TERM/INT stop every worker and exit; HUP restarts every worker.\n"
            "The workers inherit the environment; the CUTOVER_SUPERVISOR_* variables\n"
            "set the restart pauses and the stop grace.\n\n",
            SUPERVISOR_MAX_COPIES);
    config_usage(out);
}

/* supervisor_options - parse the command line; exit status, or -1 to go on */
static int supervisor_options(int argc, char **argv, struct supervisor_options *opt)
{
    static const struct option options[] = {
        {"workers", required_argument, NULL, 'w'},
        {"bin-dir", required_argument, NULL, 'b'},
        {"check", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "w:b:nh", options, NULL)) != -1) {
        if (c == 'w')
            opt->workers = optarg;
        else if (c == 'b')
            opt->bin_dir = optarg;
        else if (c == 'n')
            opt->check = 1;
        else {
            supervisor_usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cutoverd: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    return -1;
}

/* supervisor_known_name - the known worker spelled name[0..len), or NULL */
static const char *supervisor_known_name(const char *name, size_t len)
{
    for (size_t i = 0; supervisor_known[i]; i++) {
        if (strlen(supervisor_known[i]) == len && strncmp(supervisor_known[i], name, len) == 0)
            return supervisor_known[i];
    }
    return NULL;
}

/* supervisor_copies - the COPIES of "NAME=COPIES" (1 without "="); -1 when bad */
static long supervisor_copies(const char *item)
{
    const char *eq = strchr(item, '=');
    char *end;

    if (eq == NULL)
        return 1;
    errno = 0;
    long n = strtol(eq + 1, &end, 10);
    if (errno != 0 || end == eq + 1 || *end != '\0' || n < 1 || n > SUPERVISOR_MAX_COPIES)
        return -1;
    return n;
}

/* supervisor_has - whether a worker of that name is already in the slots */
static int supervisor_has(const struct supervisor *sup, const char *name)
{
    for (size_t i = 0; i < sup->slot_count; i++) {
        if (sup->slots[i].name == name)
            return 1;
    }
    return 0;
}

/* supervisor_add - add the slots of one "NAME[=COPIES]"; 0, or -1 (told) */
static int supervisor_add(struct supervisor *sup, const char *item)
{
    size_t len = strcspn(item, "=");
    const char *name = supervisor_known_name(item, len);
    long copies = supervisor_copies(item);

    if (name == NULL) {
        fprintf(stderr, "cutoverd: unknown worker \"%.*s\" (known: ", (int)(len > 64 ? 64 : len),
                item);
        supervisor_print_known(stderr);
        fprintf(stderr, ")\n");
        return -1;
    }
    if (copies < 0 || supervisor_has(sup, name)) {
        fprintf(stderr, "cutoverd: \"%s\": give each worker once, as NAME or NAME=1..%d\n", item,
                SUPERVISOR_MAX_COPIES);
        return -1;
    }
    for (long i = 1; i <= copies; i++) {
        struct slot *s = &sup->slots[sup->slot_count++];
        s->sup = sup;
        s->name = name;
        if (copies == 1)
            snprintf(s->label, sizeof(s->label), "%s", name);
        else
            snprintf(s->label, sizeof(s->label), "%s#%ld", name, i);
    }
    return 0;
}

/* supervisor_parse_workers - "scaler,deployer=2" into slots (NULL: one copy
 * of each known worker); 0, or -1 (told) */
static int supervisor_parse_workers(struct supervisor *sup, const char *list)
{
    char *copy, *save = NULL;
    int rc = 0;

    if (list == NULL) {
        for (size_t i = 0; i < SUPERVISOR_DEFAULT_COUNT; i++)
            supervisor_add(sup, supervisor_known[i]);
        return 0;
    }
    if ((copy = strdup(list)) == NULL)
        log_fatal("out of memory");
    for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
         item = strtok_r(NULL, ",", &save))
        rc = supervisor_add(sup, item);
    if (rc == 0 && sup->slot_count == 0) {
        fprintf(stderr, "cutoverd: --workers names no worker\n");
        rc = -1;
    }
    free(copy);
    return rc;
}

/* supervisor_set_bin_dir - DIR, or the directory of /proc/self/exe; 0 or -1 (told) */
static int supervisor_set_bin_dir(struct supervisor *sup, const char *dir)
{
    char *exe = dir ? NULL : realpath("/proc/self/exe", NULL);

    if (dir == NULL && exe == NULL) {
        fprintf(stderr, "cutoverd: cannot read /proc/self/exe: %s; give --bin-dir\n",
                strerror(errno));
        return -1;
    }
    if (exe)
        *strrchr(exe, '/') = '\0';
    snprintf(sup->bin_dir, sizeof(sup->bin_dir), "%s", exe ? exe : dir);
    free(exe);
    return 0;
}

/* slot_path - DIR/cutover-NAME into out; -1 when too long */
static int slot_path(const struct slot *s, char *out, size_t out_len)
{
    return (size_t)snprintf(out, out_len, "%s/cutover-%s", s->sup->bin_dir, s->name) < out_len
               ? 0 : -1;
}

/* supervisor_binary_problem - what is wrong with path as a worker binary, or NULL */
static const char *supervisor_binary_problem(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return strerror(errno);
    if (!S_ISREG(st.st_mode))
        return "not a regular file";
    if (access(path, X_OK) != 0)
        return "not executable";
    return NULL;
}

/* supervisor_check_binaries - every worker's binary is an executable file; 0 or -1 (told) */
static int supervisor_check_binaries(const struct supervisor *sup)
{
    char path[PATH_MAX];
    const char *problem;

    for (size_t i = 0; i < sup->slot_count; i++) {
        if (slot_path(&sup->slots[i], path, sizeof(path)) != 0) {
            fprintf(stderr, "cutoverd: %s: path too long\n", sup->bin_dir);
            return -1;
        }
        if ((problem = supervisor_binary_problem(path)) != NULL) {
            fprintf(stderr, "cutoverd: worker %s: %s: %s\n", sup->slots[i].name, path, problem);
            return -1;
        }
    }
    return 0;
}

/* supervisor_metrics_plan - each slot's metrics address from
 * CUTOVER_METRICS_PORT_BASE; 0, or -1 (told) when the ports do not fit */
static int supervisor_metrics_plan(struct supervisor *sup)
{
    const char *own = config_get("CUTOVER_METRICS_ADDR");
    const char *colon = own ? strrchr(own, ':') : NULL;
    long base = config_get_int("CUTOVER_METRICS_PORT_BASE");
    long last = base + (long)sup->slot_count - 1;
    long own_port = colon ? atol(colon + 1) : 0;

    if (base == 0)
        return 0;
    if (last > 65535 || (own_port >= base && own_port <= last)) {
        fprintf(stderr, "cutoverd: CUTOVER_METRICS_PORT_BASE=%ld: the workers' ports %ld..%ld"
                        " must end below 65536 and leave out CUTOVER_METRICS_ADDR's\n",
                base, base, last);
        return -1;
    }
    for (size_t i = 0; i < sup->slot_count; i++)
        snprintf(sup->slots[i].metrics_addr, sizeof(sup->slots[i].metrics_addr), "%.*s:%ld",
                 colon ? (int)(colon - own) : 9, colon ? own : "127.0.0.1", base + (long)i);
    return 0;
}

/* supervisor_configure - load the configuration and the restart bounds;
 * exit status, or -1 to go on */
static int supervisor_configure(struct supervisor *sup)
{
    char err[512];
    enum log_level level = LOG_INFO;

    if (config_load(err, sizeof(err)) != 0) {
        fprintf(stderr, "cutoverd: %s\n", err);
        return 2;
    }
    log_level_parse(config_get("CUTOVER_LOG_LEVEL"), &level);
    log_set_level(level);
    sup->restart_min_ms = config_get_int("CUTOVER_SUPERVISOR_RESTART_MIN_MS");
    sup->restart_max_ms = config_get_int("CUTOVER_SUPERVISOR_RESTART_MAX_MS");
    sup->stable_ms = config_get_int("CUTOVER_SUPERVISOR_STABLE_MS");
    sup->grace_ms = config_get_int("CUTOVER_SUPERVISOR_STOP_GRACE_MS");
    if (sup->restart_min_ms > sup->restart_max_ms) {
        fprintf(stderr, "cutoverd: CUTOVER_SUPERVISOR_RESTART_MIN_MS=%ld is above "
                        "CUTOVER_SUPERVISOR_RESTART_MAX_MS=%ld\n",
                sup->restart_min_ms, sup->restart_max_ms);
        return 2;
    }
    return supervisor_metrics_plan(sup) == 0 ? -1 : 2;
}

/* supervisor_print - --check: the configuration, then what would run */
static void supervisor_print(const struct supervisor *sup, FILE *out)
{
    char path[PATH_MAX];

    config_print(out);
    for (size_t i = 0; i < sup->slot_count; i++) {
        if (slot_path(&sup->slots[i], path, sizeof(path)) == 0)
            fprintf(out, "worker %s: %s\n", sup->slots[i].label, path);
    }
    for (size_t i = 0; i < sup->slot_count; i++) {
        if (sup->slots[i].metrics_addr[0])
            fprintf(out, "metrics %s: %s\n", sup->slots[i].label, sup->slots[i].metrics_addr);
    }
}

/* supervisor_setup - options, workers, binaries, configuration; exit status or -1 */
static int supervisor_setup(struct supervisor *sup, int argc, char **argv)
{
    struct supervisor_options opt = {0};
    int status;

    if ((status = supervisor_options(argc, argv, &opt)) >= 0)
        return status;
    if (supervisor_parse_workers(sup, opt.workers) != 0
        || supervisor_set_bin_dir(sup, opt.bin_dir) != 0 || supervisor_check_binaries(sup) != 0)
        return 2;
    if ((status = supervisor_configure(sup)) >= 0)
        return status;
    if (opt.check) {
        supervisor_print(sup, stdout);
        return 0;
    }
    return -1;
}

/* supervisor_timeval - milliseconds as a struct timeval */
static struct timeval supervisor_timeval(long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    return tv;
}

/* supervisor_run_dir - CUTOVER_RUN_DIR, made when missing: the lock and
 * the metrics targets file live there (each says so when it cannot be
 * written) */
static void supervisor_run_dir(void)
{
    const char *dir = config_get("CUTOVER_RUN_DIR");

    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        log_warn("%s: cannot make the run directory: %s", dir, strerror(errno));
}

/* supervisor_instance_tag - the run directory's lock, held until cutoverd
 * exits (the descriptor is never closed; children do not inherit it), and
 * the tag it gives; cutoverd's pid as the tag when another holds it */
static void supervisor_instance_tag(struct supervisor *sup)
{
    const char *dir = config_get("CUTOVER_RUN_DIR");
    char path[PATH_MAX];
    struct stat st;
    int fd = -1;

    snprintf(sup->instance_tag, sizeof(sup->instance_tag), "%d", (int)getpid());
    if (snprintf(path, sizeof(path), "%s/cutoverd.lock", dir) >= (int)sizeof(path)
        || (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0
        || flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &st) != 0) {
        log_warn("%s: %s: the workers' Kafka instance ids carry cutoverd's pid", path,
                 errno == EWOULDBLOCK ? "another cutoverd holds it" : strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    snprintf(sup->instance_tag, sizeof(sup->instance_tag), "%llx-%llx",
             (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
}

/* slot_instance_id - the child's Kafka group.instance.id: host, the
 * supervisor's tag and the slot's label ("scaler#2" as "scaler-2"), unique
 * in its group, the same across the child's restarts (static membership: a
 * restarted worker takes its partitions back at once) */
static void slot_instance_id(const struct slot *s, char *out, size_t len)
{
    char host[64] = "host";

    gethostname(host, sizeof(host) - 1);
    snprintf(out, len, "%s-%s-%s", host, s->sup->instance_tag, s->label);
    for (char *c = out; *c; c++) {
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
            *c = '-';
    }
}

/* slot_exec - in the child: default signals, die with the parent, its
 * own metrics address (or none) and Kafka instance id, exec */
static void slot_exec(const char *path, const struct slot *s, pid_t parent, const sigset_t *mask)
{
    const char *metrics_addr = s->metrics_addr;
    char instance_id[160];

    char *argv[] = {(char *)path, NULL};
    struct sigaction dfl;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (size_t i = 0; i < SUPERVISOR_SIGNAL_COUNT; i++)
        sigaction(supervisor_signals[i], &dfl, NULL);
    sigaction(SIGPIPE, &dfl, NULL); /* ignored while cutoverd serves metrics */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        _exit(126);
    sigprocmask(SIG_SETMASK, mask, NULL);
    if (*metrics_addr)
        setenv("CUTOVER_METRICS_ADDR", metrics_addr, 1);
    else
        unsetenv("CUTOVER_METRICS_ADDR");
    slot_instance_id(s, instance_id, sizeof(instance_id));
    setenv("CUTOVER_KAFKA_INSTANCE_ID", instance_id, 1);
    execv(path, argv);
    _exit(127);
}

static void slot_schedule(struct slot *s);

/* slot_start - fork and exec the worker; on failure, try again after a pause.
 * Signals stay blocked around fork so that no handler of ours runs in the
 * child before exec. */
static void slot_start(struct slot *s)
{
    char path[PATH_MAX];
    sigset_t all, old;
    pid_t parent = getpid(), pid;

    if (slot_path(s, path, sizeof(path)) != 0)
        log_panic("slot_start: %s: path checked at start is too long now", s->label);
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0)
        slot_exec(path, s, parent, &old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        log_error("worker %s: fork: %s", s->label, strerror(errno));
        slot_schedule(s);
        return;
    }
    s->pid = pid;
    s->started_ms = clock_mono_ms();
    log_info("worker %s started: pid %d", s->label, (int)pid);
}

/* slot_schedule - start the worker again after its pause, and double the pause */
static void slot_schedule(struct slot *s)
{
    const struct supervisor *sup = s->sup;
    struct timeval tv = supervisor_timeval(s->delay_ms);

    log_info("worker %s restarting in %ld ms", s->label, s->delay_ms);
    if (evtimer_add(s->ev_restart, &tv) != 0)
        log_panic("slot_schedule: evtimer_add failed for %s", s->label);
    s->delay_ms = s->delay_ms > sup->restart_max_ms / 2 ? sup->restart_max_ms : s->delay_ms * 2;
}

/* slot_restart_cb - the pause is over: start the worker */
static void slot_restart_cb(evutil_socket_t fd, short what, void *arg)
{
    struct slot *s = arg;

    (void)fd;
    (void)what;
    if (!s->sup->stopping && s->pid == 0)
        slot_start(s);
}

/* slot_exit_reason - "status N" or "signal N (name)" */
static void slot_exit_reason(int status, char *out, size_t out_len)
{
    if (WIFSIGNALED(status))
        snprintf(out, out_len, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(out, out_len, "status %d", WEXITSTATUS(status));
}

/* slot_exited - log the exit; start the worker again unless stopping */
static void slot_exited(struct slot *s, int status)
{
    struct supervisor *sup = s->sup;
    long long uptime = clock_mono_ms() - s->started_ms;
    char why[96];
    int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;

    slot_exit_reason(status, why, sizeof(why));
    metrics_add(metrics_counter("cutover_supervisor_worker_exits_total",
                                "Worker processes that exited, by worker.",
                                (const char *[]){"worker"}, 1),
                1, (const char *[]){s->name});
    log_msg(sup->stopping || s->again_now || clean ? LOG_INFO : LOG_WARN,
            "worker %s (pid %d) exited with %s after %lld ms", s->label, (int)s->pid, why, uptime);
    s->pid = 0;
    if (sup->stopping)
        return;
    if (uptime >= sup->stable_ms || s->again_now)
        s->delay_ms = sup->restart_min_ms;
    if (s->again_now) {
        s->again_now = 0;
        slot_start(s);
        return;
    }
    slot_schedule(s);
}

/* supervisor_running - how many workers run */
static size_t supervisor_running(const struct supervisor *sup)
{
    size_t n = 0;

    for (size_t i = 0; i < sup->slot_count; i++)
        n += sup->slots[i].pid != 0;
    return n;
}

/* supervisor_slot_of - the slot running pid, or NULL */
static struct slot *supervisor_slot_of(struct supervisor *sup, pid_t pid)
{
    for (size_t i = 0; i < sup->slot_count; i++) {
        if (sup->slots[i].pid == pid)
            return &sup->slots[i];
    }
    return NULL;
}

/* supervisor_reap_cb - SIGCHLD: reap every child that ended */
static void supervisor_reap_cb(evutil_socket_t sig, short what, void *arg)
{
    struct supervisor *sup = arg;
    int status;
    pid_t pid;

    (void)sig;
    (void)what;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct slot *s = supervisor_slot_of(sup, pid);
        if (s == NULL)
            log_warn("reaped pid %d, which is no worker of ours", (int)pid);
        else
            slot_exited(s, status);
    }
    if (sup->stopping && supervisor_running(sup) == 0)
        event_base_loopexit(sup->base, NULL);
}

/* slot_kill - send sig to the worker when it runs */
static void slot_kill(const struct slot *s, int sig)
{
    if (s->pid != 0 && kill(s->pid, sig) != 0)
        log_warn("worker %s (pid %d): kill %d: %s", s->label, (int)s->pid, sig, strerror(errno));
}

/* supervisor_signal_all - send sig to every running worker */
static void supervisor_signal_all(const struct supervisor *sup, int sig)
{
    for (size_t i = 0; i < sup->slot_count; i++)
        slot_kill(&sup->slots[i], sig);
}

/* supervisor_stop_cb - SIGTERM or SIGINT: stop every worker, then leave */
static void supervisor_stop_cb(evutil_socket_t sig, short what, void *arg)
{
    struct supervisor *sup = arg;
    struct timeval grace = supervisor_timeval(sup->grace_ms);

    (void)what;
    if (sup->stopping) {
        log_info("signal %d: already stopping", (int)sig);
        return;
    }
    sup->stopping = 1;
    for (size_t i = 0; i < sup->slot_count; i++)
        evtimer_del(sup->slots[i].ev_restart);
    log_info("signal %d: stopping %zu workers (grace %ld ms)", (int)sig, supervisor_running(sup),
             sup->grace_ms);
    supervisor_signal_all(sup, SIGTERM);
    if (supervisor_running(sup) == 0)
        event_base_loopexit(sup->base, NULL);
    else if (evtimer_add(sup->ev_grace, &grace) != 0)
        log_panic("supervisor_stop_cb: evtimer_add failed");
}

/* supervisor_grace_cb - the stop grace is over: SIGKILL what still runs */
static void supervisor_grace_cb(evutil_socket_t fd, short what, void *arg)
{
    struct supervisor *sup = arg;

    (void)fd;
    (void)what;
    for (size_t i = 0; i < sup->slot_count; i++) {
        if (sup->slots[i].pid != 0)
            log_warn("worker %s (pid %d) still running after %ld ms: SIGKILL",
                     sup->slots[i].label, (int)sup->slots[i].pid, sup->grace_ms);
    }
    supervisor_signal_all(sup, SIGKILL);
}

/* supervisor_reload_cb - SIGHUP: restart every worker, each once it has exited */
static void supervisor_reload_cb(evutil_socket_t sig, short what, void *arg)
{
    struct supervisor *sup = arg;

    (void)what;
    if (sup->stopping)
        return;
    log_info("signal %d: restarting %zu workers", (int)sig, sup->slot_count);
    for (size_t i = 0; i < sup->slot_count; i++) {
        struct slot *s = &sup->slots[i];
        if (s->pid != 0) {
            s->again_now = 1;
            slot_kill(s, SIGTERM);
            continue;
        }
        evtimer_del(s->ev_restart);
        s->delay_ms = sup->restart_min_ms;
        slot_start(s);
    }
}

/* supervisor_events - the event base, signal events and timers */
static void supervisor_events(struct supervisor *sup)
{
    static const event_callback_fn handlers[SUPERVISOR_SIGNAL_COUNT] = {
        supervisor_reap_cb, supervisor_stop_cb, supervisor_stop_cb, supervisor_reload_cb,
    };

    if ((sup->base = event_base_new()) == NULL)
        log_fatal("event_base_new failed");
    for (size_t i = 0; i < SUPERVISOR_SIGNAL_COUNT; i++) {
        sup->ev_signals[i] = evsignal_new(sup->base, supervisor_signals[i], handlers[i], sup);
        if (sup->ev_signals[i] == NULL || evsignal_add(sup->ev_signals[i], NULL) != 0)
            log_fatal("signal %d: set-up failed", supervisor_signals[i]);
    }
    if ((sup->ev_grace = evtimer_new(sup->base, supervisor_grace_cb, sup)) == NULL)
        log_fatal("evtimer_new failed");
    for (size_t i = 0; i < sup->slot_count; i++) {
        sup->slots[i].delay_ms = sup->restart_min_ms;
        sup->slots[i].ev_restart = evtimer_new(sup->base, slot_restart_cb, &sup->slots[i]);
        if (sup->slots[i].ev_restart == NULL)
            log_fatal("evtimer_new failed");
    }
}

/* supervisor_collect_cb - the workers running, at scrape */
static void supervisor_collect_cb(void *arg)
{
    const struct supervisor *sup = arg;

    metrics_set(metrics_gauge("cutover_supervisor_workers_running",
                              "Worker processes running now.", NULL, 0),
                (double)supervisor_running(sup), NULL);
    metrics_set(metrics_gauge("cutover_supervisor_workers", "Worker processes supervised.",
                              NULL, 0),
                (double)sup->slot_count, NULL);
}

/* supervisor_target - one file_sd entry: addr labelled with its process */
static void supervisor_target(cJSON *list, const char *addr, const char *process)
{
    cJSON *entry = cJSON_CreateObject();
    cJSON *targets = cJSON_AddArrayToObject(entry, "targets");

    cJSON_AddItemToArray(targets, cJSON_CreateString(addr));
    cJSON_AddStringToObject(cJSON_AddObjectToObject(entry, "labels"), "process", process);
    cJSON_AddItemToArray(list, entry);
}

/* supervisor_targets_list - cutoverd's address (its real port) and every slot's */
static cJSON *supervisor_targets_list(const struct supervisor *sup)
{
    const char *own = config_get("CUTOVER_METRICS_ADDR");
    cJSON *list = cJSON_CreateArray();
    char addr[300];

    if (sup->httpd) {
        snprintf(addr, sizeof(addr), "%.*s:%d", (int)(strrchr(own, ':') - own), own,
                 httpd_port(sup->httpd));
        supervisor_target(list, addr, "cutoverd");
    }
    for (size_t i = 0; i < sup->slot_count; i++) {
        if (sup->slots[i].metrics_addr[0])
            supervisor_target(list, sup->slots[i].metrics_addr, sup->slots[i].label);
    }
    return list;
}

/* supervisor_targets_write - the metrics addresses into RUN_DIR/metrics-targets.json
 * (written aside, then renamed: a reader never sees half a file) */
static void supervisor_targets_write(struct supervisor *sup)
{
    const char *dir = config_get("CUTOVER_RUN_DIR");
    cJSON *list = supervisor_targets_list(sup);
    char *text = cJSON_GetArraySize(list) ? cJSON_Print(list) : NULL;
    char tmp[PATH_MAX + 8];
    FILE *f;
    int rc = -1;

    snprintf(sup->targets_path, sizeof(sup->targets_path), "%s/metrics-targets.json", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", sup->targets_path);
    if (text && (f = fopen(tmp, "w")) != NULL) {
        rc = fputs(text, f) < 0 ? -1 : 0;
        rc = fclose(f) != 0 || rc != 0 ? -1 : rename(tmp, sup->targets_path);
    }
    if (text && rc != 0)
        log_warn("metrics targets: cannot write %s: %s", sup->targets_path, strerror(errno));
    if (rc != 0)
        sup->targets_path[0] = '\0';
    free(text);
    cJSON_Delete(list);
}

/* supervisor_metrics_start - cutoverd's own metrics, server and targets file */
static void supervisor_metrics_start(struct supervisor *sup)
{
    metrics_process();
    metrics_on_collect(supervisor_collect_cb, sup);
    sup->httpd = httpd_metrics_serve(sup->base, config_get("CUTOVER_METRICS_ADDR"), NULL, NULL);
    supervisor_targets_write(sup);
}

/* supervisor_metrics_stop - stop serving; the targets file goes */
static void supervisor_metrics_stop(struct supervisor *sup)
{
    httpd_free(sup->httpd);
    sup->httpd = NULL;
    if (sup->targets_path[0])
        unlink(sup->targets_path);
}

/* supervisor_free - tear down in reverse order of creation */
static void supervisor_free(struct supervisor *sup)
{
    for (size_t i = sup->slot_count; i-- > 0;) {
        if (sup->slots[i].ev_restart)
            event_free(sup->slots[i].ev_restart);
    }
    if (sup->ev_grace)
        event_free(sup->ev_grace);
    for (size_t i = SUPERVISOR_SIGNAL_COUNT; i-- > 0;) {
        if (sup->ev_signals[i])
            event_free(sup->ev_signals[i]);
    }
    if (sup->base)
        event_base_free(sup->base);
}

int main(int argc, char **argv)
{
    struct supervisor sup;
    int status;

    lean_exec(argv); /* fewer resident pages: see base/lean.h */
    memset(&sup, 0, sizeof(sup));
    log_init("cutoverd");
    if ((status = supervisor_setup(&sup, argc, argv)) >= 0) {
        config_free();
        return status;
    }
    supervisor_events(&sup);
    supervisor_run_dir();
    supervisor_instance_tag(&sup);
    supervisor_metrics_start(&sup);
    log_info("supervising %zu workers from %s: restart pause %ld..%ld ms, stable after %ld ms, "
             "stop grace %ld ms", sup.slot_count, sup.bin_dir, sup.restart_min_ms,
             sup.restart_max_ms, sup.stable_ms, sup.grace_ms);
    for (size_t i = 0; i < sup.slot_count; i++)
        slot_start(&sup.slots[i]);
    if (event_base_dispatch(sup.base) != 0 || !sup.stopping)
        log_fatal("left the event loop unexpectedly");
    log_info("stopped");
    supervisor_metrics_stop(&sup);
    supervisor_free(&sup);
    config_free();
    return 0;
}
