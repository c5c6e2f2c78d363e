/*
 * traffic - commands to a deployment and weights with read-back, shared by
 *           the shifter and the rollbacker (see traffic.h).
 */
#include "saga/traffic.h"

#include "base/fault.h"
#include "base/log.h"
#include "saga/deployment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* traffic_lock_last - lock the environment's most recent started
 * deployment; 0 found, 1 none, -1 database error */
static int traffic_lock_last(struct db *db, const char *environment, struct deployment *d)
{
    const char *params[] = {environment};
    char id[37];
    PGresult *res = db_query(db,
                             "SELECT id FROM deployments WHERE environment = $1 AND NOT queued"
                             " ORDER BY created_at DESC, id DESC LIMIT 1",
                             1, params);

    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 1;
    }
    snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return deployment_lock(db, id, d);
}

/* traffic_lock - lock the deployment req names, or the one its scope picks */
static int traffic_lock(struct saga_ctx *ctx, const char *environment,
                        const struct traffic_request *req, struct deployment *d)
{
    int found;

    if (req->deployment_id != NULL)
        return deployment_lock(ctx->db, req->deployment_id, d);
    found = deployment_lock_active(ctx->db, environment, d);
    if (found == 1 && req->scope == TRAFFIC_ACTIVE_OR_LAST)
        found = traffic_lock_last(ctx->db, environment, d);
    return found;
}

/* traffic_not_found - the handler result when no deployment was found */
static int traffic_not_found(const struct cloud_event *ev, const struct traffic_request *req,
                             struct event_error *err)
{
    if (req->deployment_id != NULL)
        return event_error_set(err, EVENT_REJECTED, "no deployment %.64s in environment %s",
                               req->deployment_id, ev->subject);
    if (req->scope == TRAFFIC_ACTIVE)
        return event_error_set(err, EVENT_NOT_ALLOWED, "%s: environment %s has no deployment in flight",
                               saga_input_name(req->input.kind), ev->subject);
    log_info("no deployment in flight: nothing to roll back");
    return 0;
}

/* traffic_verdict - the handler result for the saga's verdict */
static int traffic_verdict(int verdict, const char *why, const struct deployment *d,
                           const struct traffic_request *req, struct event_error *err)
{
    const char *input = saga_input_name(req->input.kind);

    switch (verdict) {
    case SAGA_TRANSITION:
        log_info("%s applied: now %s", input, saga_state_name(d->saga.state));
        return 0;
    case SAGA_IGNORE:
    case SAGA_DEFER:
        log_info("%s %s: %s", input, saga_verdict_name((enum saga_verdict)verdict), why);
        return 0;
    case SAGA_REJECT:
        log_warn("%s rejected: %s", input, why);
        return event_error_set(err, EVENT_NOT_ALLOWED, "%s not allowed in %s: %s", input,
                               saga_state_name(d->saga.state), why);
    default:
        return event_error_set(err, EVENT_INTERNAL, "applying %s failed", input);
    }
}

/* traffic_request_apply - apply req's input to its deployment */
int traffic_request_apply(struct saga_ctx *ctx, const struct cloud_event *ev,
                          const struct traffic_request *req, struct event_error *err)
{
    struct deployment d;
    struct deployment_note note = {ev->type, ev->id, req->actor, req->reason};
    char why[256] = "";
    int found, result;

    memset(&d, 0, sizeof(d));
    found = traffic_lock(ctx, ev->subject, req, &d);
    if (found < 0) {
        result = event_error_set(err, EVENT_INTERNAL, "locking the deployment failed");
    } else if (found > 0) {
        result = traffic_not_found(ev, req, err);
    } else if (strcmp(d.environment, ev->subject) != 0) {
        result = event_error_set(err, EVENT_REJECTED, "deployment %s belongs to environment %s",
                                 d.id, d.environment);
    } else {
        log_context_set(ev->subject, d.id, ev->id);
        result = traffic_verdict(deployment_apply(ctx, &d, &req->input, &note, why, sizeof(why)),
                                 why, &d, req, err);
    }
    deployment_release(&d);
    return result;
}

/* The shift-requested actions: the saga input each is, and the worker that acts on it. */
static const struct {
    const char *name;
    enum saga_input_kind kind;
    const char *owner;
} traffic_actions[] = {
    {"shift", SAGA_IN_SHIFT, "shifter"},         {"promote", SAGA_IN_PROMOTE, "shifter"},
    {"pause", SAGA_IN_PAUSE, "shifter"},         {"resume", SAGA_IN_RESUME, "shifter"},
    {"rollback", SAGA_IN_ROLLBACK, "rollbacker"}, {"abort", SAGA_IN_ABORT, "rollbacker"},
    {"drill", SAGA_IN_DRILL, "rollbacker"},
};

/* traffic_action_find - the row of action; -1 when unknown */
static int traffic_action_find(const char *action)
{
    for (size_t i = 0; action != NULL && i < sizeof(traffic_actions) / sizeof(traffic_actions[0]);
         i++)
        if (strcmp(traffic_actions[i].name, action) == 0)
            return (int)i;
    return -1;
}

