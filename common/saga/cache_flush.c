/*
 * cache_flush - the flush-caches effect, one cache action at a time (see
 *               cache_flush.h).
 *
 * DESCRIPTION
 *	A run (the action in progress of one effect) lives in this process,
 *	at most CACHE_FLUSH_RUNS at once. An action's step answers
 *	CACHE_RUNNING (call again on the next tick), CACHE_OK or
 *	CACHE_FAILED with a message and, for commands on instances, each
 *	instance's part.
 */
#include "saga/cache_flush.h"

#include "base/clock.h"
#include "base/log.h"
#include "io/redis_flush.h"
#include "saga/cache_action.h"
#include "saga/stage.h"
#include "validate/checks.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CACHE_FLUSH_RUNS 16
#define CACHE_REDIS_CALL_MS 5000 /* connecting and each reply of one Redis step */
#define CACHE_GRACE_MS 10000     /* past an action's own timeout, before it is cut */

enum cache_status { CACHE_RUNNING, CACHE_OK, CACHE_FAILED };

/* The action in progress of one flush-caches effect. */
struct cache_flush_run {
    int64_t effect_id; /* 0: the slot is free */
    int action;        /* index in the document's caches */
    int started;       /* the action's first call was made */
    int errors;        /* consecutive failed calls */
    int64_t started_ms, stepped_ms;
    struct redis_flush_progress redis;
    struct checks_run *host;
    char handle[256];
    char message[512];
    cJSON *instances; /* [{id, state, detail}]; owned */
};

/* What an action's step needs. */
struct cache_job {
    struct saga_ctx *ctx;
    struct effect *e;
    const struct cache_action *a;
    enum color new_color;
    struct cache_flush_run *run;
};

static struct cache_flush_run cache_flush_runs[CACHE_FLUSH_RUNS];

/* cache_run_reset - back to an action's start */
static void cache_run_reset(struct cache_flush_run *run)
{
    checks_run_free(run->host);
    cJSON_Delete(run->instances);
    run->host = NULL;
    run->instances = NULL;
    run->started = 0;
    run->started_ms = 0;
    run->errors = 0;
    run->handle[0] = '\0';
    run->message[0] = '\0';
    memset(&run->redis, 0, sizeof(run->redis));
}

/* cache_run_free - stop what runs and free the slot */
static void cache_run_free(struct cache_flush_run *run)
{
    cache_run_reset(run);
    run->effect_id = 0;
}

/* cache_outcomes - the outcomes array of e's result, made when missing */
static cJSON *cache_outcomes(struct effect *e)
{
    cJSON *outcomes;

    if (!cJSON_IsObject(e->result)) {
        cJSON_Delete(e->result);
        e->result = cJSON_CreateObject();
    }
    outcomes = cJSON_GetObjectItemCaseSensitive(e->result, "outcomes");
    if (!cJSON_IsArray(outcomes)) {
        cJSON_DeleteItemFromObjectCaseSensitive(e->result, "outcomes");
        outcomes = cJSON_AddArrayToObject(e->result, "outcomes");
    }
    return outcomes;
}

/* cache_run_of - e's run, or a new one resuming after its recorded outcomes */
static struct cache_flush_run *cache_run_of(struct effect *e)
{
    struct cache_flush_run *free_slot = NULL;

    for (int i = 0; i < CACHE_FLUSH_RUNS; i++) {
        if (cache_flush_runs[i].effect_id == e->id)
            return &cache_flush_runs[i];
        if (cache_flush_runs[i].effect_id == 0 && free_slot == NULL)
            free_slot = &cache_flush_runs[i];
    }
    if (free_slot == NULL) {
        log_warn("effect %lld: %d cache flushes already: waiting", (long long)e->id,
                 CACHE_FLUSH_RUNS);
        return NULL;
    }
    cache_run_reset(free_slot);
    free_slot->effect_id = e->id;
    free_slot->stepped_ms = clock_mono_ms();
    free_slot->action = cJSON_GetArraySize(cache_outcomes(e));
    return free_slot;
}

