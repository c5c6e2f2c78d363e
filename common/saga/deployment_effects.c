/*
 * deployment_effects - what a saga outcome's effects become, inside the
 *                      transaction that applied it: provider effects are
 *                      written to the effects table for their owning
 *                      worker; timers, epochs, the live color, the status
 *                      event and starting the next queued deployment are
 *                      done right here.
 */
#include "saga/deployment_internal.h"

#include "base/log.h"
#include "provider/provider.h"
#include "saga/effect.h"

#include <stdio.h>
#include <string.h>

#define DEPLOYMENT_DEFAULT_BAKE_SECONDS 300
#define DEPLOYMENT_DEFAULT_STAGE_SECONDS 900

/* deployment_int_text - a number as a query parameter */
static const char *deployment_int_text(char *buf, size_t len, long long value)
{
    snprintf(buf, len, "%lld", value);
    return buf;
}

/* deployment_effect_arg - the argument stored with a provider effect */
static int deployment_effect_arg(const struct deployment *d, const struct saga_effect *fx)
{
    if (fx->kind == SAGA_FX_SCALE_NEW)
        return (int)deployment_env_int(d, "capacity", DEPLOYMENT_DEFAULT_CAPACITY);
    return fx->arg;
}

/* deployment_effect_add - a provider effect for its owner */
static int deployment_effect_add(struct worker *w, const struct deployment *d,
                                 const struct saga_effect *fx)
{
    char epoch[32], arg[16];
    const char *params[] = {d->id, d->environment,
                            deployment_int_text(epoch, sizeof(epoch), d->saga.epoch),
                            saga_effect_name(fx->kind),
                            deployment_int_text(arg, sizeof(arg), deployment_effect_arg(d, fx)),
                            effect_owner(fx->kind)};

    return db_exec(worker_db(w),
                   "INSERT INTO effects (deployment_id, environment, epoch, kind, arg, owner)"
                   " VALUES ($1::uuid, $2, $3, $4, $5, $6)",
                   6, params);
}

/* deployment_stage_seconds - a stage's deadline from the environment */
static long deployment_stage_seconds(const struct deployment *d, int stage)
{
    static const struct {
        enum saga_state_kind stage;
        const char *path;
    } paths[] = {
        {SAGA_SCALING, "timeouts/scale"},
        {SAGA_DEPLOYING, "timeouts/deploy"},
        {SAGA_VALIDATING, "timeouts/validate"},
        {SAGA_AWAITING_APPROVAL, "timeouts/approval"},
    };

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if ((int)paths[i].stage == stage)
            return deployment_env_int(d, paths[i].path, DEPLOYMENT_DEFAULT_STAGE_SECONDS);
    }
    return DEPLOYMENT_DEFAULT_STAGE_SECONDS;
}

/* deployment_timer_add - a durable timer, on the database's clock */
static int deployment_timer_add(struct worker *w, const struct deployment *d, const char *kind,
                                long seconds)
{
    char epoch[32], step[16], secs[32];
    const char *params[] = {d->id, kind, deployment_int_text(epoch, sizeof(epoch), d->saga.epoch),
                            saga_state_name(d->saga.state),
                            deployment_int_text(step, sizeof(step), d->saga.step),
                            deployment_int_text(secs, sizeof(secs), seconds)};

    return db_exec(worker_db(w),
                   "INSERT INTO timers (deployment_id, kind, epoch, armed_in, step, fire_at)"
                   " VALUES ($1::uuid, $2, $3, $4, $5, now() + make_interval(secs => $6::int))",
                   6, params);
}

/* deployment_cancel_timers - every timer armed so far */
static int deployment_cancel_timers(struct worker *w, const struct deployment *d)
{
    const char *params[] = {d->id};

    return db_exec(worker_db(w),
                   "UPDATE timers SET cancelled_at = now() WHERE deployment_id = $1::uuid"
                   " AND fired_at IS NULL AND cancelled_at IS NULL",
                   1, params);
}

/* deployment_fence - effects of an older epoch that have not started never will */
static int deployment_fence(struct worker *w, const struct deployment *d)
{
    char epoch[32];
    const char *params[] = {d->id, deployment_int_text(epoch, sizeof(epoch), d->saga.epoch)};

    return db_exec(worker_db(w),
                   "UPDATE effects SET status = 'cancelled', finished_at = now()"
                   " WHERE deployment_id = $1::uuid AND status = 'pending' AND epoch < $2",
                   2, params);
}

