/*
 * validator - cutover-validator: checks the new color through its preview
 *             route before any traffic moves to it.
 *
 * DESCRIPTION
 *	Consumes green-deployed: the deployment it names (data.deployment_id)
 *	gets the input "deployed" fenced by data.epoch, which asks for the
 *	open-preview and validate effects. A stale or refused input is
 *	recorded in the deployment's history by deployment_apply(); a
 *	deployment that does not exist, or lives in another environment, is
 *	refused (dead-letter).
 *
 *	Effects (saga/effect.h), stepped on the saga's tick (saga/saga_worker.h):
 *	open-preview	provider preview_open for the new color; the url
 *			where checks go is recorded in the effect's result.
 *	validate	the environment's checks (checks.h) against that url
 *			with the preview header, never through live traffic,
 *			a step per tick; the finished checks are recorded in
 *			the effect's result after each one, so that a copy of
 *			the worker that takes the effect over after a crash
 *			does not run them again. Then green-validated
 *			{passed, checks}: the shifter moves on (or waits for
 *			an approval), the rollbacker fails the deployment.
 *	close-preview	provider preview_close.
 *	flush-caches	the environment's cache actions (saga/cache_flush.h),
 *			once validation passed and before any traffic
 *			moves, the preview still open; then the input
 *			caches-flushed or cache-flush-failed. The validator
 *			owns it because it is the last check before traffic:
 *			it already runs commands with timeouts (the check
 *			runner) and reaps what a stale effect left running,
 *			while the deployer's hook runs may still be busy.
 *	A preview that cannot be opened, or checks that cannot be read, end
 *	in green-validated with passed false and the reason as a check.
 *	Crash points: validator-<effect>-before-call and -after-call around
 *	the provider calls, validator-<effect>-before-finish before the
 *	effect ends (for validate: before green-validated is emitted).
 *
 *	Runs the analysis gates between canary steps (saga/analysis.h) on its
 *	own tick, every CUTOVER_ANALYSIS_TICK_MS: the metrics of a step's
 *	analysis measured through Prometheus during the step's pause, and the
 *	verdict fed to the saga.
 *
 *	A check run belongs to its effect; one not stepped for two effect
 *	leases (its effect went stale and was dropped) is stopped by the
 *	reap tick, which kills a command still running.
 */
#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "saga/cache_flush.h"
#include "saga/stage.h"
#include "saga/saga_worker.h"
#include "validate/checks.h"
#include "worker/worker.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define VALIDATOR_MAX_RUNS 16

/* A check run in progress, by effect. */
struct validator_run {
    int64_t effect_id;
    struct checks_run *checks; /* NULL: the slot is free */
    int64_t stepped_ms;
};

static struct validator_run validator_runs[VALIDATOR_MAX_RUNS];

