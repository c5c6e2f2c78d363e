/*
 * checks - the validator's check runner: an environment's http and command
 *          checks against a new color's preview route, a step at a time.
 *
 * DESCRIPTION
 *	See checks.h for the contract. One check runs at a time (run->cur):
 *	an http attempt is one bounded request inside a step; a command
 *	attempt is a child process that later steps poll with
 *	waitpid(WNOHANG), draining its output pipe into a capped tail. A
 *	failed attempt sets the time of the next one (exponential backoff),
 *	and steps before that time return at once.
 */
#include "base/child.h"
#include "base/clock.h"
#include "validate/checks.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECKS_DETAIL_MAX 640
#define CHECKS_OUTPUT_TAIL 300 /* bytes of a command's output kept for its detail */
#define CHECKS_DRAIN_READS 16  /* reads of a command's pipe per step, at most */

extern char **environ;

enum checks_attempt { ATTEMPT_PASSED, ATTEMPT_FAILED, ATTEMPT_PENDING };

/* The check running now. */
struct checks_current {
    int attempt;         /* attempts started */
    int64_t started_ms;  /* when the first attempt started */
    int64_t next_ms;     /* the next attempt not before */
    pid_t pid;           /* a command running, or 0 */
    int out_fd;          /* its output pipe, or -1 */
    int64_t deadline_ms; /* the command is killed after */
    long timeout_s;      /* its timeout */
    char output[CHECKS_OUTPUT_TAIL + 1];
    size_t output_len;
};

struct checks_run {
    cJSON *checks; /* owned copy of the environment's array */
    int count;
    int next; /* the check running now; count when done */
    cJSON *results;
    bool passed;
    char url[2048];
    char header[128];
    char color[16];
    char version[160];
    char environment[64];
    struct checks_current cur;
};

/* An http body, kept up to CHECKS_BODY_MAX bytes. */
struct checks_body {
    char *data;
    size_t len;
};

/* checks_int - an integer member of a check, or fallback */
static long checks_int(const cJSON *check, const char *name, long fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(check, name);

    return cJSON_IsNumber(item) ? (long)item->valuedouble : fallback;
}

/* checks_str - a string member of a check, or NULL */
static const char *checks_str(const cJSON *check, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(check, name);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* checks_fail - format a failed attempt's detail; returns ATTEMPT_FAILED */
__attribute__((format(printf, 3, 4))) static enum checks_attempt
checks_fail(char *detail, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, len, fmt, ap);
    va_end(ap);
    return ATTEMPT_FAILED;
}

/* checks_clean - make text one printable ASCII line (details go into events) */
static void checks_clean(char *text)
{
    size_t len;

    for (char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = (unsigned char)*p < 0x20 ? ' ' : '?';
    len = strlen(text);
    while (len > 0 && text[len - 1] == ' ')
        text[--len] = '\0';
}

/* ---- http ---------------------------------------------------------------- */

/* checks_body_cb - keep the head of a body, accept (and drop) the rest */
static size_t checks_body_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct checks_body *b = arg;
    size_t n = size * nmemb;
    size_t room = CHECKS_BODY_MAX - b->len;
    size_t keep = n < room ? n : room;

    memcpy(b->data + b->len, ptr, keep);
    b->len += keep;
    return n;
}

/* checks_http_get - one GET with the preview header; curl's result */
static CURLcode checks_http_get(const struct checks_run *run, const char *url, long timeout_ms,
                                struct checks_body *body, long *status, int64_t *elapsed_ms)
{
    char header[sizeof(run->header) + sizeof(run->color) + 4];
    struct curl_slist *headers = NULL;
    CURL *curl = curl_easy_init();
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    int64_t t0 = clock_mono_ms();

    snprintf(header, sizeof(header), "%s: %s", run->header, run->color);
    if (curl == NULL || (headers = curl_slist_append(NULL, header)) == NULL)
        goto out;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, checks_body_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "cutover-validator");
    rc = curl_easy_perform(curl);
    *elapsed_ms = clock_mono_ms() - t0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc;
}

