/*
 * test_appspec - appspec.yml parsing and the hook runner.
 *
 * DESCRIPTION
 *	Parses the fixtures of tests/data/appspec and runs the scripts of
 *	tests/data/appspec/release for real (child processes, a log file in a
 *	temporary directory). Waits poll the run with a deadline. Run from the
 *	top of the tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/log.h"
#include "provider/local/appspec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DATA    "tests/data/appspec"
#define RELEASE DATA "/release"

/* Per-test scratch: a directory for the log and the scripts' output. */
struct fixture {
    char dir[64];
    char log[128];
    char out_var[128];
    char *envp[3];
};

/* now_ms - CLOCK_MONOTONIC in milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* setup - a scratch directory and an environment with OUT_DIR */
static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_appspec.XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->log, sizeof(fx->log), "%s/hooks.log", fx->dir);
    snprintf(fx->out_var, sizeof(fx->out_var), "OUT_DIR=%s", fx->dir);
    fx->envp[0] = fx->out_var;
    fx->envp[1] = "PATH=/usr/local/bin:/usr/bin:/bin";
    *state = fx;
    return 0;
}

/* teardown - remove the scratch directory */
static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    free(fx);
    return 0;
}

/* slurp - a small file's content into buf; length or -1 */
static long slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        return -1;
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    return (long)n;
}

/* run_wait - poll run until it ends or deadline_s passes; the final status */
static enum appspec_status run_wait(struct appspec_run *run, int deadline_s, char *detail,
                                    size_t detail_len)
{
    struct timespec pause = { 0, 10 * 1000000L };
    long long deadline = now_ms() + deadline_s * 1000LL;
    enum appspec_status st = APPSPEC_RUNNING;

    while (now_ms() < deadline) {
        assert_int_equal(appspec_run_poll(run, &st, detail, detail_len), 0);
        if (st != APPSPEC_RUNNING)
            break;
        nanosleep(&pause, NULL);
    }
    return st;
}

/* start - load an appspec of the release and start the listed hooks */
static struct appspec_run *start(struct fixture *fx, const char *yml, const char *const *hooks,
                                 size_t count)
{
    char err[512], path[256];
    struct appspec *spec;
    struct appspec_run *run;

    snprintf(path, sizeof(path), RELEASE "/%s", yml);
    spec = appspec_load(path, err, sizeof(err));
    assert_non_null(spec);
    run = appspec_run_start(RELEASE, spec, hooks, count, fx->envp, fx->log, err, sizeof(err));
    appspec_free(spec); /* the run keeps what it needs */
    assert_non_null(run);
    return run;
}

static const char *const all_hooks[] = { "ApplicationStop", "BeforeInstall", "AfterInstall",
                                         "ApplicationStart", "BeforeAllowTraffic",
                                         "ValidateService" };

/* test_parse_valid - every field of a complete appspec */
static void test_parse_valid(void **state)
{
    char err[512] = "";
    struct appspec *spec = appspec_load(DATA "/valid.yml", err, sizeof(err));
    const struct appspec_hook *h;

    (void)state;
    assert_non_null(spec);
    assert_string_equal(spec->version, "0.0");
    assert_string_equal(spec->os, "linux");
    assert_int_equal(spec->hook_count, 6);
    h = appspec_hook_find(spec, "BeforeInstall");
    assert_non_null(h);
    assert_int_equal(h->runnable, 1);
    assert_int_equal(h->script_count, 2);
    assert_string_equal(h->scripts[0].location, "scripts/deps.sh");
    assert_int_equal(h->scripts[0].timeout_s, 120);
    assert_int_equal(h->scripts[1].timeout_s, APPSPEC_TIMEOUT_DEFAULT_S);
    assert_string_equal(h->scripts[1].runas, "root");
    h = appspec_hook_find(spec, "AfterInstall");
    assert_int_equal(h->scripts[0].timeout_s, APPSPEC_TIMEOUT_MAX_S); /* 99999 lowered */
    h = appspec_hook_find(spec, "BeforeAllowTraffic");
    assert_non_null(h);
    assert_int_equal(h->runnable, 0);
    assert_null(appspec_hook_find(spec, "Install"));
    appspec_free(spec);
}

/* test_parse_max - a smaller maximum lowers the default and larger timeouts */
static void test_parse_max(void **state)
{
    char err[512] = "";
    struct appspec *spec = appspec_load_max(DATA "/valid.yml", 100, err, sizeof(err));

    (void)state;
    assert_non_null(spec);
    assert_int_equal(appspec_hook_find(spec, "BeforeInstall")->scripts[0].timeout_s, 100);
    assert_int_equal(appspec_hook_find(spec, "BeforeInstall")->scripts[1].timeout_s, 100);
    assert_int_equal(appspec_hook_find(spec, "ValidateService")->scripts[0].timeout_s, 30);
    appspec_free(spec);
}

