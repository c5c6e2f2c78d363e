/*
 * deployment_apply - feeding an input to a locked deployment (see
 *                    deployment.h): the pure machine's verdict, the new
 *                    state and its history, and what the outcome's effects
 *                    become inside the same transaction: provider effects
 *                    are written to the effects table for their owning
 *                    worker; timers, epochs, the live color, the status
 *                    event and starting the next queued deployment are
 *                    done right here. Starting the next deployment applies
 *                    START to it, so apply, perform and start live in this
 *                    one file.
 */
#include "saga/deployment.h"

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
static int deployment_effect_add(struct saga_ctx *ctx, const struct deployment *d,
                                 const struct saga_effect *fx)
{
    char epoch[32], arg[16];
    const char *params[] = {d->id, d->environment,
                            deployment_int_text(epoch, sizeof(epoch), d->saga.epoch),
                            saga_effect_name(fx->kind),
                            deployment_int_text(arg, sizeof(arg), deployment_effect_arg(d, fx)),
                            effect_owner(fx->kind)};

    return db_exec(ctx->db,
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
        {SAGA_MIGRATING, "timeouts/migrate"},
        {SAGA_FLUSHING_CACHES, "timeouts/flush"},
    };

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if ((int)paths[i].stage == stage)
            return deployment_env_int(d, paths[i].path, DEPLOYMENT_DEFAULT_STAGE_SECONDS);
    }
    return DEPLOYMENT_DEFAULT_STAGE_SECONDS;
}

/* deployment_timer_add - a durable timer, on the database's clock */
static int deployment_timer_add(struct saga_ctx *ctx, const struct deployment *d, const char *kind,
                                long seconds)
{
    char epoch[32], step[16], secs[32];
    const char *params[] = {d->id, kind, deployment_int_text(epoch, sizeof(epoch), d->saga.epoch),
                            saga_state_name(d->saga.state),
                            deployment_int_text(step, sizeof(step), d->saga.step),
                            deployment_int_text(secs, sizeof(secs), seconds)};

    return db_exec(ctx->db,
                   "INSERT INTO timers (deployment_id, kind, epoch, armed_in, step, fire_at)"
                   " VALUES ($1::uuid, $2, $3, $4, $5, now() + make_interval(secs => $6::int))",
                   6, params);
}

/* deployment_cancel_timers - every timer armed so far, and a running
 * analysis, in one statement (a data-modifying WITH runs whether or not
 * the query reads it): one round trip on every transition's way */
static int deployment_cancel_timers(struct saga_ctx *ctx, const struct deployment *d)
{
    const char *params[] = {d->id};

    return db_exec(ctx->db,
                   "WITH analyses_cancelled AS (UPDATE analyses SET status = 'cancelled',"
                   " finished_at = now() WHERE deployment_id = $1::uuid AND status = 'running')"
                   " UPDATE timers SET cancelled_at = now() WHERE deployment_id = $1::uuid"
                   " AND fired_at IS NULL AND cancelled_at IS NULL",
                   1, params);
}

/* deployment_analysis_start - the current step's analysis runs for its pause
 * (saga/analysis.h performs it) */
static int deployment_analysis_start(struct saga_ctx *ctx, const struct deployment *d,
                                     long pause_seconds)
{
    char epoch[32], step[16], secs[32];
    const char *params[] = {d->id, d->environment,
                            deployment_int_text(epoch, sizeof(epoch), d->saga.epoch),
                            deployment_int_text(step, sizeof(step), d->saga.step),
                            deployment_int_text(secs, sizeof(secs), pause_seconds)};

    return db_exec(ctx->db,
                   "INSERT INTO analyses (deployment_id, environment, epoch, step, pause_seconds)"
                   " VALUES ($1::uuid, $2, $3, $4, $5)",
                   5, params);
}

/* deployment_fence - effects of an older epoch that have not started never will */
static int deployment_fence(struct saga_ctx *ctx, const struct deployment *d)
{
    char epoch[32];
    const char *params[] = {d->id, deployment_int_text(epoch, sizeof(epoch), d->saga.epoch)};

    return db_exec(ctx->db,
                   "UPDATE effects SET status = 'cancelled', finished_at = now()"
                   " WHERE deployment_id = $1::uuid AND status = 'pending' AND epoch < $2",
                   2, params);
}

