/*
 * shifter - cutover-shifter: moves traffic to the new color.
 *
 * DESCRIPTION
 *	Consumes green-validated (the validator's verdict, or an operator's
 *	manual approval) and shift-requested (operators: shift, promote,
 *	pause, resume), and applies them to the deployment's saga. A verdict
 *	that failed and the actions rollback and abort belong to the
 *	rollbacker and are only recorded here. A command that the saga
 *	rejects in the deployment's state goes to dead-letter as not-allowed
 *	with the saga's reason, so that the operator sees why.
 *
 *	Performs the saga's set-weights effect: the new color must show all
 *	of its desired instances healthy in the load balancer before it gets
 *	any share; before its first share, the provider's cache (a CDN in
 *	front of the load balancer), when the environment has one, is flushed
 *	and the flush waited on; then absolute weights are set and read back,
 *	and the weight that took effect comes back to the saga as SHIFTED,
 *	with a traffic-shifted event. Canary pauses, the bake time and stage
 *	deadlines are durable timers fired by the skeleton.
 */
#include "base/log.h"
#include "saga/effect.h"
#include "saga/stage.h"
#include "saga/traffic.h"
#include "saga/saga_worker.h"
#include "worker/worker.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SHIFTER_FLUSH_HANDLE "cache-flush:" /* e->handle while a flush runs */

/* shifter_green_validated - validation passed, or an operator approved */
static int shifter_green_validated(struct worker *w, const struct cloud_event *ev,
                                   struct event_error *err)
{
    const char *approver = traffic_json_string(ev->data, "approved_by");
    struct traffic_request req = {
        .deployment_id = traffic_json_string(ev->data, "deployment_id"),
        .scope = TRAFFIC_ACTIVE,
        .input = {.kind = approver ? SAGA_IN_APPROVED : SAGA_IN_VALIDATION_PASSED,
                  .epoch = traffic_json_int(ev->data, "epoch", 0)},
        .actor = approver ? approver : ev->source,
        .reason = approver ? "approved by an operator" : "validation passed",
    };

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev->data, "passed"))) {
        log_info("validation failed: left to the rollbacker");
        return 0;
    }
    return traffic_request_apply(saga_ctx_of(w), ev, &req, err);
}

/* shifter_shift_requested - an operator's shift, promote, pause or resume */
static int shifter_shift_requested(struct worker *w, const struct cloud_event *ev,
                                   struct event_error *err)
{
    const char *action = traffic_json_string(ev->data, "action");
    struct traffic_request req = {
        .deployment_id = traffic_json_string(ev->data, "deployment_id"),
        .scope = TRAFFIC_ACTIVE,
        .input = {.epoch = 0, .weight = (int)traffic_json_int(ev->data, "weight", 0)},
        .actor = traffic_json_string(ev->data, "requested_by"),
        .reason = traffic_json_string(ev->data, "reason"),
    };

    if (traffic_action_parse(action, &req.input.kind) != 0)
        return event_error_set(err, EVENT_REJECTED, "unknown action \"%s\"",
                               action ? action : "(none)");
    if (strcmp(traffic_action_owner(action), "shifter") != 0) {
        log_info("%s: left to the %s", action, traffic_action_owner(action));
        return 0;
    }
    return traffic_request_apply(saga_ctx_of(w), ev, &req, err);
}

/* shifter_color_ready - 1 when color c may take traffic (healthy >= 1 and
 * every desired instance healthy), 0 not yet (why says), -1 error */
static int shifter_color_ready(const struct provider_ops *ops, void *state, enum color c,
                               char *why, size_t why_len)
{
    struct provider_health h;

    if (ops->health(state, c, &h, why, why_len) != 0)
        return -1;
    if (h.healthy >= 1 && h.healthy == h.desired)
        return 1;
    snprintf(why, why_len, "%s has %d of %d desired instances healthy", color_name(c), h.healthy,
             h.desired);
    return 0;
}

/* shifter_flush_begin - start the cache flush when no traffic has moved to
 * the new color yet: EFFECT_WAIT when started (handle recorded), EFFECT_DONE
 * when there is nothing to flush */
static enum effect_step shifter_flush_begin(struct saga_ctx *ctx, struct effect *e,
                                            const struct provider_ops *ops, void *state,
                                            enum color new_color)
{
    struct provider_weights now;
    char reference[128], id[128], why[512];

    if (ops->get_weights(state, &now, why, sizeof(why)) != 0) {
        log_warn("cache flush waits: %s", why);
        return EFFECT_WAIT;
    }
    if ((new_color == COLOR_GREEN ? now.green : now.blue) > 0)
        return EFFECT_DONE; /* not the first move: the flush came before it */
    snprintf(reference, sizeof(reference), "cutover-%s-%" PRId64, e->deployment_id, e->id);
    if (ops->cache_flush_start(state, reference, id, sizeof(id), why, sizeof(why)) != 0) {
        log_warn("cache flush failed, retried on the next tick: %s", why);
        return EFFECT_WAIT;
    }
    if (id[0] == '\0')
        return EFFECT_DONE; /* the environment has no cache */
    snprintf(e->handle, sizeof(e->handle), SHIFTER_FLUSH_HANDLE "%s", id);
    if (effect_record(ctx, e) == 0)
        log_info("cache flush %s started", id);
    return EFFECT_WAIT;
}

