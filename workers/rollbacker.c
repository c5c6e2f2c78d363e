/*
 * rollbacker - cutover-rollbacker: the compensating path of the saga.
 *
 * DESCRIPTION
 *	Consumes alarm-fired (ALARM and OK, from monitoring), shift-requested
 *	(only the actions rollback and abort) and green-validated (only a
 *	verdict that failed, with the failing checks as the reason), and
 *	applies them to the deployment's saga. An alarm names no deployment:
 *	it goes to the environment's active one, or, when nothing is in
 *	flight, to its most recent one, where the saga ignores it and the
 *	reason lands in that deployment's history ("alarm after completed
 *	changes nothing"). An operator's rollback or abort with nothing in
 *	flight goes to dead-letter as not-allowed ("rollback: environment E
 *	has no deployment in flight"), so that `cutover rollback --wait`
 *	tells the operator that nothing was rolled back.
 *
 *	Performs restore-weights (100 % on the old color) and
 *	scale-new-to-zero (after draining), and then tells the saga
 *	ROLLED_BACK; and an operator's rollback drill, drill-restore and
 *	drill-return (saga/drill.h).
 *
 *	Guards the instant rollback (saga/guard.h): every
 *	CUTOVER_ROLLBACK_GUARD_MS, for each deployment whose traffic may have
 *	moved, checks that the old color still has its capacity, all of it
 *	healthy; when not, records it, pauses a running canary and asks the
 *	provider for the old color's capacity back.
 *
 *	Records each color's health (saga/health.h): every
 *	CUTOVER_HEALTH_CHECK_MS it reads both colors of its environments
 *	from the provider and writes color_health where a reading changed,
 *	for cutover status, cutover watch and the status page.
 *
 *	Why a rollback wins every race with a promotion in flight:
 *
 *	1. Epochs. Entering rolling-back raises the deployment's epoch in the
 *	   same transaction that writes restore-weights. From then on every
 *	   set-weights effect of the old epoch is stale: it is never claimed
 *	   again, the shifter checks effect_current() just before its provider
 *	   call and drops it, and a SHIFTED, STEP_DUE or PROMOTE that arrives
 *	   later carries the old epoch (or meets rolling-back) and is ignored.
 *	   So nothing new can start moving traffic forward.
 *	2. Read back and assert again. A shift call that was already past its
 *	   epoch check can still land after our restore: a check and a call
 *	   are never one atomic step across two processes. restore-weights
 *	   therefore sets 100 % old color at once (a fast rollback), then
 *	   waits while any set-weights effect of the deployment is running
 *	   (or drill-return: a drill's call that gives the new color its
 *	   share back) under a live lease, then reads the weights back and
 *	   sets them again when they differ. The shifter renews its lease right before its
 *	   call, so a call in flight is always covered by a live lease; when
 *	   its process dies instead, the lease runs out and whatever its call
 *	   did is already in the load balancer, where the read-back sees it.
 *	   The last write to the weights is therefore always the rollback's.
 *	3. scale-new-to-zero waits until restore-weights of its epoch is done,
 *	   so the new color never loses its instances while it still has a
 *	   share; ROLLED_BACK is applied only after both.
 */
#include "base/fault.h"
#include "base/log.h"
#include "saga/drill.h"
#include "saga/effect.h"
#include "saga/traffic.h"
#include "saga/saga_worker.h"
#include "worker/worker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROLLBACKER_REASON_MAX 512

/* rollbacker_apply - apply req to its deployment, then claim in the same
 * transaction the effect it wrote for the rollbacker (restore-weights), so
 * that this process performs it right after the commit */
static int rollbacker_apply(struct worker *w, const struct cloud_event *ev,
                            const struct traffic_request *req, struct event_error *err)
{
    struct saga_ctx *ctx = saga_ctx_of(w);

    if (traffic_request_apply(ctx, ev, req, err) != 0)
        return -1;
    if (effect_claim_now(ctx, ev->subject) < 0)
        return event_error_set(err, EVENT_INTERNAL, "claiming the rollback's effect failed");
    return 0;
}