/* checks_http_judge - the attempt's verdict on what came back */
static enum checks_attempt checks_http_judge(const cJSON *check, CURLcode rc, long status,
                                             const struct checks_body *body, int64_t ms,
                                             char *detail, size_t len)
{
    long want = checks_int(check, "expect_status", 0);
    long bound = checks_int(check, "max_latency_ms", 0);
    const char *expect = checks_str(check, "expect_body");

    if (rc == CURLE_OPERATION_TIMEDOUT && bound > 0)
        return checks_fail(detail, len, "no answer within %ld ms", bound);
    if (rc != CURLE_OK)
        return checks_fail(detail, len, "request failed: %s", curl_easy_strerror(rc));
    if (want > 0 ? status != want : status < 200 || status > 299)
        return want > 0 ? checks_fail(detail, len, "status %ld, expected %ld", status, want)
                        : checks_fail(detail, len, "status %ld, expected 2xx", status);
    if (expect != NULL && memmem(body->data, body->len, expect, strlen(expect)) == NULL)
        return checks_fail(detail, len, "status %ld but the body lacks \"%.100s\"", status,
                           expect);
    if (bound > 0 && ms > bound)
        return checks_fail(detail, len, "took %lld ms, more than %ld ms", (long long)ms, bound);
    snprintf(detail, len, "status %ld in %lld ms", status, (long long)ms);
    return ATTEMPT_PASSED;
}

/* checks_http_attempt - one request to the preview url + path */
static enum checks_attempt checks_http_attempt(const struct checks_run *run, const cJSON *check,
                                               char *detail, size_t len)
{
    const char *path = checks_str(check, "path");
    long bound = checks_int(check, "max_latency_ms", 0);
    long timeout_ms = bound > 0 ? bound : checks_int(check, "timeout_seconds", 0) * 1000;
    struct checks_body body = {NULL, 0};
    char url[sizeof(run->url) + 1100];
    long status = 0;
    int64_t ms = 0;
    enum checks_attempt r;
    CURLcode rc;

    if (run->url[0] == '\0')
        return checks_fail(detail, len, "no preview url");
    if (path == NULL || (size_t)snprintf(url, sizeof(url), "%s%s", run->url, path) >= sizeof(url))
        return checks_fail(detail, len, "http check without a usable path");
    if ((body.data = malloc(CHECKS_BODY_MAX)) == NULL)
        return checks_fail(detail, len, "out of memory");
    rc = checks_http_get(run, url, timeout_ms > 0 ? timeout_ms : CHECKS_HTTP_TIMEOUT_MS, &body,
                         &status, &ms);
    r = checks_http_judge(check, rc, status, &body, ms, detail, len);
    free(body.data);
    return r;
}

/* ---- command ------------------------------------------------------------- */

/* checks_env_add - append "name=value" to env at *n; 0 or -1 */
static int checks_env_add(char **env, size_t *n, const char *name, const char *value)
{
    if (asprintf(&env[*n], "%s=%s", name, value) < 0) {
        env[*n] = NULL;
        return -1;
    }
    (*n)++;
    return 0;
}

/* checks_env_free - free a NULL-terminated environment */
static void checks_env_free(char **env)
{
    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        free(env[i]);
    free(env);
}

/* checks_env_build - the worker's environment without CUTOVER_*, plus the check's variables */
static char **checks_env_build(const struct checks_run *run)
{
    char header[sizeof(run->header) + sizeof(run->color) + 4];
    size_t count = 0, n = 0;
    char **env;

    for (char **e = environ; *e != NULL; e++)
        count++;
    if ((env = calloc(count + 6, sizeof(*env))) == NULL)
        return NULL;
    for (char **e = environ; *e != NULL; e++)
        if (strncmp(*e, "CUTOVER_", 8) != 0 && (env[n++] = strdup(*e)) == NULL)
            goto fail;
    snprintf(header, sizeof(header), "%s: %s", run->header, run->color);
    if (checks_env_add(env, &n, "CUTOVER_PREVIEW_URL", run->url) != 0 ||
        checks_env_add(env, &n, "CUTOVER_PREVIEW_HEADER", header) != 0 ||
        checks_env_add(env, &n, "CUTOVER_COLOR", run->color) != 0 ||
        checks_env_add(env, &n, "CUTOVER_VERSION", run->version) != 0 ||
        checks_env_add(env, &n, "CUTOVER_ENVIRONMENT", run->environment) != 0)
        goto fail;
    return env;
fail:
    checks_env_free(env);
    return NULL;
}