/* deployment_flip - the color that now takes all traffic */
static int deployment_flip(struct saga_ctx *ctx, const struct deployment *d, int color)
{
    const char *params[] = {d->environment, color_name((enum color)color)};

    return db_exec(ctx->db,
                   "UPDATE environments SET live_color = $2, updated_at = now() WHERE name = $1",
                   2, params);
}

/* deployment_status - the deployment-status event of a change of state */
static int deployment_status(struct saga_ctx *ctx, const struct deployment *d,
                             const struct saga_state *before, const char *reason)
{
    cJSON *data = cJSON_CreateObject();

    cJSON_AddStringToObject(data, "state", saga_state_name(d->saga.state));
    cJSON_AddStringToObject(data, "previous", saga_state_name(before->state));
    cJSON_AddStringToObject(data, "reason", reason);
    cJSON_AddStringToObject(data, "version", d->version);
    cJSON_AddStringToObject(data, "build_id", d->build_id);
    return deployment_emit(ctx, d, "deployment-status", data);
}

/* deployment_start_next - the oldest queued build, once nothing is active */
static int deployment_start_next(struct saga_ctx *ctx, const struct deployment *d)
{
    const char *params[] = {d->environment};
    struct deployment next;
    struct deployment_note note = {"saga:start-next", NULL, ctx->worker,
                                   "the previous deployment ended"};
    PGresult *res = db_query(ctx->db,
                             "SELECT id FROM deployments WHERE environment = $1 AND queued"
                             " AND NOT EXISTS (SELECT 1 FROM deployments a WHERE"
                             " a.environment = $1 AND NOT a.queued AND NOT deployment_finished(a.state))"
                             " ORDER BY created_at LIMIT 1",
                             1, params);
    int rc = res ? 0 : -1;

    if (res && PQntuples(res) == 1 && deployment_lock(ctx->db, PQgetvalue(res, 0, 0), &next) == 0) {
        rc = deployment_start(ctx, &next, &note);
        deployment_release(&next);
    }
    if (res)
        PQclear(res);
    return rc;
}

/* deployment_perform_one - one effect of an outcome */
static int deployment_perform_one(struct saga_ctx *ctx, struct deployment *d,
                                  const struct saga_state *before, const struct saga_effect *fx,
                                  const char *reason)
{
    switch (fx->kind) {
    case SAGA_FX_START_STEP_TIMER:
        return deployment_timer_add(ctx, d, "step-due", fx->arg);
    case SAGA_FX_START_BAKE_TIMER:
        return deployment_timer_add(ctx, d, "bake-done",
                                    deployment_env_int(d, "bake_seconds",
                                                       DEPLOYMENT_DEFAULT_BAKE_SECONDS));
    case SAGA_FX_START_STAGE_TIMER:
        return deployment_timer_add(ctx, d, "stage-timeout", deployment_stage_seconds(d, fx->arg));
    case SAGA_FX_CANCEL_TIMERS:
        return deployment_cancel_timers(ctx, d);
    case SAGA_FX_START_ANALYSIS:
        return deployment_analysis_start(ctx, d, fx->arg);
    case SAGA_FX_RAISE_EPOCH:
        return deployment_fence(ctx, d);
    case SAGA_FX_FLIP_LIVE_COLOR:
        return deployment_flip(ctx, d, fx->arg);
    case SAGA_FX_EMIT_STATUS:
        return deployment_status(ctx, d, before, reason);
    case SAGA_FX_START_NEXT:
        return deployment_start_next(ctx, d);
    default:
        if (effect_owner(fx->kind) == NULL)
            log_panic("deployment_perform_one: effect %s has no owner", saga_effect_name(fx->kind));
        return deployment_effect_add(ctx, d, fx);
    }
}

/* deployment_perform - carry out an outcome's effects in order */
static int deployment_perform(struct saga_ctx *ctx, struct deployment *d, const struct saga_state *before,
                       const struct saga_outcome *out, const char *reason)
{
    for (size_t i = 0; i < out->effect_count; i++) {
        if (deployment_perform_one(ctx, d, before, &out->effects[i], reason) != 0)
            return -1;
    }
    return 0;
}