/* cache_fail - the action failed with a message; always CACHE_FAILED */
static enum cache_status __attribute__((format(printf, 2, 3)))
cache_fail(struct cache_flush_run *run, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(run->message, sizeof(run->message), fmt, ap);
    va_end(ap);
    return CACHE_FAILED;
}

/* cache_call_failed - a call failed: CACHE_FAILED after STAGE_ERROR_LIMIT in a row */
static enum cache_status cache_call_failed(struct cache_flush_run *run, const char *why)
{
    log_warn("cache flush: %s (failure %d of %d)", why, run->errors + 1, STAGE_ERROR_LIMIT);
    if (++run->errors < STAGE_ERROR_LIMIT)
        return CACHE_RUNNING;
    return cache_fail(run, "%s", why);
}

/* cache_redis_step - SCAN + UNLINK a batch of the prefix */
static enum cache_status cache_redis_step(struct cache_job *j)
{
    const struct cache_action *a = j->a;
    struct redis_target t = {a->host, a->port, a->db, a->prefix};
    char err[256];
    int rc = redis_flush_step(&t, &j->run->redis, CACHE_REDIS_CALL_MS, err, sizeof(err));

    if (rc < 0)
        return cache_call_failed(j->run, err);
    j->run->errors = 0;
    if (rc == 0)
        return CACHE_RUNNING;
    snprintf(j->run->message, sizeof(j->run->message), "unlinked %lld keys under %s",
             j->run->redis.unlinked, a->prefix);
    return CACHE_OK;
}

/* cache_host_create - the command as the check runner's one command check */
static struct checks_run *cache_host_create(const struct cache_job *j, char *err, size_t len)
{
    cJSON *checks = cJSON_CreateArray(), *check = cJSON_CreateObject();
    struct checks_target t = {"", "", color_name(j->new_color), "", j->e->environment};
    struct checks_run *run;

    cJSON_AddStringToObject(check, "name", j->a->name);
    cJSON_AddStringToObject(check, "kind", "command");
    cJSON_AddStringToObject(check, "command", j->a->command);
    cJSON_AddNumberToObject(check, "timeout_seconds", j->a->timeout_s);
    cJSON_AddItemToArray(checks, check);
    run = checks_run_create(checks, &t, NULL, err, len);
    cJSON_Delete(checks);
    return run;
}

/* cache_host_step - the command on the host, polled */
static enum cache_status cache_host_step(struct cache_job *j)
{
    struct cache_flush_run *run = j->run;
    const cJSON *detail;
    cJSON *results;
    char err[256];
    bool passed;

    if (run->host == NULL && (run->host = cache_host_create(j, err, sizeof(err))) == NULL)
        return cache_fail(run, "%s", err);
    if (checks_run_step(run->host) != CHECKS_DONE)
        return CACHE_RUNNING;
    passed = checks_run_passed(run->host);
    results = checks_run_results(run->host);
    detail = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(results, 0), "detail");
    snprintf(run->message, sizeof(run->message), "%s",
             cJSON_IsString(detail) ? detail->valuestring : "");
    cJSON_Delete(results);
    return passed ? CACHE_OK : CACHE_FAILED;
}

/* cache_reference - names one action of one deployment's epoch at the provider */
static void cache_reference(const struct cache_job *j, char *out, size_t len)
{
    snprintf(out, len, "cutover-%s-%lld-%s", j->e->deployment_id, (long long)j->e->epoch,
             j->a->name);
}

/* cache_instances_report - each instance's part as JSON; CACHE_OK when all succeeded */
static enum cache_status cache_instances_report(struct cache_flush_run *run,
                                                const struct provider_command_report *rep)
{
    static const char *const states[] = {"running", "succeeded", "failed"};
    size_t failed = 0;

    cJSON_Delete(run->instances);
    run->instances = cJSON_CreateArray();
    for (size_t k = 0; k < rep->count && k < PROVIDER_COMMAND_INSTANCES; k++) {
        cJSON *inst = cJSON_CreateObject();

        cJSON_AddStringToObject(inst, "id", rep->instances[k].id);
        cJSON_AddStringToObject(inst, "state", states[rep->instances[k].state]);
        cJSON_AddStringToObject(inst, "detail", rep->instances[k].detail);
        cJSON_AddItemToArray(run->instances, inst);
        failed += rep->instances[k].state == COMMAND_FAILED;
    }
    snprintf(run->message, sizeof(run->message), "%zu of %zu instances succeeded",
             rep->count - failed, rep->count);
    return failed == 0 ? CACHE_OK : CACHE_FAILED;
}