/* expect_error - loading name fails with a message containing each of the words */
static void expect_error(const char *name, const char *word1, const char *word2)
{
    char err[512] = "", path[256];

    snprintf(path, sizeof(path), DATA "/%s", name);
    assert_null(appspec_load(path, err, sizeof(err)));
    if (strstr(err, word1) == NULL || (word2 != NULL && strstr(err, word2) == NULL))
        fail_msg("error \"%s\" lacks \"%s\"/\"%s\"", err, word1, word2 ? word2 : "");
}

/* test_parse_errors - bad YAML gives line and column; bad content names what is wrong */
static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("bad_yaml.yml", "line 6 column", NULL);
    expect_error("unknown_hook.yml", "unknown hook \"AfterInstal\"", "line 6");
    expect_error("bad_location.yml", "../../etc/evil.sh", "relative");
    expect_error("bad_timeout.yml", "timeout \"soon\"", "line 6");
    expect_error("no_such_file.yml", "No such file", NULL);
}

/* test_hook_kind - the local runner's hooks, the skipped ones, the unknown */
static void test_hook_kind(void **state)
{
    (void)state;
    assert_int_equal(appspec_hook_kind("AfterInstall"), 1);
    assert_int_equal(appspec_hook_kind("ValidateService"), 1);
    assert_int_equal(appspec_hook_kind("AfterAllowTraffic"), 0);
    assert_int_equal(appspec_hook_kind("DownloadBundle"), 0);
    assert_int_equal(appspec_hook_kind("afterinstall"), -1);
}

/* test_run_order - hooks in the order asked, scripts in file order, skipped hooks skipped */
static void test_run_order(void **state)
{
    struct fixture *fx = *state;
    struct appspec_run *run = start(fx, "appspec.yml", all_hooks, 6);
    char detail[1024], order[512], path[256];

    assert_int_equal(run_wait(run, 20, detail, sizeof(detail)), APPSPEC_SUCCEEDED);
    assert_string_equal(detail, "ran 4 scripts");
    snprintf(path, sizeof(path), "%s/order", fx->dir);
    assert_true(slurp(path, order, sizeof(order)) > 0);
    assert_string_equal(order, "BeforeInstall one\nAfterInstall two\nAfterInstall three\n"
                               "ValidateService four\n");
    appspec_run_free(run);
}

/* test_run_unknown_hook - asking for a hook that does not exist fails at start */
static void test_run_unknown_hook(void **state)
{
    struct fixture *fx = *state;
    static const char *const hooks[] = { "BeforeInstall", "Deploy" };
    char err[512] = "";
    struct appspec *spec = appspec_load(RELEASE "/appspec.yml", err, sizeof(err));

    assert_non_null(spec);
    assert_null(appspec_run_start(RELEASE, spec, hooks, 2, fx->envp, fx->log, err, sizeof(err)));
    assert_non_null(strstr(err, "\"Deploy\""));
    appspec_free(spec);
}

/* test_run_failure - a failing script stops the run with its exit code and output */
static void test_run_failure(void **state)
{
    struct fixture *fx = *state;
    struct appspec_run *run = start(fx, "fail.yml", all_hooks, 6);
    char detail[1024], order[512], path[256];

    assert_int_equal(run_wait(run, 20, detail, sizeof(detail)), APPSPEC_FAILED);
    assert_non_null(strstr(detail, "hook AfterInstall script scripts/fail.sh exited 3: "));
    assert_non_null(strstr(detail, "checking the database"));
    assert_non_null(strstr(detail, "migration 7 failed: relation missing"));
    snprintf(path, sizeof(path), "%s/order", fx->dir);
    assert_true(slurp(path, order, sizeof(order)) > 0);
    assert_string_equal(order, "BeforeInstall one\nAfterInstall fail\n"); /* two.sh never ran */
    appspec_run_free(run);
}

/* test_run_timeout - a script past its timeout is killed, well before it would end */
static void test_run_timeout(void **state)
{
    struct fixture *fx = *state;
    static const char *const hooks[] = { "ApplicationStart" };
    long long t0 = now_ms();
    struct appspec_run *run = start(fx, "timeout.yml", hooks, 1);
    char detail[1024];

    assert_int_equal(run_wait(run, 30, detail, sizeof(detail)), APPSPEC_FAILED);
    assert_true(now_ms() - t0 < 1000LL * (1 + APPSPEC_KILL_GRACE_S + 5));
    assert_non_null(strstr(detail, "hook ApplicationStart script scripts/sleep.sh "
                                   "timed out after 1 s: waiting for ever"));
    appspec_run_free(run);
}

/* test_run_output_cap - a flood of output leaves the log capped and the detail short */
static void test_run_output_cap(void **state)
{
    struct fixture *fx = *state;
    static const char *const hooks[] = { "AfterInstall" };
    struct appspec_run *run = start(fx, "bigout.yml", hooks, 1);
    char detail[4096];
    struct stat st;

    assert_int_equal(run_wait(run, 30, detail, sizeof(detail)), APPSPEC_FAILED);
    assert_non_null(strstr(detail, "exited 4: "));
    assert_non_null(strstr(detail, "the last line"));
    assert_true(strlen(detail) < 1024);
    assert_int_equal(stat(fx->log, &st), 0);
    assert_true(st.st_size <= APPSPEC_LOG_MAX_BYTES);
    assert_true(st.st_size > 0);
    appspec_run_free(run);
}

