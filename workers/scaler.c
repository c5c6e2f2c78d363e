/*
 * scaler - cutover-scaler: consumes build-ready, records a deployment, and
 *          performs the saga's capacity effects; consumes schema-migrated
 *          (the database stage is over) to scale the new color.
 *
 * DESCRIPTION
 *	A build-ready for a known environment becomes a deployment
 *	(deployment_receive: the same build_id twice is one deployment; a
 *	newer build supersedes one that moved no traffic, or waits behind one
 *	that did) whose saga starts at once when nothing else is active.
 *
 *	Effects (saga/effect.h), stepped on the saga's tick (saga/saga_worker.h):
 *	scale-new	scale the new color to capacity (absolute), then poll
 *			health until every instance is healthy and emit
 *			green-scaled {color, capacity, healthy}. The wait has
 *			no deadline of its own: the saga's stage timer ends a
 *			deployment that takes too long. A scale call that keeps
 *			failing (STAGE_ERROR_LIMIT times) applies scale-failed
 *			with the provider's error as the reason.
 *	retire-old	scale the old color to zero, wait until nothing of it
 *			runs, then apply retired. The saga has no failure path
 *			here (the deployment is promoted), so errors are
 *			retried on every tick until the provider answers.
 *	Crash points: scaler-<effect>-before-call, -after-call (around
 *	scale) and -before-finish.
 */
#include "base/log.h"
#include "saga/stage.h"
#include "saga/saga_worker.h"
#include "worker/worker.h"

#include <stdlib.h>
#include <string.h>

/* scaler_build_ready - a release is built: start its deployment, or queue it */
static int scaler_build_ready(struct worker *w, const struct cloud_event *ev,
                              struct event_error *err)
{
    return deployment_receive(saga_ctx_of(w), ev, err);
}

/* scaler_schema_migrated - the schema is expanded and the old color
 * passed its checks on it: the deployment may scale */
static int scaler_schema_migrated(struct worker *w, const struct cloud_event *ev,
                                  struct event_error *err)
{
    return deployment_apply_event(saga_ctx_of(w), ev, SAGA_IN_MIGRATED, err);
}

/* scaler_scale - scale color c to capacity once per effect; EFFECT_DONE
 * when done (now or before a crash), EFFECT_WAIT to retry, EFFECT_FAILED */
static enum effect_step scaler_scale(struct saga_ctx *ctx, struct effect *e,
                                     const struct provider_ops *ops, void *p, enum color c,
                                     int capacity)
{
    char err[512];
    int rc;

    struct provider_health h;

    if (stage_result_int(e, "scaled", 0))
        return EFFECT_DONE;
    if (e->attempts > 1 && ops->health(p, c, &h, err, sizeof(err)) == 0 && h.desired == capacity
        && h.running == capacity) { /* asked for and there: a call cut short asks again */
        log_info("%s already asked for %d: the call before a restart landed", color_name(c),
                 capacity);
        stage_result_set(e, "scaled", 1);
        return effect_record(ctx, e) == 0 ? EFFECT_DONE : EFFECT_WAIT;
    }
    stage_fault(ctx, e, "before-call");
    rc = ops->scale(p, c, capacity, err, sizeof(err));
    stage_fault(ctx, e, "after-call");
    if (rc != 0)
        return stage_call_failed(ctx, e, "scale", err) ? EFFECT_FAILED : EFFECT_WAIT;
    log_info("scaled %s to %d", color_name(c), capacity);
    stage_call_done(ctx, e, "scaled");
    return EFFECT_DONE;
}

/* scaler_health - the color's health; 0, or -1 (logged: the wait goes on) */
static int scaler_health(struct effect *e, const struct provider_ops *ops, void *p,
                         enum color c, struct provider_health *h)
{
    char err[512];

    if (ops->health(p, c, h, err, sizeof(err)) == 0)
        return 0;
    log_warn("effect %lld: reading %s health: %s", (long long)e->id, color_name(c), err);
    return -1;
}