/* validator_data_text - a string member of a JSON object, or NULL */
static const char *validator_data_text(const cJSON *data, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(data, name);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* ---- green-deployed ---------------------------------------------------- */

/* validator_green_deployed - the release is on the new color: validate it */
static int validator_green_deployed(struct worker *w, const struct cloud_event *ev,
                                    struct event_error *err)
{
    return deployment_apply_event(saga_ctx_of(w), ev, SAGA_IN_DEPLOYED, err);
}

/* ---- verdicts ------------------------------------------------------------ */

/* validator_verdict - the data of green-validated; takes ownership of checks */
static cJSON *validator_verdict(bool passed, cJSON *checks)
{
    cJSON *data = cJSON_CreateObject();

    cJSON_AddBoolToObject(data, "passed", passed);
    cJSON_AddItemToObject(data, "checks", checks ? checks : cJSON_CreateArray());
    return data;
}

/* validator_give_up - the effect cannot validate: green-validated with
 * passed false and why as the one failed check called name */
static enum effect_step validator_give_up(struct saga_ctx *ctx, struct effect *e, const char *name,
                                          const char *why)
{
    cJSON *checks = cJSON_CreateArray();
    cJSON *check = cJSON_CreateObject();

    cJSON_AddStringToObject(check, "name", name);
    cJSON_AddBoolToObject(check, "passed", false);
    cJSON_AddStringToObject(check, "detail", why);
    cJSON_AddNumberToObject(check, "duration_ms", 0);
    cJSON_AddItemToArray(checks, check);
    log_warn("%s: validation failed: %s", saga_effect_name(e->kind), why);
    return stage_finish(ctx, e, EFFECT_FAILED, NULL, "green-validated",
                        validator_verdict(false, checks));
}

/* ---- open-preview, close-preview --------------------------------------- */

/* validator_open_preview_step - route the preview header to the new color */
static enum effect_step validator_open_preview_step(struct saga_ctx *ctx, struct effect *e)
{
    struct stage_target t;
    const struct provider_ops *ops;
    void *p;
    char url[1024], err[256];
    enum effect_step st;
    int rc;

    if (validator_data_text(e->result, "url") != NULL)
        return stage_finish(ctx, e, EFFECT_DONE, NULL, NULL, NULL); /* opened before a crash */
    if (stage_target_read(ctx, e, &t) != 0)
        return EFFECT_WAIT;
    if ((st = stage_provider(ctx, e, &ops, &p)) != EFFECT_DONE)
        return st == EFFECT_FAILED ? validator_give_up(ctx, e, "preview", e->error) : st;
    stage_fault(ctx, e, "before-call");
    rc = ops->preview_open(p, t.new_color, e->deployment_id, url, sizeof(url), err, sizeof(err));
    stage_fault(ctx, e, "after-call");
    if (rc != 0)
        return stage_call_failed(ctx, e, "preview_open", err)
                   ? validator_give_up(ctx, e, "preview", e->error)
                   : EFFECT_WAIT;
    if (!cJSON_IsObject(e->result)) {
        cJSON_Delete(e->result);
        e->result = cJSON_CreateObject();
    }
    cJSON_AddStringToObject(e->result, "url", url);
    stage_call_done(ctx, e, "opened"); /* records the url with it */
    log_info("preview of %s open at %s", color_name(t.new_color), url);
    return stage_finish(ctx, e, EFFECT_DONE, NULL, NULL, NULL);
}

/* validator_close_preview_step - no request reaches the new color by header any more */
static enum effect_step validator_close_preview_step(struct saga_ctx *ctx, struct effect *e)
{
    const struct provider_ops *ops;
    void *p;
    char err[512];
    enum effect_step st;
    int rc;

    if ((st = stage_provider(ctx, e, &ops, &p)) != EFFECT_DONE)
        return st == EFFECT_FAILED ? stage_finish(ctx, e, EFFECT_FAILED, NULL, NULL, NULL) : st;
    stage_fault(ctx, e, "before-call");
    rc = ops->preview_close(p, e->deployment_id, err, sizeof(err));
    stage_fault(ctx, e, "after-call");
    if (rc != 0)
        return stage_call_failed(ctx, e, "preview_close", err)
                   ? stage_finish(ctx, e, EFFECT_FAILED, NULL, NULL, NULL)
                   : EFFECT_WAIT;
    stage_call_done(ctx, e, "closed");
    return stage_finish(ctx, e, EFFECT_DONE, NULL, NULL, NULL);
}

/* ---- validate -------------------------------------------------------------- */

/* validator_preview_url - the url the deployment's open-preview recorded at
 * e's epoch; 0 found, 1 none (the preview did not open), -1 error */
static int validator_preview_url(struct saga_ctx *ctx, const struct effect *e, char *url,
                                 size_t len)
{
    char epoch[32];
    const char *params[] = {e->deployment_id, epoch};
    PGresult *res;
    int rc;

    snprintf(epoch, sizeof(epoch), "%lld", (long long)e->epoch);
    res = db_query(ctx->db,
                   "SELECT result->>'url' FROM effects WHERE deployment_id = $1 AND epoch = $2"
                   " AND kind = 'open-preview' AND status = 'done' AND result ? 'url'"
                   " ORDER BY id DESC LIMIT 1",
                   2, params);
    if (res == NULL)
        return -1;
    rc = PQntuples(res) == 1 ? 0 : 1;
    snprintf(url, len, "%s", rc == 0 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return rc;
}

/* validator_checks_create - the deployment's check run, resuming after e's
 * recorded progress; NULL with err set when the checks cannot run, or
 * with err empty to try again on the next tick */
static struct checks_run *validator_checks_create(struct saga_ctx *ctx, const struct effect *e,
                                                  char *err, size_t err_len)
{
    const cJSON *preview;
    struct checks_target t = {0};
    struct checks_run *run = NULL;
    struct deployment d;
    char url[1024];
    int found;

    memset(&d, 0, sizeof(d));
    err[0] = '\0';
    if (validator_preview_url(ctx, e, url, sizeof(url)) < 0 ||
        (found = deployment_load(ctx->db, e->deployment_id, &d)) != 0)
        goto out; /* a database error, or a deployment gone: try again */
    preview = cJSON_GetObjectItemCaseSensitive(d.env_config, "preview");
    t.url = url;
    t.header = validator_data_text(preview, "header");
    t.color = color_name(d.saga.new_color == COLOR_GREEN ? COLOR_GREEN : COLOR_BLUE);
    t.version = d.version;
    t.environment = d.environment;
    run = checks_run_create(cJSON_GetObjectItemCaseSensitive(d.env_config, "checks"), &t,
                            e->result, err, err_len);
out:
    deployment_release(&d);
    return run;
}

/* validator_run_find - the check run of effect id, or NULL */
static struct validator_run *validator_run_find(int64_t id)
{
    for (int i = 0; i < VALIDATOR_MAX_RUNS; i++)
        if (validator_runs[i].checks != NULL && validator_runs[i].effect_id == id)
            return &validator_runs[i];
    return NULL;
}

/* validator_run_free - stop a run and free its slot */
static void validator_run_free(struct validator_run *run)
{
    checks_run_free(run->checks);
    run->checks = NULL;
    run->effect_id = 0;
}

/* validator_run_start - a slot with e's check run; NULL with err set when
 * the checks cannot run, or with err empty to try again */
static struct validator_run *validator_run_start(struct saga_ctx *ctx, const struct effect *e,
                                                 char *err, size_t err_len)
{
    struct validator_run *slot = NULL;

    err[0] = '\0';
    for (int i = 0; i < VALIDATOR_MAX_RUNS && slot == NULL; i++)
        if (validator_runs[i].checks == NULL)
            slot = &validator_runs[i];
    if (slot == NULL) {
        log_warn("effect %lld: %d check runs already: waiting", (long long)e->id,
                 VALIDATOR_MAX_RUNS);
        return NULL;
    }
    if ((slot->checks = validator_checks_create(ctx, e, err, err_len)) == NULL)
        return NULL;
    slot->effect_id = e->id;
    log_info("validating: %d checks done before", stage_result_int(e, "done", 0));
    return slot;
}

/* validator_progress_record - save the finished checks in the effect */
static void validator_progress_record(struct saga_ctx *ctx, struct effect *e,
                                      const struct validator_run *run)
{
    cJSON_Delete(e->result);
    e->result = checks_run_progress(run->checks);
    if (effect_record(ctx, e) != 0)
        log_warn("effect %lld: recording the checks' progress failed", (long long)e->id);
}

/* validator_validated - every check ran: green-validated {passed, checks} */
static enum effect_step validator_validated(struct saga_ctx *ctx, struct effect *e,
                                            struct validator_run *run)
{
    bool passed = checks_run_passed(run->checks);
    cJSON *checks = checks_run_results(run->checks);
    enum effect_step st;

    cJSON_Delete(e->result);
    e->result = checks_run_progress(run->checks);
    log_info("validation %s after %d checks", passed ? "passed" : "failed",
             cJSON_GetArraySize(checks));
    st = stage_finish(ctx, e, EFFECT_DONE, NULL, "green-validated",
                      validator_verdict(passed, checks));
    if (st != EFFECT_WAIT)
        validator_run_free(run);
    return st;
}

/* validator_validate_step - run the checks, a step per tick */
static enum effect_step validator_validate_step(struct saga_ctx *ctx, struct effect *e)
{
    struct validator_run *run = validator_run_find(e->id);
    enum checks_status status;
    char err[512];

    if (run == NULL && (run = validator_run_start(ctx, e, err, sizeof(err))) == NULL)
        return err[0] ? validator_give_up(ctx, e, "checks", err) : EFFECT_WAIT;
    run->stepped_ms = clock_mono_ms();
    stage_fault(ctx, e, "before-call");
    status = checks_run_step(run->checks);
    if (status == CHECKS_ADVANCED) {
        validator_progress_record(ctx, e, run);
        stage_fault(ctx, e, "after-call");
    }
    if (status != CHECKS_DONE)
        return EFFECT_WAIT;
    return validator_validated(ctx, e, run);
}

/* validator_reap - stop check runs and cache flushes whose effect is no
 * longer stepped here */
static void validator_reap(struct worker *w, const void *arg)
{
    int64_t idle_ms = 2 * config_get_int("CUTOVER_EFFECT_LEASE_MS");
    int64_t now = clock_mono_ms();

    (void)w;
    (void)arg;
    for (int i = 0; i < VALIDATOR_MAX_RUNS; i++) {
        struct validator_run *run = &validator_runs[i];

        if (run->checks == NULL || now - run->stepped_ms <= idle_ms)
            continue;
        log_info("checks of effect %lld abandoned: stopped", (long long)run->effect_id);
        validator_run_free(run);
    }
    cache_flush_reap(idle_ms);
}

static const struct worker_handler validator_handlers[] = {
    {"green-deployed", validator_green_deployed},
};

static const struct effect_handler validator_effects[] = {
    {SAGA_FX_OPEN_PREVIEW, validator_open_preview_step},
    {SAGA_FX_VALIDATE, validator_validate_step},
    {SAGA_FX_CLOSE_PREVIEW, validator_close_preview_step},
    {SAGA_FX_FLUSH_CACHES, cache_flush_step},
};

static const struct saga_effects validator_saga = SAGA_EFFECTS(validator_effects);

static const struct worker_tick validator_ticks[] = {
    SAGA_TICK(&validator_saga),
    SAGA_ANALYSIS_TICK,
    {.name = "reap-checks", .interval_var = "CUTOVER_EFFECT_LEASE_MS", .fire = validator_reap},
};

static const struct worker_spec validator_spec = {
    .name = "validator",
    .summary = "Consumes green-deployed, checks the new color through its preview route and "
               "emits green-validated.",
    .handlers = validator_handlers,
    .handler_count = sizeof(validator_handlers) / sizeof(validator_handlers[0]),
    .ticks = validator_ticks,
    .tick_count = sizeof(validator_ticks) / sizeof(validator_ticks[0]),
};

int main(int argc, char **argv)
{
    return worker_main(argc, argv, &validator_spec);
}