/* holes_supported - whether the filesystem of dir can punch holes (the cap needs it) */
static int holes_supported(const char *dir)
{
    char path[128];
    int fd, ok;

    snprintf(path, sizeof(path), "%s/holes", dir);
    if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
        return 0;
    ok = write(fd, "0123456789", 10) == 10 &&
         fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 5) == 0;
    close(fd);
    unlink(path);
    return ok;
}

/* test_run_output_cap_running - a script still running keeps its log's disk use under the cap */
static void test_run_output_cap_running(void **state)
{
    struct fixture *fx = *state;
    static const char *const hooks[] = { "AfterInstall" };
    struct timespec pause = { 0, 10 * 1000000L };
    struct appspec_run *run = start(fx, "bigwait.yml", hooks, 1);
    long long deadline = now_ms() + 30000;
    const off_t flood = 3145728 + sizeof("\nflooded\n") - 1;
    enum appspec_status st = APPSPEC_RUNNING;
    struct stat log_st;

    if (!holes_supported(fx->dir)) {
        appspec_run_free(run);
        skip(); /* the log grows until the script ends there, as appspec.h says */
    }
    do { /* until the whole flood is in the log */
        nanosleep(&pause, NULL);
        assert_true(now_ms() < deadline);
        assert_int_equal(appspec_run_poll(run, &st, NULL, 0), 0);
        assert_int_equal(st, APPSPEC_RUNNING);
        assert_int_equal(stat(fx->log, &log_st), 0);
    } while (log_st.st_size < flood);
    assert_int_equal(appspec_run_poll(run, &st, NULL, 0), 0);
    assert_int_equal(stat(fx->log, &log_st), 0);
    assert_true(log_st.st_size >= flood);                         /* nothing cut under it */
    /* but its head freed: on disk at most the cap (and the block a cut falls in) */
    assert_true(log_st.st_blocks * 512 <= APPSPEC_LOG_MAX_BYTES + 8192);
    appspec_run_stop(run);
    assert_int_equal(stat(fx->log, &log_st), 0);
    assert_true(log_st.st_size <= APPSPEC_LOG_MAX_BYTES); /* compacted once it stopped */
    appspec_run_free(run);
}

/* wait_for_pid - the pid a daemon wrote to path, waiting up to deadline_s; -1 if none */
static long wait_for_pid(const char *path, int deadline_s)
{
    struct timespec pause = { 0, 10 * 1000000L };
    long long deadline = now_ms() + deadline_s * 1000LL;
    char buf[32];

    while (now_ms() < deadline) {
        if (slurp(path, buf, sizeof(buf)) > 0 && strchr(buf, '\n') != NULL)
            return strtol(buf, NULL, 10);
        nanosleep(&pause, NULL);
    }
    return -1;
}

/* test_run_daemon - a hook that leaves a daemon behind completes; the daemon survives */
static void test_run_daemon(void **state)
{
    struct fixture *fx = *state;
    static const char *const hooks[] = { "ApplicationStart", "ValidateService" };
    struct appspec_run *run = start(fx, "daemon.yml", hooks, 2);
    char detail[1024], path[256];
    long pid;

    assert_int_equal(run_wait(run, 10, detail, sizeof(detail)), APPSPEC_SUCCEEDED);
    appspec_run_free(run);
    snprintf(path, sizeof(path), "%s/daemon.pid", fx->dir);
    pid = wait_for_pid(path, 10);
    assert_true(pid > 1);
    assert_int_equal(kill((pid_t)pid, 0), 0); /* still alive after the run */
    assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
}

/* test_run_stop - stopping a run kills its script and reports it */
static void test_run_stop(void **state)
{
    struct fixture *fx = *state;
    static const char *const hooks[] = { "ApplicationStart" };
    struct appspec_run *run = start(fx, "timeout.yml", hooks, 1);
    enum appspec_status st;
    char detail[1024];

    assert_int_equal(appspec_run_poll(run, &st, detail, sizeof(detail)), 0);
    assert_int_equal(st, APPSPEC_RUNNING);
    appspec_run_stop(run);
    assert_int_equal(appspec_run_poll(run, &st, detail, sizeof(detail)), 0);
    assert_int_equal(st, APPSPEC_FAILED);
    assert_non_null(strstr(detail, "stopped during hook ApplicationStart"));
    appspec_run_free(run);
}

/* main - the cases */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_max),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_hook_kind),
        cmocka_unit_test_setup_teardown(test_run_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_unknown_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_output_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_output_cap_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_daemon, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_stop, setup, teardown),
    };

    log_init("test_appspec");
    log_set_level(LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
