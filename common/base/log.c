/*
 * log - JSON lines on stderr (see log.h).
 */
#include "base/log.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char log_worker[64] = "cutover";
static enum log_level log_min_level = LOG_INFO;
static char *log_ctx_environment;
static char *log_ctx_deployment;
static char *log_ctx_event;
static unsigned long log_errors;
/* librdkafka logs from its own threads: one line at a time */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const log_level_names[] = {
    "debug", "info", "warn", "error", "fatal", "panic",
};

/* log_init - name the process in every line */
void log_init(const char *worker)
{
    snprintf(log_worker, sizeof(log_worker), "%s", worker);
}

/* log_worker_name - the name log_init gave the process ("cutover" before) */
const char *log_worker_name(void)
{
    return log_worker;
}

/* log_set_level - drop lines below min_level */
void log_set_level(enum log_level min_level)
{
    log_min_level = min_level;
}

/* log_level_parse - "debug", "info", ... to a level; -1 when unknown */
int log_level_parse(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
        if (strcmp(name, log_level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

/* log_replace - swap one context string for a copy of another */
static void log_replace(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? strdup(value) : NULL;
}

/* log_context_set - remember what the following lines are about */
void log_context_set(const char *environment, const char *deployment_id, const char *event_id)
{
    pthread_mutex_lock(&log_lock);
    log_replace(&log_ctx_environment, environment);
    log_replace(&log_ctx_deployment, deployment_id);
    log_replace(&log_ctx_event, event_id);
    pthread_mutex_unlock(&log_lock);
}

/* log_context_clear - forget the context */
void log_context_clear(void)
{
    log_context_set(NULL, NULL, NULL);
}

/* log_timestamp - RFC 3339 UTC with milliseconds */
static void log_timestamp(char *buf, size_t len)
{
    struct timespec now;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", now.tv_nsec / 1000000);
}

/* log_add_optional - add a context field when it is known */
static void log_add_optional(cJSON *line, const char *name, const char *value)
{
    if (value)
        cJSON_AddStringToObject(line, name, value);
}

/* log_line - build one line and write it in one call (lock held) */
static void log_line(enum log_level level, const char *msg)
{
    char ts[40];

    log_timestamp(ts, sizeof(ts));
    cJSON *line = cJSON_CreateObject();
    cJSON_AddStringToObject(line, "ts", ts);
    cJSON_AddStringToObject(line, "level", log_level_names[level]);
    cJSON_AddStringToObject(line, "worker", log_worker);
    cJSON_AddStringToObject(line, "msg", msg);
    log_add_optional(line, "environment", log_ctx_environment);
    log_add_optional(line, "deployment_id", log_ctx_deployment);
    log_add_optional(line, "event_id", log_ctx_event);
    char *text = cJSON_PrintUnformatted(line);
    if (text) {
        fprintf(stderr, "%s\n", text);
        cJSON_free(text);
    }
    cJSON_Delete(line);
}

/* log_vmsg - format and write one line */
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
    char msg[2048];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    pthread_mutex_lock(&log_lock);
    if (level >= LOG_ERROR)
        log_errors++;
    if (level >= log_min_level)
        log_line(level, msg);
    pthread_mutex_unlock(&log_lock);
}

/* log_msg - log one line at a level */
void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

/* log_fatal - log and exit non-zero: the supervisor restarts us */
void log_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(LOG_FATAL, fmt, ap);
    va_end(ap);
    exit(1);
}

/* log_panic - log a broken invariant and abort */
void log_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(LOG_PANIC, fmt, ap);
    va_end(ap);
    abort();
}

/* log_error_count - error lines so far */
unsigned long log_error_count(void)
{
    return log_errors;
}
