/*
 * test_checks - the validator's check runner against a loopback HTTP
 *               server and real child processes.
 *
 * DESCRIPTION
 *	The server is a forked child on 127.0.0.1 (a fake standing in for a
 *	release's preview route, so that each answer is known): /ok answers
 *	200 "hello world", /missing 404, /slow after 400 ms, /flaky 503 twice
 *	and then 200, /preview 200 only when the request carries
 *	"X-Cutover-Preview: green" (else 421). Each case runs a list of checks
 *	step by step until done, under a deadline, and reads the results:
 *	status, body substring, latency bound, retries with backoff, the
 *	preview header; command checks pass, fail with their output, time
 *	out (their process group killed), see the check variables and not the
 *	worker's CUTOVER_* secrets; a step never waits for a command; progress
 *	saved by one run is not run again by the next.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "validate/checks.h"

static pid_t server_pid;
static char server_url[64];

/* now_ms - monotonic milliseconds */
static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* nap_ms - a short pause between polls */
static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* server_reply - write one response and close */
static void server_reply(int fd, int status, const char *body)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf),
                     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     status, strlen(body), body);

    (void)!write(fd, buf, (size_t)n);
    close(fd);
}

/* server_handle - answer one request by its path */
static void server_handle(int fd, int *flaky)
{
    char req[8192];
    size_t len = 0;
    ssize_t n;

    while (len < sizeof(req) - 1 && (n = read(fd, req + len, sizeof(req) - 1 - len)) > 0) {
        len += (size_t)n;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[len] = '\0';
    if (strncmp(req, "GET /ok ", 8) == 0)
        server_reply(fd, 200, "hello world");
    else if (strncmp(req, "GET /slow ", 10) == 0) {
        nap_ms(400);
        server_reply(fd, 200, "slow");
    } else if (strncmp(req, "GET /flaky ", 11) == 0)
        server_reply(fd, ++*flaky <= 2 ? 503 : 200, "flaky");
    else if (strncmp(req, "GET /preview ", 13) == 0)
        server_reply(fd, strstr(req, "\r\nX-Cutover-Preview: green\r\n") ? 200 : 421, "preview");
    else
        server_reply(fd, 404, "not here");
}

/* server_start - fork the loopback server; its url in server_url */
static int server_start(void **state)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t addr_len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0), flaky = 0;

    (void)state;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0)
        return -1;
    snprintf(server_url, sizeof(server_url), "http://127.0.0.1:%d/", ntohs(addr.sin_port));
    if ((server_pid = fork()) < 0)
        return -1;
    if (server_pid == 0) {
        signal(SIGPIPE, SIG_IGN); /* a client that gave up on /slow */
        for (;;) {
            int c = accept(fd, NULL, NULL);
            if (c >= 0)
                server_handle(c, &flaky);
        }
    }
    close(fd);
    return 0;
}

/* server_stop - kill the loopback server */
static int server_stop(void **state)
{
    (void)state;
    kill(server_pid, SIGKILL);
    waitpid(server_pid, NULL, 0);
    return 0;
}

/* run_target - run checks against target until done (under a deadline) */
static cJSON *run_target(const char *json, const struct checks_target *t, const cJSON *progress,
                         bool *passed)
{
    cJSON *checks = cJSON_Parse(json);
    char err[256];
    struct checks_run *run;
    int64_t deadline = now_ms() + 30000;
    cJSON *results;

    assert_non_null(checks);
    run = checks_run_create(checks, t, progress, err, sizeof(err));
    assert_non_null(run);
    while (checks_run_step(run) != CHECKS_DONE) {
        assert_true(now_ms() < deadline);
        nap_ms(5);
    }
    *passed = checks_run_passed(run);
    results = checks_run_results(run);
    checks_run_free(run);
    cJSON_Delete(checks);
    return results;
}

/* run_checks - run checks against the loopback server as color green */
static cJSON *run_checks(const char *json, bool *passed)
{
    struct checks_target t = {server_url, "X-Cutover-Preview", "green", "1.2.3", "shop"};

    return run_target(json, &t, NULL, passed);
}

