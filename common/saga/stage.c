/*
 * stage - helpers of the scaler's and the deployer's effect steps (see
 *         stage.h): the deployment an effect works on, its provider, crash
 *         points, the error budget and the step's recorded progress.
 */
#include "saga/stage.h"

#include "base/fault.h"
#include "base/log.h"

#include <stdio.h>
#include <string.h>

/* stage_artifact_text - a string member of the deployment's artifact into out */
static void stage_artifact_text(const struct deployment *d, const char *name, char *out,
                                size_t len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(d->artifact, name);

    snprintf(out, len, "%s", cJSON_IsString(item) ? item->valuestring : "");
}

/* stage_target_read - the deployment behind e; 0, or -1 (logged) */
int stage_target_read(struct saga_ctx *ctx, const struct effect *e, struct stage_target *t)
{
    struct deployment d;
    int found;

    memset(t, 0, sizeof(*t));
    memset(&d, 0, sizeof(d));
    found = deployment_load(ctx->db, e->deployment_id, &d);
    if (found != 0) {
        if (found > 0)
            log_warn("effect %lld: deployment %s not found", (long long)e->id, e->deployment_id);
        deployment_release(&d);
        return -1;
    }
    t->new_color = d.saga.new_color == COLOR_GREEN ? COLOR_GREEN : COLOR_BLUE;
    t->old_color = color_other(t->new_color);
    t->capacity = e->arg > 0 ? e->arg
                             : (int)deployment_env_int(&d, "capacity", DEPLOYMENT_DEFAULT_CAPACITY);
    snprintf(t->version, sizeof(t->version), "%s", d.version);
    stage_artifact_text(&d, "uri", t->artifact_uri, sizeof(t->artifact_uri));
    stage_artifact_text(&d, "sha256", t->artifact_sha256, sizeof(t->artifact_sha256));
    deployment_release(&d);
    return 0;
}

/* stage_provider - the environment's provider: EFFECT_DONE when opened */
enum effect_step stage_provider(struct saga_ctx *ctx, struct effect *e,
                                const struct provider_ops **ops, void **state)
{
    char err[512];

    if (effect_provider(ctx, e->environment, e->env_version, ops, state, err, sizeof(err)) == 0)
        return EFFECT_DONE;
    return stage_call_failed(ctx, e, "opening the provider", err) ? EFFECT_FAILED : EFFECT_WAIT;
}

/* stage_fault - the crash point "<worker>-<effect>-<when>" */
void stage_fault(struct saga_ctx *ctx, const struct effect *e, const char *when)
{
    char name[128];

    snprintf(name, sizeof(name), "%s-%s-%s", ctx->worker, saga_effect_name(e->kind), when);
    fault_point(name);
}

/* stage_result_int - an integer member of e's result, or fallback */
int stage_result_int(const struct effect *e, const char *name, int fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(e->result, name);

    return cJSON_IsNumber(item) ? item->valueint : fallback;
}

/* stage_result_set - set an integer member of e's result */
void stage_result_set(struct effect *e, const char *name, int value)
{
    if (!cJSON_IsObject(e->result)) {
        cJSON_Delete(e->result);
        e->result = cJSON_CreateObject();
    }
    cJSON_DeleteItemFromObjectCaseSensitive(e->result, name);
    cJSON_AddNumberToObject(e->result, name, value);
}

/* stage_call_failed - note a failed provider call in e; 1 when the budget is spent */
int stage_call_failed(struct saga_ctx *ctx, struct effect *e, const char *what, const char *err)
{
    int errors = stage_result_int(e, "errors", 0) + 1;

    snprintf(e->error, sizeof(e->error), "%s: %s", what, err);
    stage_result_set(e, "errors", errors);
    if (effect_record(ctx, e) != 0)
        log_warn("effect %lld: recording the error failed", (long long)e->id);
    log_warn("effect %lld (%s): %s (failure %d of %d)", (long long)e->id,
             saga_effect_name(e->kind), e->error, errors, STAGE_ERROR_LIMIT);
    return errors >= STAGE_ERROR_LIMIT;
}

/* stage_call_done - mark phase in e's result, record it and count the call */
void stage_call_done(struct saga_ctx *ctx, struct effect *e, const char *phase)
{
    stage_result_set(e, phase, 1);
    stage_result_set(e, "errors", 0);
    if (effect_record_call(ctx, e) != 0)
        log_warn("effect %lld: recording %s failed; the call is repeated", (long long)e->id,
                 phase);
}

/* stage_finish - crash point before-finish, then effect_finish */
enum effect_step stage_finish(struct saga_ctx *ctx, struct effect *e, enum effect_step status,
                              const struct saga_input *in, const char *topic, cJSON *data)
{
    stage_fault(ctx, e, "before-finish");
    if (effect_finish(ctx, e, status, in, topic, data) != 0) {
        log_warn("effect %lld (%s): finishing failed; trying again", (long long)e->id,
                 saga_effect_name(e->kind));
        return EFFECT_WAIT;
    }
    return status;
}