/* rollbacker_alarm_fired - monitoring: ALARM rolls back, OK is recorded */
static int rollbacker_alarm_fired(struct worker *w, const struct cloud_event *ev,
                                  struct event_error *err)
{
    const char *state = traffic_json_string(ev->data, "state");
    char reason[ROLLBACKER_REASON_MAX];
    struct traffic_request req = {
        .scope = TRAFFIC_ACTIVE_OR_LAST,
        .input = {.kind = state && strcmp(state, "OK") == 0 ? SAGA_IN_ALARM_OK : SAGA_IN_ALARM},
        .actor = traffic_json_string(ev->data, "source"),
        .reason = reason,
    };

    snprintf(reason, sizeof(reason), "alarm %s %s (%s): %s",
             traffic_json_string(ev->data, "alarm"), state ? state : "?",
             traffic_json_string(ev->data, "severity"), traffic_json_string(ev->data, "reason"));
    return rollbacker_apply(w, ev, &req, err);
}

/* rollbacker_shift_requested - an operator's rollback, abort or drill; with
 * nothing in flight it is not allowed, as the shifter's commands are */
static int rollbacker_shift_requested(struct worker *w, const struct cloud_event *ev,
                                      struct event_error *err)
{
    const char *action = traffic_json_string(ev->data, "action");
    struct traffic_request req = {
        .deployment_id = traffic_json_string(ev->data, "deployment_id"),
        .scope = TRAFFIC_ACTIVE,
        .actor = traffic_json_string(ev->data, "requested_by"),
        .reason = traffic_json_string(ev->data, "reason"),
    };

    if (traffic_action_parse(action, &req.input.kind) != 0)
        return event_error_set(err, EVENT_REJECTED, "unknown action \"%s\"",
                               action ? action : "(none)");
    if (strcmp(traffic_action_owner(action), "rollbacker") != 0) {
        log_info("%s: left to the %s", action, traffic_action_owner(action));
        return 0;
    }
    return rollbacker_apply(w, ev, &req, err);
}

/* rollbacker_failed_checks - "validation failed: name: detail; ..." (capped) */
static void rollbacker_failed_checks(const cJSON *data, char *out, size_t out_len)
{
    const cJSON *check;
    size_t used = (size_t)snprintf(out, out_len, "validation failed");
    const char *sep = ": ";

    cJSON_ArrayForEach(check, cJSON_GetObjectItemCaseSensitive(data, "checks")) {
        if (used >= out_len || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(check, "passed")))
            continue;
        used += (size_t)snprintf(out + used, out_len - used, "%s%s: %s", sep,
                                 traffic_json_string(check, "name"),
                                 traffic_json_string(check, "detail"));
        sep = "; ";
    }
}

/* rollbacker_green_validated - a failed validation fails the deployment */
static int rollbacker_green_validated(struct worker *w, const struct cloud_event *ev,
                                      struct event_error *err)
{
    char reason[ROLLBACKER_REASON_MAX];
    struct traffic_request req = {
        .deployment_id = traffic_json_string(ev->data, "deployment_id"),
        .scope = TRAFFIC_ACTIVE,
        .input = {.kind = SAGA_IN_VALIDATION_FAILED,
                  .epoch = traffic_json_int(ev->data, "epoch", 0)},
        .actor = ev->source,
        .reason = reason,
    };

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev->data, "passed"))) {
        log_info("validation passed: left to the shifter");
        return 0;
    }
    rollbacker_failed_checks(ev->data, reason, sizeof(reason));
    return rollbacker_apply(w, ev, &req, err);
}

/* rollbacker_count_open - open effects of the kinds (a PostgreSQL array)
 * for the deployment: with a live lease (running only), or of the effect's
 * epoch; -1 on error */
static int rollbacker_count_open(struct saga_ctx *ctx, const struct effect *e, const char *kinds,
                                 int live_lease)
{
    char epoch[24];
    const char *params[] = {e->deployment_id, kinds, epoch};
    PGresult *res;
    int count;

    snprintf(epoch, sizeof(epoch), "%" PRId64, e->epoch);
    res = live_lease
              ? db_query(ctx->db,
                         "SELECT count(*) FROM effects WHERE deployment_id = $1"
                         " AND kind = ANY($2::text[])"
                         " AND status = 'running' AND lease_until > now()",
                         2, params)
              : db_query(ctx->db,
                         "SELECT count(*) FROM effects WHERE deployment_id = $1"
                         " AND kind = ANY($2::text[])"
                         " AND epoch = $3::bigint AND status IN ('pending', 'running')",
                         3, params);
    if (res == NULL)
        return -1;
    count = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return count;
}