/* scaler_scale_failed - give up on scale-new: the deployment fails */
static enum effect_step scaler_scale_failed(struct saga_ctx *ctx, struct effect *e)
{
    struct saga_input in = {.kind = SAGA_IN_SCALE_FAILED, .epoch = e->epoch};

    log_warn("scale-new failed: %s", e->error);
    return stage_finish(ctx, e, EFFECT_FAILED, &in, NULL, NULL);
}

/* scaler_scaled_data - the data of green-scaled */
static cJSON *scaler_scaled_data(enum color c, int capacity, int healthy)
{
    cJSON *data = cJSON_CreateObject();

    cJSON_AddStringToObject(data, "color", color_name(c));
    cJSON_AddNumberToObject(data, "capacity", capacity);
    cJSON_AddNumberToObject(data, "healthy", healthy);
    return data;
}

/* scaler_scale_new_step - the new color to capacity, then wait until healthy */
static enum effect_step scaler_scale_new_step(struct saga_ctx *ctx, struct effect *e)
{
    struct stage_target t;
    const struct provider_ops *ops;
    void *p;
    struct provider_health h;
    enum effect_step st;

    log_context_set(e->environment, e->deployment_id, NULL);
    if (stage_target_read(ctx, e, &t) != 0)
        return EFFECT_WAIT;
    if ((st = stage_provider(ctx, e, &ops, &p)) == EFFECT_DONE)
        st = scaler_scale(ctx, e, ops, p, t.new_color, t.capacity);
    if (st == EFFECT_FAILED)
        return scaler_scale_failed(ctx, e);
    if (st == EFFECT_WAIT || scaler_health(e, ops, p, t.new_color, &h) != 0)
        return EFFECT_WAIT;
    if (h.healthy != t.capacity)
        return EFFECT_WAIT;
    log_info("%s healthy: %d of %d", color_name(t.new_color), h.healthy, t.capacity);
    return stage_finish(ctx, e, EFFECT_DONE, NULL, "green-scaled",
                        scaler_scaled_data(t.new_color, t.capacity, h.healthy));
}

/* scaler_retire_old_step - the old color to zero, then wait until none runs */
static enum effect_step scaler_retire_old_step(struct saga_ctx *ctx, struct effect *e)
{
    struct saga_input in = {.kind = SAGA_IN_RETIRED, .epoch = e->epoch};
    struct stage_target t;
    const struct provider_ops *ops;
    void *p;
    struct provider_health h;

    log_context_set(e->environment, e->deployment_id, NULL);
    if (stage_target_read(ctx, e, &t) != 0)
        return EFFECT_WAIT;
    if (stage_provider(ctx, e, &ops, &p) != EFFECT_DONE ||
        scaler_scale(ctx, e, ops, p, t.old_color, 0) != EFFECT_DONE ||
        scaler_health(e, ops, p, t.old_color, &h) != 0 || h.running != 0)
        return EFFECT_WAIT;
    log_info("%s retired", color_name(t.old_color));
    return stage_finish(ctx, e, EFFECT_DONE, &in, NULL, NULL);
}

static const struct effect_handler scaler_effects[] = {
    {SAGA_FX_SCALE_NEW, scaler_scale_new_step},
    {SAGA_FX_RETIRE_OLD, scaler_retire_old_step},
};

static const struct worker_handler scaler_handlers[] = {
    {"build-ready", scaler_build_ready},
    {"schema-migrated", scaler_schema_migrated},
};

static const struct saga_effects scaler_saga = SAGA_EFFECTS(scaler_effects);

static const struct worker_tick scaler_ticks[] = {
    SAGA_TICK(&scaler_saga),
};

static const struct worker_spec scaler_spec = {
    .name = "scaler",
    .summary = "Consumes build-ready and schema-migrated, starts its deployment and scales the "
               "colors.",
    .handlers = scaler_handlers,
    .handler_count = sizeof(scaler_handlers) / sizeof(scaler_handlers[0]),
    .ticks = scaler_ticks,
    .tick_count = sizeof(scaler_ticks) / sizeof(scaler_ticks[0]),
};

int main(int argc, char **argv)
{
    return worker_main(argc, argv, &scaler_spec);
}