/* cache_call_ok - after a provider call that answered rc: 1 when it
 * succeeded, else 0 with the failure counted (*st says what follows) */
static int cache_call_ok(struct cache_flush_run *run, int rc, const char *err,
                         enum cache_status *st)
{
    if (rc != 0) {
        *st = cache_call_failed(run, err);
        return 0;
    }
    run->errors = 0;
    return 1;
}

/* cache_instances_step - the command on each instance of the new color */
static enum cache_status cache_instances_step(struct cache_job *j,
                                              const struct provider_ops *ops, void *p)
{
    struct provider_command_report rep;
    enum cache_status st = CACHE_RUNNING;
    char reference[256], err[512] = "";
    int done = 0;

    if (ops->command_start == NULL)
        return cache_fail(j->run, "the %s provider cannot run commands on instances", ops->name);
    cache_reference(j, reference, sizeof(reference));
    if (!j->run->started &&
        !cache_call_ok(j->run,
                       ops->command_start(p, j->new_color, j->a->command, j->a->timeout_s,
                                          reference, j->run->handle, sizeof(j->run->handle),
                                          err, sizeof(err)),
                       err, &st))
        return st;
    j->run->started = 1;
    memset(&rep, 0, sizeof(rep));
    if (!cache_call_ok(j->run, ops->command_poll(p, j->run->handle, &rep, &done, err, sizeof(err)),
                       err, &st))
        return st;
    return done ? cache_instances_report(j->run, &rep) : CACHE_RUNNING;
}

/* cache_cloudfront_step - an invalidation, waited on */
static enum cache_status cache_cloudfront_step(struct cache_job *j,
                                               const struct provider_ops *ops, void *p)
{
    enum cache_status st = CACHE_RUNNING;
    char reference[256], err[512] = "";
    int done = 0;

    if (ops->cache_flush_start == NULL)
        return cache_fail(j->run, "the %s provider has no CDN to invalidate", ops->name);
    cache_reference(j, reference, sizeof(reference));
    if (!j->run->started &&
        !cache_call_ok(j->run,
                       ops->cache_flush_start(p, reference, j->run->handle,
                                              sizeof(j->run->handle), err, sizeof(err)),
                       err, &st))
        return st;
    j->run->started = 1;
    if (j->run->handle[0] == '\0')
        return cache_fail(j->run, "no CloudFront distribution is configured (aws.cloudfront)");
    if (!cache_call_ok(j->run, ops->cache_flush_poll(p, j->run->handle, &done, err, sizeof(err)),
                       err, &st) || !done)
        return st;
    snprintf(j->run->message, sizeof(j->run->message), "invalidation %s completed",
             j->run->handle);
    return CACHE_OK;
}

/* cache_provider_step - an action that goes through the environment's provider */
static enum cache_status cache_provider_step(struct cache_job *j)
{
    const struct provider_ops *ops;
    void *p;
    char err[512];

    if (effect_provider(j->ctx, j->e->environment, j->e->env_version, &ops, &p, err,
                        sizeof(err)) != 0)
        return cache_call_failed(j->run, err);
    if (j->a->kind == CACHE_CLOUDFRONT)
        return cache_cloudfront_step(j, ops, p);
    return cache_instances_step(j, ops, p);
}

/* cache_action_step - one step of the action in progress, cut at its timeout */
static enum cache_status cache_action_step(struct cache_job *j)
{
    const struct cache_action *a = j->a;
    int64_t now = clock_mono_ms();