/* rollbacker_assert_weights - set want when the load balancer does not
 * hold it; on the effect's first step of its first try nothing of it has
 * reached the provider yet, so the call goes out without reading first
 * (the read costs a round trip on the rollback's way); 0 when the load
 * balancer holds want */
static int rollbacker_assert_weights(struct saga_ctx *ctx, struct effect *e,
                                     const struct provider_ops *ops, void *state,
                                     const struct provider_weights *want, char *err,
                                     size_t err_len)
{
    struct provider_weights got;
    int result;

    if (e->attempts > 1 || e->handle[0] != '\0') {
        if (ops->get_weights(state, &got, err, err_len) != 0)
            return -1;
        if (traffic_weights_equal(&got, want))
            return 0;
        log_info("weights are blue %d green %d: restoring blue %d green %d", got.blue,
                 got.green, want->blue, want->green);
    }
    snprintf(e->handle, sizeof(e->handle), "blue=%d green=%d", want->blue, want->green);
    fault_point("rollbacker-restore-weights-before-call");
    result = traffic_weights_set(ops, state, want, err, err_len);
    fault_point("rollbacker-restore-weights-after-call");
    if (result == 0) /* counted after the call, as every weight change: off the rollback's way */
        effect_count_provider_call(ctx, e);
    return result;
}

/* rollbacker_restore_weights_step - 100 % old color, held until no shift
 * call of the deployment can still land (see the race notes above) */
static enum effect_step rollbacker_restore_weights_step(struct saga_ctx *ctx, struct effect *e)
{
    const struct provider_ops *ops;
    void *state;
    struct traffic_deployment d;
    struct provider_weights want;
    char why[512] = "";
    int in_flight;

    if (traffic_effect_open(ctx, e, &ops, &state, &d, why, sizeof(why)) != 0) {
        log_warn("restore-weights waits: %s", why[0] ? why : "database error");
        return EFFECT_WAIT;
    }
    traffic_weights_for(d.new_color, 0, &want);
    if (rollbacker_assert_weights(ctx, e, ops, state, &want, why, sizeof(why)) != 0) {
        log_warn("restore-weights retried on the next tick: %s", why);
        return EFFECT_WAIT;
    }
    if ((in_flight = rollbacker_count_open(ctx, e, "{set-weights,drill-return}", 1)) != 0) {
        log_debug("restore-weights waits: %d shift or drill call(s) may still land", in_flight);
        return EFFECT_WAIT;
    }
    if (rollbacker_assert_weights(ctx, e, ops, state, &want, why, sizeof(why)) != 0) {
        log_warn("restore-weights retried on the next tick: %s", why);
        return EFFECT_WAIT;
    }
    log_info("weights restored: blue %d green %d", want.blue, want.green);
    return effect_finish(ctx, e, EFFECT_DONE, NULL, NULL, NULL) == 0 ? EFFECT_DONE : EFFECT_WAIT;
}

/* rollbacker_scale_to_zero - ask for zero instances, once per attempt (the
 * handle names the attempt that asked). A later attempt asks again unless
 * the provider shows none asked for and none running: the call it finds
 * recorded may have been cut short (the local provider records the count
 * before it stops each slot), and asking again converges */