/* deployment_flip - the color that now takes all traffic */
static int deployment_flip(struct worker *w, const struct deployment *d, int color)
{
    const char *params[] = {d->environment, color_name((enum color)color)};

    return db_exec(worker_db(w),
                   "UPDATE environments SET live_color = $2, updated_at = now() WHERE name = $1",
                   2, params);
}

/* deployment_status - the deployment-status event of a change of state */
static int deployment_status(struct worker *w, const struct deployment *d,
                             const struct saga_state *before, const char *reason)
{
    cJSON *data = cJSON_CreateObject();

    cJSON_AddStringToObject(data, "state", saga_state_name(d->saga.state));
    cJSON_AddStringToObject(data, "previous", saga_state_name(before->state));
    cJSON_AddStringToObject(data, "reason", reason);
    cJSON_AddStringToObject(data, "version", d->version);
    cJSON_AddStringToObject(data, "build_id", d->build_id);
    return deployment_emit(w, d, "deployment-status", data);
}

/* deployment_start_next - the oldest queued build, once nothing is active */
static int deployment_start_next(struct worker *w, const struct deployment *d)
{
    const char *params[] = {d->environment};
    struct deployment next;
    struct deployment_note note = {"saga:start-next", NULL, worker_name(w),
                                   "the previous deployment ended"};
    PGresult *res = db_query(worker_db(w),
                             "SELECT id FROM deployments WHERE environment = $1 AND queued"
                             " AND NOT EXISTS (SELECT 1 FROM deployments a WHERE"
                             " a.environment = $1 AND NOT a.queued AND a.state NOT IN"
                             " ('completed', 'failed', 'rolled-back', 'superseded'))"
                             " ORDER BY created_at LIMIT 1",
                             1, params);
    int rc = res ? 0 : -1;

    if (res && PQntuples(res) == 1 && deployment_lock(worker_db(w), PQgetvalue(res, 0, 0), &next) == 0) {
        rc = deployment_start(w, &next, &note);
        deployment_release(&next);
    }
    if (res)
        PQclear(res);
    return rc;
}

/* deployment_perform_one - one effect of an outcome */
static int deployment_perform_one(struct worker *w, struct deployment *d,
                                  const struct saga_state *before, const struct saga_effect *fx,
                                  const char *reason)
{
    switch (fx->kind) {
    case SAGA_FX_START_STEP_TIMER:
        return deployment_timer_add(w, d, "step-due", fx->arg);
    case SAGA_FX_START_BAKE_TIMER:
        return deployment_timer_add(w, d, "bake-done",
                                    deployment_env_int(d, "bake_seconds",
                                                       DEPLOYMENT_DEFAULT_BAKE_SECONDS));
    case SAGA_FX_START_STAGE_TIMER:
        return deployment_timer_add(w, d, "stage-timeout", deployment_stage_seconds(d, fx->arg));
    case SAGA_FX_CANCEL_TIMERS:
        return deployment_cancel_timers(w, d);
    case SAGA_FX_RAISE_EPOCH:
        return deployment_fence(w, d);
    case SAGA_FX_FLIP_LIVE_COLOR:
        return deployment_flip(w, d, fx->arg);
    case SAGA_FX_EMIT_STATUS:
        return deployment_status(w, d, before, reason);
    case SAGA_FX_START_NEXT:
        return deployment_start_next(w, d);
    default:
        if (effect_owner(fx->kind) == NULL)
            log_panic("deployment_perform_one: effect %s has no owner", saga_effect_name(fx->kind));
        return deployment_effect_add(w, d, fx);
    }
}

/* deployment_perform - carry out an outcome's effects in order */
int deployment_perform(struct worker *w, struct deployment *d, const struct saga_state *before,
                       const struct saga_outcome *out, const char *reason)
{
    for (size_t i = 0; i < out->effect_count; i++) {
        if (deployment_perform_one(w, d, before, &out->effects[i], reason) != 0)
            return -1;
    }
    return 0;
}