    if (j->run->started_ms == 0) {
        j->run->started_ms = now;
        stage_fault(j->ctx, j->e, "before-call");
    }
    if (now - j->run->started_ms > (int64_t)a->timeout_s * 1000 + CACHE_GRACE_MS)
        return cache_fail(j->run, "timed out after %d s", a->timeout_s);
    if (a->kind == CACHE_REDIS_PREFIX)
        return cache_redis_step(j);
    if (a->kind == CACHE_COMMAND && !a->on_instances)
        return cache_host_step(j);
    return cache_provider_step(j);
}

/* cache_outcome_store - the outcome's row of deployment_caches; 0 or -1 */
static int cache_outcome_store(struct saga_ctx *ctx, const struct effect *e, int seq,
                               const cJSON *outcome)
{
    char seq_text[16], duration[32];
    char *instances = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(outcome, "instances"));
    const char *params[] = {e->deployment_id, e->environment, seq_text,
                            cJSON_GetStringValue(cJSON_GetObjectItem(outcome, "name")),
                            cJSON_GetStringValue(cJSON_GetObjectItem(outcome, "kind")),
                            cJSON_GetStringValue(cJSON_GetObjectItem(outcome, "status")),
                            duration,
                            cJSON_GetStringValue(cJSON_GetObjectItem(outcome, "message")),
                            instances};
    int rc;

    snprintf(seq_text, sizeof(seq_text), "%d", seq);
    snprintf(duration, sizeof(duration), "%.0f",
             cJSON_GetNumberValue(cJSON_GetObjectItem(outcome, "duration_ms")));
    rc = db_exec(ctx->db,
                 "INSERT INTO deployment_caches (deployment_id, environment, seq, name, kind,"
                 " status, duration_ms, message, instances) VALUES ($1::uuid, $2, $3, $4, $5, $6,"
                 " $7, $8, $9::jsonb) ON CONFLICT (deployment_id, name) DO UPDATE SET"
                 " seq = EXCLUDED.seq, kind = EXCLUDED.kind, status = EXCLUDED.status,"
                 " duration_ms = EXCLUDED.duration_ms, message = EXCLUDED.message,"
                 " instances = EXCLUDED.instances, recorded_at = now()",
                 9, params);
    cJSON_free(instances);
    return rc;
}

/* cache_outcome_add - the finished action's outcome into e's result and the table */
static void cache_outcome_add(struct cache_job *j, const char *name, const char *kind,
                              enum cache_status status)
{
    cJSON *outcome = cJSON_CreateObject();
    cJSON *outcomes = cache_outcomes(j->e);

    cJSON_AddStringToObject(outcome, "name", name);
    cJSON_AddStringToObject(outcome, "kind", kind);
    cJSON_AddStringToObject(outcome, "status", status == CACHE_OK ? "ok" : "failed");
    cJSON_AddNumberToObject(outcome, "duration_ms", (double)(clock_mono_ms() - j->run->started_ms));
    cJSON_AddStringToObject(outcome, "message", j->run->message);
    cJSON_AddItemToObject(outcome, "instances",
                          j->run->instances ? j->run->instances : cJSON_CreateArray());
    j->run->instances = NULL;
    cJSON_AddItemToArray(outcomes, outcome);
    if (cache_outcome_store(j->ctx, j->e, cJSON_GetArraySize(outcomes), outcome) != 0 ||
        effect_record(j->ctx, j->e) != 0)
        log_warn("effect %lld: recording cache %s failed", (long long)j->e->id, name);
    log_msg(status == CACHE_OK ? LOG_INFO : LOG_WARN, "cache %s (%s) %s: %s", name, kind,
            status == CACHE_OK ? "flushed" : "failed", j->run->message);
    stage_fault(j->ctx, j->e, "after-call");
}

/* cache_note - the history line: each outcome's name and status */
static void cache_note(struct effect *e)
{
    const cJSON *o;
    size_t n = 0;

    n += (size_t)snprintf(e->note, sizeof(e->note), "caches:");
    cJSON_ArrayForEach(o, cache_outcomes(e)) {
        if (n < sizeof(e->note))
            n += (size_t)snprintf(e->note + n, sizeof(e->note) - n, " %s %s",
                                  cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")),
                                  cJSON_GetStringValue(cJSON_GetObjectItem(o, "status")));
    }
}