/* result_text - a string member of the i-th result */
static const char *result_text(const cJSON *results, int i, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(results, i), name);

    assert_true(cJSON_IsString(item));
    return item->valuestring;
}

/* result_passed - the i-th result's verdict */
static bool result_passed(const cJSON *results, int i)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(results, i), "passed"));
}

/* result_ms - the i-th result's duration */
static double result_ms(const cJSON *results, int i)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(results, i), "duration_ms")
        ->valuedouble;
}

/* expect_one - one check runs with the verdict and a detail containing text */
static void expect_one(const char *json, bool want, const char *text)
{
    bool passed;
    cJSON *results = run_checks(json, &passed);

    assert_int_equal(cJSON_GetArraySize(results), 1);
    assert_int_equal(passed, want);
    assert_int_equal(result_passed(results, 0), want);
    if (strstr(result_text(results, 0, "detail"), text) == NULL)
        fail_msg("detail \"%s\" lacks \"%s\"", result_text(results, 0, "detail"), text);
    cJSON_Delete(results);
}

static void test_status_matches(void **state)
{
    (void)state;
    expect_one("[{\"name\":\"home\",\"kind\":\"http\",\"path\":\"/ok\",\"expect_status\":200}]",
               true, "status 200");
}

static void test_status_mismatch(void **state)
{
    (void)state;
    expect_one("[{\"name\":\"home\",\"kind\":\"http\",\"path\":\"/missing\",\"expect_status\":200}]",
               false, "status 404, expected 200");
    expect_one("[{\"name\":\"home\",\"kind\":\"http\",\"path\":\"/missing\"}]", false,
               "expected 2xx");
}

static void test_body_substring(void **state)
{
    (void)state;
    expect_one("[{\"name\":\"b\",\"kind\":\"http\",\"path\":\"/ok\",\"expect_body\":\"lo wor\"}]",
               true, "status 200");
    expect_one("[{\"name\":\"b\",\"kind\":\"http\",\"path\":\"/ok\",\"expect_body\":\"goodbye\"}]",
               false, "lacks \"goodbye\"");
}

static void test_latency_bound(void **state)
{
    (void)state;
    expect_one("[{\"name\":\"s\",\"kind\":\"http\",\"path\":\"/slow\",\"max_latency_ms\":100}]",
               false, "no answer within 100 ms");
    expect_one("[{\"name\":\"s\",\"kind\":\"http\",\"path\":\"/slow\",\"max_latency_ms\":5000}]",
               true, "status 200");
}

static void test_retries_then_success(void **state)
{
    bool passed;
    cJSON *results = run_checks(
        "[{\"name\":\"f\",\"kind\":\"http\",\"path\":\"/flaky\",\"retries\":3}]", &passed);

    (void)state;
    assert_true(passed);
    assert_non_null(strstr(result_text(results, 0, "detail"), "attempt 3 of 4"));
    /* two backoffs: CHECKS_BACKOFF_MS, then twice that */
    assert_true(result_ms(results, 0) >= 3 * CHECKS_BACKOFF_MS);
    cJSON_Delete(results);
    expect_one("[{\"name\":\"m\",\"kind\":\"http\",\"path\":\"/missing\",\"retries\":2}]", false,
               "attempt 3 of 3");
}

static void test_preview_header_sent(void **state)
{
    struct checks_target blue = {server_url, "X-Cutover-Preview", "blue", "1", "shop"};
    bool passed;
    cJSON *results;

    (void)state;
    expect_one("[{\"name\":\"p\",\"kind\":\"http\",\"path\":\"/preview\",\"expect_status\":200}]",
               true, "status 200");
    results = run_target("[{\"name\":\"p\",\"kind\":\"http\",\"path\":\"/preview\"}]", &blue,
                         NULL, &passed);
    assert_false(passed);
    assert_non_null(strstr(result_text(results, 0, "detail"), "status 421"));
    cJSON_Delete(results);
}