/* checks_child_exec - in the child: own group, dies with its parent, then
 * /bin/sh -c command; only async-signal-safe calls (the worker has threads) */
static void checks_child_exec(const char *command, char **env, int out_fd, pid_t parent)
{
    char *argv[] = {"sh", "-c", (char *)command, NULL};

    if (child_setup(out_fd) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0
        || getppid() != parent)
        _exit(126);
    close_range(3, ~0U, 0);
    execve("/bin/sh", argv, env);
    _exit(127);
}

/* checks_command_start - fork the check's command; pending, or failed */
static enum checks_attempt checks_command_start(struct checks_run *run, const cJSON *check,
                                                char *detail, size_t len)
{
    const char *command = checks_str(check, "command");
    long timeout_s = checks_int(check, "timeout_seconds", CHECKS_COMMAND_TIMEOUT_S);
    enum checks_attempt r = ATTEMPT_FAILED;
    int fds[2] = {-1, -1};
    char **env = NULL;
    pid_t parent = getpid();
    pid_t pid;

    if (command == NULL)
        return checks_fail(detail, len, "command check without a command");
    if ((env = checks_env_build(run)) == NULL || pipe2(fds, O_CLOEXEC) != 0 ||
        (pid = fork()) < 0) {
        checks_fail(detail, len, "cannot start the command: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        checks_child_exec(command, env, fds[1], parent);
    setpgid(pid, pid); /* also here, so that a kill cannot race the child's own */
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    run->cur.pid = pid;
    run->cur.out_fd = fds[0];
    fds[0] = -1;
    run->cur.deadline_ms = clock_mono_ms() + timeout_s * 1000;
    run->cur.timeout_s = timeout_s;
    r = ATTEMPT_PENDING;
out:
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    checks_env_free(env);
    return r;
}

/* checks_output_keep - append to the output tail, keeping its last bytes */
static void checks_output_keep(struct checks_current *cur, const char *buf, size_t n)
{
    size_t keep;

    if (n >= CHECKS_OUTPUT_TAIL) {
        memcpy(cur->output, buf + n - CHECKS_OUTPUT_TAIL, CHECKS_OUTPUT_TAIL);
        cur->output_len = CHECKS_OUTPUT_TAIL;
        return;
    }
    keep = cur->output_len + n > CHECKS_OUTPUT_TAIL ? CHECKS_OUTPUT_TAIL - n : cur->output_len;
    memmove(cur->output, cur->output + cur->output_len - keep, keep);
    memcpy(cur->output + keep, buf, n);
    cur->output_len = keep + n;
}

/* checks_output_drain - read what the command wrote, without blocking */
static void checks_output_drain(struct checks_current *cur)
{
    char buf[4096];
    ssize_t n;

    for (int i = 0; i < CHECKS_DRAIN_READS && cur->out_fd >= 0; i++) {
        if ((n = read(cur->out_fd, buf, sizeof(buf))) <= 0)
            return;
        checks_output_keep(cur, buf, (size_t)n);
    }
}

/* checks_command_end - kill what is left of the command's group and reap
 * it; 0, or -1 when it could not be reaped */
static int checks_command_end(struct checks_current *cur, int *wstatus)
{
    pid_t got;

    kill(-cur->pid, SIGKILL);
    while ((got = waitpid(cur->pid, wstatus, 0)) < 0 && errno == EINTR)
        ;
    checks_output_drain(cur);
    if (cur->out_fd >= 0)
        close(cur->out_fd);
    cur->out_fd = -1;
    cur->pid = 0;
    cur->output[cur->output_len] = '\0';
    return got > 0 ? 0 : -1;
}

/* checks_command_poll - has the command ended (seen without reaping it,
 * so that its group is killed while its id is still taken), or run out of time */
static enum checks_attempt checks_command_poll(struct checks_run *run, char *detail, size_t len)
{
    struct checks_current *cur = &run->cur;
    siginfo_t info;
    int wstatus = 0;
    int rc;

    checks_output_drain(cur);
    memset(&info, 0, sizeof(info));
    rc = waitid(P_PID, (id_t)cur->pid, &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc == 0 && info.si_pid == 0 && clock_mono_ms() < cur->deadline_ms)
        return ATTEMPT_PENDING;
    if (checks_command_end(cur, &wstatus) != 0 || rc != 0)
        return checks_fail(detail, len, "lost track of the command: %s", strerror(errno));
    if (info.si_pid == 0)
        return checks_fail(detail, len, "timed out after %ld s: %s", cur->timeout_s,
                           cur->output);
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
        snprintf(detail, len, "exit 0");
        return ATTEMPT_PASSED;
    }
    if (WIFSIGNALED(wstatus))
        return checks_fail(detail, len, "killed by signal %d: %s", WTERMSIG(wstatus),
                           cur->output);
    return checks_fail(detail, len, "exit %d: %s", WEXITSTATUS(wstatus), cur->output);
}

/* ---- the run ------------------------------------------------------------- */

/* checks_current_reset - no check in progress */
static void checks_current_reset(struct checks_current *cur)
{
    memset(cur, 0, sizeof(*cur));
    cur->out_fd = -1;
}

/* checks_attempt_start - start one attempt of check by its kind */
static enum checks_attempt checks_attempt_start(struct checks_run *run, const cJSON *check,
                                                char *detail, size_t len)
{
    const char *kind = checks_str(check, "kind");

    run->cur.attempt++;
    if (run->cur.started_ms == 0)
        run->cur.started_ms = clock_mono_ms();
    if (kind != NULL && strcmp(kind, "http") == 0)
        return checks_http_attempt(run, check, detail, len);
    if (kind != NULL && strcmp(kind, "command") == 0)
        return checks_command_start(run, check, detail, len);
    return checks_fail(detail, len, "unknown check kind \"%.32s\"", kind ? kind : "");
}

/* checks_result_add - record the finished check */
static void checks_result_add(struct checks_run *run, const cJSON *check, bool passed,
                              const char *detail)
{
    cJSON *result = cJSON_CreateObject();
    char text[CHECKS_DETAIL_MAX + 64];
    int tries = run->cur.attempt;

    if (tries > 1)
        snprintf(text, sizeof(text), "%s (attempt %d of %ld)", detail, tries,
                 checks_int(check, "retries", 0) + 1);
    else
        snprintf(text, sizeof(text), "%s", detail);
    checks_clean(text);
    cJSON_AddStringToObject(result, "name", checks_str(check, "name"));
    cJSON_AddBoolToObject(result, "passed", passed);
    cJSON_AddStringToObject(result, "detail", text);
    cJSON_AddNumberToObject(result, "duration_ms",
                            (double)(clock_mono_ms() - run->cur.started_ms));
    cJSON_AddItemToArray(run->results, result);
    run->passed = run->passed && passed;
}

/* checks_settle - after an attempt: retry later, or record the check */
static enum checks_status checks_settle(struct checks_run *run, const cJSON *check, bool passed,
                                        const char *detail)
{
    int attempt = run->cur.attempt;

    if (!passed && attempt <= checks_int(check, "retries", 0)) {
        long backoff = CHECKS_BACKOFF_MS << (attempt < 6 ? attempt - 1 : 5);
        run->cur.next_ms = clock_mono_ms() + (backoff < CHECKS_BACKOFF_MAX_MS ? backoff
                                                                              : CHECKS_BACKOFF_MAX_MS);
        return CHECKS_WAITING;
    }
    checks_result_add(run, check, passed, detail);
    run->next++;
    checks_current_reset(&run->cur);
    return run->next >= run->count ? CHECKS_DONE : CHECKS_ADVANCED;
}

/* checks_run_step - advance the run without blocking for long */
enum checks_status checks_run_step(struct checks_run *run)
{
    char detail[CHECKS_DETAIL_MAX] = "";
    const cJSON *check;
    enum checks_attempt r;

    if (run->next >= run->count)
        return CHECKS_DONE;
    check = cJSON_GetArrayItem(run->checks, run->next);
    if (run->cur.pid > 0)
        r = checks_command_poll(run, detail, sizeof(detail));
    else if (clock_mono_ms() < run->cur.next_ms)
        return CHECKS_WAITING;
    else
        r = checks_attempt_start(run, check, detail, sizeof(detail));
    if (r == ATTEMPT_PENDING)
        return CHECKS_WAITING;
    return checks_settle(run, check, r == ATTEMPT_PASSED, detail);
}

/* checks_array_check - checks is NULL or an array of named objects; 0 or -1 */
static int checks_array_check(const cJSON *checks, char *err, size_t err_len)
{
    const cJSON *check;

    if (checks == NULL)
        return 0;
    if (!cJSON_IsArray(checks) || cJSON_GetArraySize(checks) > CHECKS_MAX) {
        snprintf(err, err_len, "checks must be an array of at most %d checks", CHECKS_MAX);
        return -1;
    }
    cJSON_ArrayForEach(check, checks) {
        if (!cJSON_IsObject(check) || checks_str(check, "name") == NULL) {
            snprintf(err, err_len, "every check must be an object with a name");
            return -1;
        }
    }
    return 0;
}

/* checks_resume - adopt the finished checks of progress that still match */
static void checks_resume(struct checks_run *run, const cJSON *progress)
{
    const cJSON *done = cJSON_GetObjectItemCaseSensitive(progress, "checks");
    const cJSON *item;

    cJSON_ArrayForEach(item, done) {
        const cJSON *spec = cJSON_GetArrayItem(run->checks, run->next);
        const cJSON *passed = cJSON_GetObjectItemCaseSensitive(item, "passed");
        const char *name = checks_str(item, "name");

        if (spec == NULL || name == NULL || !cJSON_IsBool(passed) ||
            strcmp(name, checks_str(spec, "name")) != 0)
            return;
        cJSON_AddItemToArray(run->results, cJSON_Duplicate(item, 1));
        run->passed = run->passed && cJSON_IsTrue(passed);
        run->next++;
    }
}

/* checks_target_copy - copy where the checks go; the url without a trailing '/' */
static void checks_target_copy(struct checks_run *run, const struct checks_target *t)
{
    size_t len;

    snprintf(run->url, sizeof(run->url), "%s", t->url ? t->url : "");
    len = strlen(run->url);
    while (len > 0 && run->url[len - 1] == '/')
        run->url[--len] = '\0';
    snprintf(run->header, sizeof(run->header), "%s", t->header ? t->header : "X-Cutover-Preview");
    snprintf(run->color, sizeof(run->color), "%s", t->color ? t->color : "");
    snprintf(run->version, sizeof(run->version), "%s", t->version ? t->version : "");
    snprintf(run->environment, sizeof(run->environment), "%s",
             t->environment ? t->environment : "");
}

/* checks_run_create - a run of checks against t, resuming after progress */
struct checks_run *checks_run_create(const cJSON *checks, const struct checks_target *t,
                                     const cJSON *progress, char *err, size_t err_len)
{
    struct checks_run *run;

    if (checks_array_check(checks, err, err_len) != 0)
        return NULL;
    if ((run = calloc(1, sizeof(*run))) == NULL)
        goto oom;
    checks_current_reset(&run->cur);
    run->checks = checks ? cJSON_Duplicate(checks, 1) : cJSON_CreateArray();
    run->results = cJSON_CreateArray();
    if (run->checks == NULL || run->results == NULL)
        goto oom;
    run->count = cJSON_GetArraySize(run->checks);
    run->passed = true;
    checks_target_copy(run, t);
    checks_resume(run, progress);
    return run;
oom:
    snprintf(err, err_len, "out of memory");
    checks_run_free(run);
    return NULL;
}

/* checks_run_passed - every finished check passed */
bool checks_run_passed(const struct checks_run *run)
{
    return run->passed;
}

/* checks_run_results - a copy of the finished checks' results */
cJSON *checks_run_results(const struct checks_run *run)
{
    return cJSON_Duplicate(run->results, 1);
}

/* checks_run_progress - {"done": N, "checks": [...]} */
cJSON *checks_run_progress(const struct checks_run *run)
{
    cJSON *progress = cJSON_CreateObject();

    cJSON_AddNumberToObject(progress, "done", run->next);
    cJSON_AddItemToObject(progress, "checks", checks_run_results(run));
    return progress;
}

/* checks_run_free - stop a command still running and free the run */
void checks_run_free(struct checks_run *run)
{
    int wstatus;

    if (run == NULL)
        return;
    if (run->cur.pid > 0)
        checks_command_end(&run->cur, &wstatus);
    cJSON_Delete(run->checks);
    cJSON_Delete(run->results);
    free(run);
}