/* traffic_action_parse - a shift-requested action as its saga input */
int traffic_action_parse(const char *action, enum saga_input_kind *kind)
{
    int i = traffic_action_find(action);

    if (i >= 0)
        *kind = traffic_actions[i].kind;
    return i >= 0 ? 0 : -1;
}

/* traffic_action_owner - the worker that acts on a shift-requested action */
const char *traffic_action_owner(const char *action)
{
    int i = traffic_action_find(action);

    return i >= 0 ? traffic_actions[i].owner : "shifter";
}

/* traffic_json_string - a string member of data; NULL when absent */
const char *traffic_json_string(const cJSON *data, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(data, name);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* traffic_json_int - an integer member of data; fallback when absent */
int64_t traffic_json_int(const cJSON *data, const char *name, int64_t fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(data, name);

    return cJSON_IsNumber(item) ? (int64_t)item->valuedouble : fallback;
}

/* traffic_deployment_read - the new color, step and state of a deployment */
int traffic_deployment_read(struct saga_ctx *ctx, const char *id, struct traffic_deployment *out)
{
    struct deployment d;
    int found = deployment_load(ctx->db, id, &d);

    if (found == 0) {
        out->new_color = (enum color)d.saga.new_color;
        out->step = d.saga.step;
        out->weight = d.saga.weight;
        snprintf(out->state, sizeof(out->state), "%s", saga_state_name(d.saga.state));
    } else if (found > 0) {
        log_error("deployment %s not found", id);
    }
    deployment_release(&d);
    return found == 0 ? 0 : -1;
}

/* traffic_effect_open - an effect's provider and deployment row */
int traffic_effect_open(struct saga_ctx *ctx, const struct effect *e, const struct provider_ops **ops,
                        void **state, struct traffic_deployment *d, char *why, size_t why_len)
{
    why[0] = '\0';
    if (effect_provider(ctx, e->environment, e->env_version, ops, state, why, why_len) != 0)
        return -1;
    return traffic_deployment_read(ctx, e->deployment_id, d);
}

/* traffic_weights_for - absolute weights that give new_color share percent */
void traffic_weights_for(enum color new_color, int share, struct provider_weights *out)
{
    if (share < 0 || share > 100)
        log_panic("traffic_weights_for: share %d out of 0..100", share);
    out->green = new_color == COLOR_GREEN ? share : 100 - share;
    out->blue = 100 - out->green;
}

/* traffic_weights_json - {blue, green} */
cJSON *traffic_weights_json(const struct provider_weights *wt)
{
    cJSON *obj = cJSON_CreateObject();

    cJSON_AddNumberToObject(obj, "blue", wt->blue);
    cJSON_AddNumberToObject(obj, "green", wt->green);
    return obj;
}

/* traffic_weights_equal - same shares */
int traffic_weights_equal(const struct provider_weights *a, const struct provider_weights *b)
{
    return a->blue == b->blue && a->green == b->green;
}

/* traffic_weights_set - set want, read back; 0 when the read-back equals want */
int traffic_weights_set(const struct provider_ops *ops, void *state,
                        const struct provider_weights *want, char *err, size_t err_len)
{
    struct provider_weights got;

    if (ops->set_weights(state, want, err, err_len) != 0)
        return -1;
    if (ops->get_weights(state, &got, err, err_len) != 0)
        return -1;
    if (!traffic_weights_equal(want, &got)) {
        snprintf(err, err_len, "weights read back blue %d green %d, set blue %d green %d",
                 got.blue, got.green, want->blue, want->green);
        return -1;
    }
    return 0;
}

/* traffic_fault_point - the crash point "<worker>-<effect kind>-<when>" */
static void traffic_fault_point(struct saga_ctx *ctx, const struct effect *e, const char *when)
{
    char name[96];

    snprintf(name, sizeof(name), "%s-%s-%s", ctx->worker, saga_effect_name(e->kind), when);
    fault_point(name);
}

/* traffic_effect_set_weights - an effect's weight change, once: the intent
 * in the handle and a renewed lease before the call; after a restart, a
 * call that already landed is not made again */
int traffic_effect_set_weights(struct saga_ctx *ctx, struct effect *e,
                               const struct provider_ops *ops, void *state,
                               const struct provider_weights *want, char *err, size_t err_len)
{
    char intent[sizeof(e->handle)];
    struct provider_weights got;
    int result;

    snprintf(intent, sizeof(intent), "blue=%d green=%d", want->blue, want->green);
    if (strcmp(e->handle, intent) == 0 && ops->get_weights(state, &got, err, err_len) == 0
        && traffic_weights_equal(want, &got)) {
        log_info("weights already blue %d green %d: the call before a restart landed",
                 want->blue, want->green);
        return 0;
    }
    snprintf(e->handle, sizeof(e->handle), "%s", intent);
    if (effect_record(ctx, e) != 0) /* the intent, and a renewed lease before a slow call */
        return -1;
    traffic_fault_point(ctx, e, "before-call");
    fault_delay(saga_effect_name(e->kind));
    result = traffic_weights_set(ops, state, want, err, err_len);
    traffic_fault_point(ctx, e, "after-call");
    if (result == 0)
        effect_count_provider_call(ctx, e);
    return result;
}