/* cache_finish - the effect's end: caches-flushed, or cache-flush-failed */
static enum effect_step cache_finish(struct saga_ctx *ctx, struct effect *e,
                                     struct cache_flush_run *run, const char *why)
{
    struct saga_input in = {.kind = why ? SAGA_IN_CACHE_FLUSH_FAILED : SAGA_IN_CACHES_FLUSHED};
    enum effect_step st;

    if (why)
        snprintf(e->error, sizeof(e->error), "%s", why);
    cache_note(e);
    st = stage_finish(ctx, e, why ? EFFECT_FAILED : EFFECT_DONE, &in, NULL, NULL);
    if (st != EFFECT_WAIT && run != NULL)
        cache_run_free(run);
    return st;
}

/* cache_failed_before - 1 when an outcome recorded before a crash failed
 * (the effect must end as it would have); why names it */
static int cache_failed_before(struct effect *e, char *why, size_t len)
{
    const cJSON *o;

    cJSON_ArrayForEach(o, cache_outcomes(e)) {
        const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(o, "status"));

        if (status == NULL || strcmp(status, "ok") != 0) {
            snprintf(why, len, "cache %s failed: %s",
                     cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")),
                     cJSON_GetStringValue(cJSON_GetObjectItem(o, "message")));
            return 1;
        }
    }
    return 0;
}

/* cache_flush_next - step the action in progress; move on when it finished */
static enum effect_step cache_flush_next(struct saga_ctx *ctx, struct effect *e,
                                         const cJSON *caches, enum color new_color,
                                         struct cache_flush_run *run)
{
    struct cache_action a;
    struct cache_job j = {ctx, e, &a, new_color, run};
    enum cache_status status;
    char err[256], why[768];

    if (cache_failed_before(e, why, sizeof(why)))
        return cache_finish(ctx, e, run, why);
    if (run->action >= cJSON_GetArraySize(caches))
        return cache_finish(ctx, e, run, NULL);
    if (cache_action_parse(cJSON_GetArrayItem(caches, run->action), &a, err, sizeof(err)) != 0)
        return cache_finish(ctx, e, run, err);
    run->stepped_ms = clock_mono_ms();
    if ((status = cache_action_step(&j)) == CACHE_RUNNING)
        return EFFECT_WAIT;
    cache_outcome_add(&j, a.name, cache_kind_name(a.kind), status);
    if (status == CACHE_FAILED) {
        snprintf(why, sizeof(why), "cache %s failed: %s", a.name, run->message);
        return cache_finish(ctx, e, run, why);
    }
    run->action++;
    cache_run_reset(run);
    return EFFECT_WAIT;
}

/* cache_flush_step - the step of a flush-caches effect */
enum effect_step cache_flush_step(struct saga_ctx *ctx, struct effect *e)
{
    struct cache_flush_run *run;
    struct deployment d;
    enum effect_step st;
    int found;

    memset(&d, 0, sizeof(d));
    if ((found = deployment_load(ctx->db, e->deployment_id, &d)) != 0) {
        deployment_release(&d);
        return EFFECT_WAIT; /* a database error, or a deployment gone: try again */
    }
    if ((run = cache_run_of(e)) == NULL)
        st = EFFECT_WAIT;
    else
        st = cache_flush_next(ctx, e, cJSON_GetObjectItemCaseSensitive(d.env_config, "caches"),
                              d.saga.new_color == COLOR_GREEN ? COLOR_GREEN : COLOR_BLUE, run);
    deployment_release(&d);
    return st;
}

/* cache_flush_reap - stop the runs not stepped for idle_ms */
void cache_flush_reap(int64_t idle_ms)
{
    int64_t now = clock_mono_ms();

    for (int i = 0; i < CACHE_FLUSH_RUNS; i++) {
        struct cache_flush_run *run = &cache_flush_runs[i];

        if (run->effect_id == 0 || now - run->stepped_ms <= idle_ms)
            continue;
        log_info("cache flush of effect %lld abandoned: stopped", (long long)run->effect_id);
        cache_run_free(run);
    }
}