/* deployment_history - the audit row of one input */
static int deployment_history(struct db *db, const struct deployment *d, const char *from,
                              const char *to, const struct deployment_note *note,
                              const char *reason)
{
    char epoch[32];
    const char *params[] = {d->id, from, to, note->event_type, note->event_id, note->actor,
                            reason, epoch};

    snprintf(epoch, sizeof(epoch), "%lld", (long long)d->saga.epoch);
    return db_exec(db,
                   "INSERT INTO transitions (deployment_id, from_state, to_state, event_type,"
                   " event_id, actor, reason, epoch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                   8, params);
}

/* deployment_record - an audit row about d that changes no state */
int deployment_record(struct saga_ctx *ctx, const struct deployment *d,
                      const struct deployment_note *note)
{
    const char *state = saga_state_name(d->saga.state);

    return deployment_history(ctx->db, d, state, state, note, note->reason);
}

/* deployment_persist - write the saga's new state */
static int deployment_persist(struct db *db, const struct deployment *d, const char *reason)
{
    char epoch[32], weight[8], step[8];
    const char *params[] = {d->id, saga_state_name(d->saga.state), epoch,
                            color_name((enum color)d->saga.new_color), weight, step,
                            d->saga.retiring ? "true" : "false", reason};

    snprintf(epoch, sizeof(epoch), "%lld", (long long)d->saga.epoch);
    snprintf(weight, sizeof(weight), "%d", d->saga.weight);
    snprintf(step, sizeof(step), "%d", d->saga.step);
    return db_exec(db,
                   "UPDATE deployments SET state = $2, epoch = $3, new_color = $4,"
                   " weight_new = $5, step = $6, retiring = $7,"
                   " reason = coalesce(nullif($8, ''), reason), updated_at = now(),"
                   " finished_at = CASE WHEN deployment_finished($2) THEN now() END"
                   " WHERE id = $1::uuid",
                   8, params);
}

/* deployment_is_command - an operator's command to the deployment */
static int deployment_is_command(enum saga_input_kind kind)
{
    return kind == SAGA_IN_SHIFT || kind == SAGA_IN_PROMOTE || kind == SAGA_IN_PAUSE
           || kind == SAGA_IN_RESUME || kind == SAGA_IN_ROLLBACK || kind == SAGA_IN_ABORT;
}

/* deployment_cause - why the input changes the deployment's course: the
 * event's own reason, an operator's command with who asked, a deadline
 * that passed, the old color retired; "" for progress (scaled, shifted,
 * rolled-back, ...), which keeps the cause the row already holds */
static void deployment_cause(const struct saga_input *in, const struct saga_state *before,
                             const struct deployment_note *note, char *out, size_t len)
{
    const char *said = note->reason && *note->reason ? note->reason : NULL;

    if (deployment_is_command(in->kind))
        snprintf(out, len, "%s requested by %s%s%s", saga_input_name(in->kind),
                 note->actor && *note->actor ? note->actor : "an operator", said ? ": " : "",
                 said ? said : "");
    else if (said)
        snprintf(out, len, "%s", said);
    else if (in->kind == SAGA_IN_STAGE_TIMEOUT)
        snprintf(out, len, "%s took longer than its deadline", saga_state_name(before->state));
    else if (in->kind == SAGA_IN_RETIRED)
        snprintf(out, len, "the old color was retired after the bake");
    else
        out[0] = '\0';
}

/* deployment_reason - what the audit row and the row's reason say: the
 * table's reason and the input's cause. The row keeps its reason when
 * this is empty (coalesce in deployment_persist), so that a deployment
 * that ends by progress (rolled-back after an abort) ends with its cause,
 * while every cause (an empty operator reason included) replaces the
 * reason the build was accepted with. */
static void deployment_reason(const struct saga_input *in, const struct saga_state *before,
                              const struct deployment_note *note, const char *table,
                              char *out, size_t len)
{
    char cause[384];
    int n;

    deployment_cause(in, before, note, cause, sizeof(cause));
    if (*cause && *table)
        n = snprintf(out, len, "%s: %s", table, cause);
    else
        n = snprintf(out, len, "%s", *cause ? cause : table);
    if (n >= (int)len)
        log_debug("reason cut to %zu bytes", len - 1);
}

/* deployment_apply - feed one input and write what comes out */
int deployment_apply(struct saga_ctx *ctx, struct deployment *d, const struct saga_input *in,
                     const struct deployment_note *note, char *why, size_t why_len)
{
    struct saga_outcome out;
    struct saga_state before = d->saga;
    char reason[512];
    const char *from = saga_state_name(before.state);

    if (saga_apply(&d->saga, in, &out) != 0) {
        log_error("saga refused input %s: %s", saga_input_name(in->kind), out.reason);
        out.verdict = SAGA_REJECT;
    }
    snprintf(why, why_len, "%s", out.reason);
    if (out.verdict != SAGA_TRANSITION) {
        snprintf(reason, sizeof(reason), "%s %s: %s", saga_verdict_name(out.verdict),
                 saga_input_name(in->kind), out.reason);
        log_info("%s", reason);
        return deployment_history(ctx->db, d, from, from, note, reason) == 0
                   ? (int)out.verdict : -1;
    }
    deployment_reason(in, &before, note, out.reason, reason, sizeof(reason));
    d->saga = out.next;
    if (deployment_persist(ctx->db, d, reason) != 0
        || deployment_history(ctx->db, d, from, saga_state_name(d->saga.state), note,
                              reason) != 0
        || deployment_perform(ctx, d, &before, &out, reason) != 0)
        return -1;
    if (before.state != d->saga.state)
        log_info("%s -> %s (%s)", from, saga_state_name(d->saga.state), saga_input_name(in->kind));
    return SAGA_TRANSITION;
}

/* deployment_start - give a received deployment its colors and apply START */
int deployment_start(struct saga_ctx *ctx, struct deployment *d, const struct deployment_note *note)
{
    enum color live = COLOR_BLUE;
    struct saga_input in = {.kind = SAGA_IN_START};
    char why[256];

    color_parse(d->live_color, &live);
    const char *params[] = {d->id, color_name(color_other(live)), color_name(live)};
    if (db_exec(ctx->db,
                "UPDATE deployments SET queued = false, new_color = $2, old_color = $3"
                " WHERE id = $1::uuid",
                3, params) != 0)
        return -1;
    d->queued = 0;
    d->saga.new_color = (int)color_other(live);
    return deployment_apply(ctx, d, &in, note, why, sizeof(why)) < 0 ? -1 : 0;
}

/* deployment_event_apply - feed a worker event to its locked deployment */
static int deployment_event_apply(struct saga_ctx *ctx, const struct cloud_event *ev,
                                  struct deployment *d, enum saga_input_kind kind,
                                  struct event_error *err)
{
    const cJSON *epoch = cJSON_GetObjectItemCaseSensitive(ev->data, "epoch");
    struct saga_input in = {.kind = kind};
    struct deployment_note note = {ev->type, ev->id, ev->source, NULL};
    char why[256] = "";
    int verdict;

    if (!cJSON_IsNumber(epoch))
        return event_error_set(err, EVENT_REJECTED, "%s without an epoch", ev->type);
    if (strcmp(d->environment, ev->subject) != 0)
        return event_error_set(err, EVENT_REJECTED, "deployment %s belongs to %s, not %s",
                               d->id, d->environment, ev->subject);
    in.epoch = (int64_t)epoch->valuedouble;
    verdict = deployment_apply(ctx, d, &in, &note, why, sizeof(why));
    if (verdict < 0)
        return event_error_set(err, EVENT_INTERNAL, "applying %s failed", saga_input_name(kind));
    return 0;
}

/* deployment_apply_event - a worker event fed to its deployment */
int deployment_apply_event(struct saga_ctx *ctx, const struct cloud_event *ev,
                           enum saga_input_kind kind, struct event_error *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev->data, "deployment_id");
    const char *text = cJSON_IsString(id) ? id->valuestring : "";
    struct deployment d;
    int found, rc;

    log_context_set(ev->subject, text, ev->id);
    found = deployment_lock(ctx->db, text, &d);
    if (found < 0)
        rc = event_error_set(err, EVENT_INTERNAL, "locking deployment %s failed", text);
    else if (found > 0)
        rc = event_error_set(err, EVENT_REJECTED, "no deployment %.64s", text);
    else
        rc = deployment_event_apply(ctx, ev, &d, kind, err);
    deployment_release(&d);
    return rc;
}