static int rollbacker_scale_to_zero(struct saga_ctx *ctx, struct effect *e,
                                    const struct provider_ops *ops, void *state, enum color c,
                                    char *err, size_t err_len)
{
    struct provider_health h;
    int asked_in = 0;

    if (e->handle[0] != '\0') {
        if (sscanf(e->handle, "%*[a-z]=0 attempt=%d", &asked_in) == 1 && asked_in == e->attempts)
            return 0;
        if (ops->health(state, c, &h, err, err_len) != 0)
            return -1;
        if (h.desired == 0 && h.running == 0)
            return 0;
        log_info("%s: an earlier attempt asked for 0 and %d instance(s) still run: asking again",
                 color_name(c), h.running);
    }
    snprintf(e->handle, sizeof(e->handle), "%s=0 attempt=%d", color_name(c), e->attempts);
    if (effect_record(ctx, e) != 0)
        return -1;
    fault_point("rollbacker-scale-new-to-zero-before-call");
    if (ops->scale(state, c, 0, err, err_len) != 0)
        return -1;
    fault_point("rollbacker-scale-new-to-zero-after-call");
    effect_count_provider_call(ctx, e);
    return 0;
}

/* rollbacker_drained - 1 when no instance of color c runs, 0 not yet, -1 error */
static int rollbacker_drained(const struct provider_ops *ops, void *state, enum color c,
                              char *err, size_t err_len)
{
    struct provider_health h;

    if (ops->health(state, c, &h, err, err_len) != 0)
        return -1;
    return h.running == 0;
}

/* rollbacker_scale_new_to_zero_step - new color to zero after the weights
 * are back; then ROLLED_BACK (only meaningful in rolling-back) */
static enum effect_step rollbacker_scale_new_to_zero_step(struct saga_ctx *ctx, struct effect *e)
{
    const struct provider_ops *ops;
    void *state;
    struct traffic_deployment d;
    struct saga_input in = {.kind = SAGA_IN_ROLLED_BACK, .epoch = e->epoch};
    char why[512] = "";
    int drained;

    if (rollbacker_count_open(ctx, e, "{restore-weights}", 0) != 0)
        return EFFECT_WAIT; /* the weights first (or a database error: retry) */
    if (traffic_effect_open(ctx, e, &ops, &state, &d, why, sizeof(why)) != 0 ||
        rollbacker_scale_to_zero(ctx, e, ops, state, d.new_color, why, sizeof(why)) != 0) {
        log_warn("scale-new-to-zero waits: %s", why[0] ? why : "database error");
        return EFFECT_WAIT;
    }
    if ((drained = rollbacker_drained(ops, state, d.new_color, why, sizeof(why))) != 1) {
        log_msg(drained < 0 ? LOG_WARN : LOG_DEBUG, "scale-new-to-zero waits: %s",
                drained < 0 ? why : "draining");
        return EFFECT_WAIT;
    }
    log_info("%s scaled to zero", color_name(d.new_color));
    if (effect_finish(ctx, e, EFFECT_DONE, strcmp(d.state, "rolling-back") == 0 ? &in : NULL, NULL,
                      NULL) != 0)
        return EFFECT_WAIT;
    return EFFECT_DONE;
}

static const struct worker_handler rollbacker_handlers[] = {
    {"alarm-fired", rollbacker_alarm_fired},
    {"shift-requested", rollbacker_shift_requested},
    {"green-validated", rollbacker_green_validated},
};

static const struct effect_handler rollbacker_effects[] = {
    {SAGA_FX_RESTORE_WEIGHTS, rollbacker_restore_weights_step},
    {SAGA_FX_SCALE_NEW_TO_ZERO, rollbacker_scale_new_to_zero_step},
    {SAGA_FX_DRILL_RESTORE, drill_restore_step},
    {SAGA_FX_DRILL_RETURN, drill_return_step},
};

static const struct saga_effects rollbacker_saga = SAGA_EFFECTS(rollbacker_effects);

static const struct worker_tick rollbacker_ticks[] = {
    SAGA_TICK(&rollbacker_saga),
    SAGA_GUARD_TICK,
    SAGA_HEALTH_TICK,
};

static const struct worker_spec rollbacker_spec = {
    .name = "rollbacker",
    .summary = "Consumes alarm-fired, rollbacks and failed validations; restores the old color.",
    .handlers = rollbacker_handlers,
    .handler_count = sizeof(rollbacker_handlers) / sizeof(rollbacker_handlers[0]),
    .ticks = rollbacker_ticks,
    .tick_count = sizeof(rollbacker_ticks) / sizeof(rollbacker_ticks[0]),
};

int main(int argc, char **argv)
{
    return worker_main(argc, argv, &rollbacker_spec);
}