static void test_no_preview_url(void **state)
{
    struct checks_target none = {"", "X-Cutover-Preview", "green", "1", "shop"};
    bool passed;
    cJSON *results = run_target("[{\"name\":\"p\",\"kind\":\"http\",\"path\":\"/ok\"}]", &none,
                                NULL, &passed);

    (void)state;
    assert_false(passed);
    assert_string_equal(result_text(results, 0, "detail"), "no preview url");
    cJSON_Delete(results);
}

static void test_command_passes_with_variables(void **state)
{
    (void)state;
    setenv("CUTOVER_DATABASE_URL", "postgresql://u:secret@db/cutover", 1);
    expect_one("[{\"name\":\"c\",\"kind\":\"command\",\"command\":"
               "\"test \\\"$CUTOVER_COLOR\\\" = green"
               " && test \\\"$CUTOVER_PREVIEW_HEADER\\\" = 'X-Cutover-Preview: green'"
               " && test \\\"$CUTOVER_PREVIEW_URL\\\" = \\\"${CUTOVER_PREVIEW_URL%/}\\\""
               " && test -n \\\"$CUTOVER_PREVIEW_URL\\\""
               " && test \\\"$CUTOVER_VERSION\\\" = 1.2.3"
               " && test \\\"$CUTOVER_ENVIRONMENT\\\" = shop"
               " && test -z \\\"$CUTOVER_DATABASE_URL\\\" && test -n \\\"$PATH\\\"\"}]",
               true, "exit 0");
    unsetenv("CUTOVER_DATABASE_URL");
}

static void test_command_fails_with_output(void **state)
{
    (void)state;
    expect_one("[{\"name\":\"c\",\"kind\":\"command\",\"command\":"
               "\"echo checkout page broken >&2; exit 3\"}]",
               false, "exit 3: checkout page broken");
}

/* gone - pid no longer runs (or is a zombie waiting for its new parent) */
static bool gone(pid_t pid)
{
    char path[64], line[128];
    FILE *f;
    bool zombie = false;

    if (kill(pid, 0) != 0)
        return true;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return true;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "State:", 6) == 0)
            zombie = strchr(line, 'Z') != NULL;
    fclose(f);
    return zombie;
}

static void test_command_timeout_kills_group(void **state)
{
    char pidfile[] = "/tmp/test_checks_XXXXXX", json[512];
    int64_t t0 = now_ms(), deadline;
    int fd = mkstemp(pidfile);
    FILE *f;
    int pid = 0;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    snprintf(json, sizeof(json),
             "[{\"name\":\"t\",\"kind\":\"command\",\"timeout_seconds\":1,"
             "\"command\":\"sleep 60 & echo $! > %s; echo started; wait\"}]", pidfile);
    expect_one(json, false, "timed out after 1 s: started");
    assert_true(now_ms() - t0 < 10000);
    assert_non_null(f = fopen(pidfile, "r"));
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    unlink(pidfile);
    for (deadline = now_ms() + 5000; !gone(pid) && now_ms() < deadline;)
        nap_ms(20);
    assert_true(gone(pid));
}

static void test_step_does_not_wait_for_command(void **state)
{
    cJSON *checks = cJSON_Parse("[{\"name\":\"c\",\"kind\":\"command\",\"command\":\"sleep 1\"}]");
    struct checks_target t = {server_url, "X-Cutover-Preview", "green", "1", "shop"};
    char err[256];
    struct checks_run *run = checks_run_create(checks, &t, NULL, err, sizeof(err));
    int64_t t0 = now_ms(), deadline = t0 + 20000;
    int steps = 0;

    (void)state;
    assert_non_null(run);
    while (checks_run_step(run) != CHECKS_DONE) {
        assert_true(now_ms() < deadline);
        steps++;
        nap_ms(5);
    }
    assert_true(steps > 10); /* a step returned at once while the command ran */
    assert_true(checks_run_passed(run));
    checks_run_free(run);
    cJSON_Delete(checks);
}