/* shifter_flush_cache - before the first share of the new color: the
 * provider's cache flush, started once and polled until it completed;
 * EFFECT_DONE lets the weights move */
static enum effect_step shifter_flush_cache(struct saga_ctx *ctx, struct effect *e,
                                            const struct provider_ops *ops, void *state,
                                            enum color new_color)
{
    const size_t prefix = sizeof(SHIFTER_FLUSH_HANDLE) - 1;
    char why[512];
    int done;

    if (ops->cache_flush_start == NULL || stage_result_int(e, "cache_flushed", 0))
        return EFFECT_DONE;
    if (strncmp(e->handle, SHIFTER_FLUSH_HANDLE, prefix) != 0)
        return shifter_flush_begin(ctx, e, ops, state, new_color);
    if (ops->cache_flush_poll(state, e->handle + prefix, &done, why, sizeof(why)) != 0) {
        log_warn("cache flush %s: %s", e->handle + prefix, why);
        return EFFECT_WAIT;
    }
    if (!done)
        return EFFECT_WAIT;
    stage_result_set(e, "cache_flushed", 1);
    if (effect_record(ctx, e) != 0)
        return EFFECT_WAIT;
    log_info("cache flush %s completed", e->handle + prefix);
    return EFFECT_DONE;
}

/* shifter_finish - record the shift and tell the saga the weight that took effect */
static enum effect_step shifter_finish(struct saga_ctx *ctx, struct effect *e,
                                       const struct traffic_deployment *d,
                                       const struct provider_weights *wt)
{
    struct saga_input in = {.kind = SAGA_IN_SHIFTED, .epoch = e->epoch, .weight = e->arg};
    cJSON *data = cJSON_CreateObject();

    cJSON_AddStringToObject(data, "color", color_name(d->new_color));
    cJSON_AddItemToObject(data, "weights", traffic_weights_json(wt));
    cJSON_AddNumberToObject(data, "step", d->step);
    log_info("weights set: blue %d green %d", wt->blue, wt->green);
    if (effect_finish(ctx, e, EFFECT_DONE, &in, "traffic-shifted", data) != 0)
        return EFFECT_WAIT;
    return EFFECT_DONE;
}

/* shifter_set_weights_step - the set-weights effect (arg: the new color's share) */
static enum effect_step shifter_set_weights_step(struct saga_ctx *ctx, struct effect *e)
{
    const struct provider_ops *ops;
    void *state;
    struct traffic_deployment d;
    struct provider_weights want;
    char why[512] = "";
    int ready = 1, current;

    if (traffic_effect_open(ctx, e, &ops, &state, &d, why, sizeof(why)) != 0) {
        log_warn("set-weights waits: %s", why[0] ? why : "database error");
        return EFFECT_WAIT;
    }
    if (e->arg > 0 && (ready = shifter_color_ready(ops, state, d.new_color, why, sizeof(why))) != 1) {
        log_msg(ready < 0 ? LOG_WARN : LOG_DEBUG, "set-weights waits: %s", why);
        return EFFECT_WAIT;
    }
    if ((current = effect_current(ctx, e)) != 1) {
        if (current == 0) /* the skeleton cancels it on the next tick */
            log_info("set-weights not performed: a rollback raised the epoch");
        return EFFECT_WAIT;
    }
    if (e->arg > 0 && shifter_flush_cache(ctx, e, ops, state, d.new_color) != EFFECT_DONE)
        return EFFECT_WAIT;
    traffic_weights_for(d.new_color, e->arg, &want);
    if (traffic_effect_set_weights(ctx, e, ops, state, &want, why, sizeof(why)) != 0) {
        log_warn("set-weights failed, retried on the next tick: %s", why);
        return EFFECT_WAIT;
    }
    return shifter_finish(ctx, e, &d, &want);
}

static const struct worker_handler shifter_handlers[] = {
    {"green-validated", shifter_green_validated},
    {"shift-requested", shifter_shift_requested},
};

static const struct effect_handler shifter_effects[] = {
    {SAGA_FX_SET_WEIGHTS, shifter_set_weights_step},
};

static const struct saga_effects shifter_saga = SAGA_EFFECTS(shifter_effects);

static const struct worker_tick shifter_ticks[] = {
    SAGA_TICK(&shifter_saga),
};

static const struct worker_spec shifter_spec = {
    .name = "shifter",
    .summary = "Consumes green-validated and shift-requested; sets the load balancer's weights.",
    .handlers = shifter_handlers,
    .handler_count = sizeof(shifter_handlers) / sizeof(shifter_handlers[0]),
    .ticks = shifter_ticks,
    .tick_count = sizeof(shifter_ticks) / sizeof(shifter_ticks[0]),
};

int main(int argc, char **argv)
{
    return worker_main(argc, argv, &shifter_spec);
}