static void test_all_checks_run_in_order(void **state)
{
    bool passed;
    cJSON *results = run_checks(
        "[{\"name\":\"one\",\"kind\":\"http\",\"path\":\"/missing\"},"
        "{\"name\":\"two\",\"kind\":\"command\",\"command\":\"true\"},"
        "{\"name\":\"three\",\"kind\":\"http\",\"path\":\"/ok\"}]", &passed);

    (void)state;
    assert_false(passed);
    assert_int_equal(cJSON_GetArraySize(results), 3);
    assert_string_equal(result_text(results, 0, "name"), "one");
    assert_string_equal(result_text(results, 2, "name"), "three");
    assert_false(result_passed(results, 0));
    assert_true(result_passed(results, 1));
    assert_true(result_passed(results, 2));
    cJSON_Delete(results);
}

static void test_no_checks_pass(void **state)
{
    bool passed;
    cJSON *results = run_checks("[]", &passed);
    struct checks_target t = {"", NULL, "green", "1", "shop"};
    char err[64];
    struct checks_run *run = checks_run_create(NULL, &t, NULL, err, sizeof(err));

    (void)state;
    assert_true(passed);
    assert_int_equal(cJSON_GetArraySize(results), 0);
    cJSON_Delete(results);
    assert_non_null(run);
    assert_int_equal(checks_run_step(run), CHECKS_DONE);
    assert_true(checks_run_passed(run));
    checks_run_free(run);
}

static void test_bad_checks_refused(void **state)
{
    cJSON *not_array = cJSON_Parse("{\"name\":\"x\"}");
    cJSON *unnamed = cJSON_Parse("[{\"kind\":\"http\",\"path\":\"/\"}]");
    struct checks_target t = {"", NULL, "green", "1", "shop"};
    char err[128];

    (void)state;
    assert_null(checks_run_create(not_array, &t, NULL, err, sizeof(err)));
    assert_null(checks_run_create(unnamed, &t, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "name"));
    cJSON_Delete(not_array);
    cJSON_Delete(unnamed);
}

static void test_progress_resumes(void **state)
{
    char marker[] = "/tmp/test_checks_XXXXXX", json[512];
    struct checks_target t = {server_url, "X-Cutover-Preview", "green", "1", "shop"};
    cJSON *progress = cJSON_Parse("{\"done\":1,\"checks\":[{\"name\":\"first\",\"passed\":false,"
                                  "\"detail\":\"exit 1\",\"duration_ms\":3}]}");
    int fd = mkstemp(marker);
    bool passed;
    cJSON *results;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    unlink(marker);
    snprintf(json, sizeof(json),
             "[{\"name\":\"first\",\"kind\":\"command\",\"command\":\"touch %s\"},"
             "{\"name\":\"second\",\"kind\":\"command\",\"command\":\"true\"}]", marker);
    results = run_target(json, &t, progress, &passed);
    assert_int_equal(access(marker, F_OK), -1); /* the finished check did not run again */
    assert_int_equal(cJSON_GetArraySize(results), 2);
    assert_false(passed); /* its recorded failure stands */
    assert_true(result_passed(results, 1));
    cJSON_Delete(results);
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(progress, "checks"), 0,
                             cJSON_Parse("{\"name\":\"renamed\",\"passed\":true,"
                                         "\"detail\":\"\",\"duration_ms\":1}"));
    results = run_target(json, &t, progress, &passed);
    assert_int_equal(access(marker, F_OK), 0); /* another name: run again */
    assert_true(passed);
    unlink(marker);
    cJSON_Delete(results);
    cJSON_Delete(progress);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_matches),
        cmocka_unit_test(test_status_mismatch),
        cmocka_unit_test(test_body_substring),
        cmocka_unit_test(test_latency_bound),
        cmocka_unit_test(test_retries_then_success),
        cmocka_unit_test(test_preview_header_sent),
        cmocka_unit_test(test_no_preview_url),
        cmocka_unit_test(test_command_passes_with_variables),
        cmocka_unit_test(test_command_fails_with_output),
        cmocka_unit_test(test_command_timeout_kills_group),
        cmocka_unit_test(test_step_does_not_wait_for_command),
        cmocka_unit_test(test_all_checks_run_in_order),
        cmocka_unit_test(test_no_checks_pass),
        cmocka_unit_test(test_bad_checks_refused),
        cmocka_unit_test(test_progress_resumes),
    };

    return cmocka_run_group_tests(tests, server_start, server_stop);
}
