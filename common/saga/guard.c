/*
 * guard - the instant-rollback guarantee (see guard.h): the old color's
 *         health against its capacity while traffic may have moved, the
 *         verdict recorded once per change, a canary paused and the old
 *         color's capacity asked back while it is degraded.
 */
#include "saga/guard.h"

#include "base/config.h"
#include "base/log.h"
#include "saga/deployment.h"
#include "saga/effect_provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Degraded readings of one deployment in a row, in this process. */
struct guard_strikes {
    char id[37];
    int count;
};

static struct guard_strikes guard_strikes[GUARD_PER_CHECK];

struct guard_probe {
    char environment[64];
    enum color old_color;
    int capacity;
    int ready;
    int known;    /* the verdict the row holds: 1, 0, or -1 none yet */
    int pausable; /* a canary that is shifting */
    char why[256];
    const struct provider_ops *ops;
    void *state;
};

/* guard_guarded - whether the old color is guarded in d's state: traffic
 * may have moved, the deployment is not over, not rolling back and the
 * old color not retiring (nor retired: contracting) */
static int guard_guarded(const struct saga_state *st)
{
    return saga_has_shifted(st->state) && !saga_is_terminal(st->state)
           && st->state != SAGA_ROLLING_BACK && st->state != SAGA_CONTRACTING && !st->retiring;
}

/* guard_states - the guarded states as a PostgreSQL array */
static const char *guard_states(char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "{");

    for (int k = 0; k < SAGA_STATE_COUNT && n < len; k++) {
        struct saga_state st = {.state = (enum saga_state_kind)k};

        if (guard_guarded(&st))
            n += (size_t)snprintf(out + n, len - n, "%s%s", n > 1 ? "," : "",
                                  saga_state_name(st.state));
    }
    if (n < len)
        snprintf(out + n, len - n, "}");
    return out;
}

/* guard_targets - the guarded deployments of this process's environments */
static PGresult *guard_targets(struct saga_ctx *ctx)
{
    char states[256], limit[16];
    const char *params[] = {guard_states(states, sizeof(states)),
                            config_get("CUTOVER_ENVIRONMENTS"), limit};

    snprintf(limit, sizeof(limit), "%d", GUARD_PER_CHECK);
    return db_query(ctx->db,
                    "SELECT id, coalesce(rollback_ready::int, -1) FROM deployments"
                    " WHERE NOT queued AND NOT retiring"
                    " AND state = ANY($1::text[]) AND environment ~ $2"
                    " ORDER BY environment LIMIT $3::int",
                    3, params);
}

/* guard_health - the old color's verdict from the provider; 0 or -1 (logged) */
static int guard_health(struct guard_probe *pr)
{
    struct provider_health h;
    char err[512];

    if (pr->ops->health(pr->state, pr->old_color, &h, err, sizeof(err)) != 0) {
        log_warn("rollback guard: reading %s health in %s: %s", color_name(pr->old_color),
                 pr->environment, err);
        return -1;
    }
    pr->ready = h.desired == pr->capacity && h.healthy >= pr->capacity;
    snprintf(pr->why, sizeof(pr->why), "%s has %d of %d instances healthy (desired %d)",
             color_name(pr->old_color), h.healthy, pr->capacity, h.desired);
    return 0;
}

/* guard_probe - the old color of deployment id, and its verdict; 0 or -1 */
static int guard_probe(struct saga_ctx *ctx, const char *id, struct guard_probe *pr)
{
    struct deployment d;
    char err[512];
    int rc = -1;

    memset(pr, 0, sizeof(*pr));
    if (deployment_load(ctx->db, id, &d) != 0)
        goto out;
    snprintf(pr->environment, sizeof(pr->environment), "%s", d.environment);
    pr->old_color = color_other(d.saga.new_color == COLOR_GREEN ? COLOR_GREEN : COLOR_BLUE);
    pr->capacity = (int)deployment_env_int(&d, "capacity", DEPLOYMENT_DEFAULT_CAPACITY);
    pr->pausable = d.saga.state == SAGA_SHIFTING && d.saga.strategy.kind == SAGA_CANARY;
    if (effect_provider(ctx, d.environment, 0, &pr->ops, &pr->state, err, sizeof(err)) != 0)
        log_warn("rollback guard: %s: %s", d.environment, err);
    else
        rc = guard_health(pr);
out:
    deployment_release(&d);
    return rc;
}

/* guard_known - the recorded verdict of a locked deployment: 1, 0, or -1 none */
static int guard_known(struct saga_ctx *ctx, const char *id)
{
    const char *params[] = {id};
    PGresult *res = db_query(ctx->db,
                             "SELECT coalesce(rollback_ready::int, -1) FROM deployments"
                             " WHERE id = $1::uuid",
                             1, params);
    int known = res && PQntuples(res) == 1 ? (int)strtol(PQgetvalue(res, 0, 0), NULL, 10) : -1;

    if (res)
        PQclear(res);
    return known;
}

/* guard_write - the verdict and its reason into the row */
static int guard_write(struct saga_ctx *ctx, const char *id, const struct guard_probe *pr)
{
    const char *params[] = {id, pr->ready ? "true" : "false", pr->why};

    return db_exec(ctx->db,
                   "UPDATE deployments SET rollback_ready = $2::boolean,"
                   " rollback_ready_reason = $3"
                   " WHERE id = $1::uuid",
                   3, params);
}

/* guard_announce - the change in the history and as a deployment-status */
static int guard_announce(struct saga_ctx *ctx, const struct deployment *d,
                          const struct deployment_note *note, int ready)
{
    cJSON *data = cJSON_CreateObject();
    const char *state = saga_state_name(d->saga.state);

    cJSON_AddStringToObject(data, "state", state);
    cJSON_AddStringToObject(data, "previous", state);
    cJSON_AddStringToObject(data, "reason", note->reason);
    cJSON_AddBoolToObject(data, "rollback_ready", ready);
    if (deployment_record(ctx, d, note) != 0) {
        cJSON_Delete(data);
        return -1;
    }
    return deployment_emit(ctx, d, "deployment-status", data);
}

/* guard_pause - a running canary stops stepping while rollback is not instant */
static int guard_pause(struct saga_ctx *ctx, struct deployment *d,
                       const struct deployment_note *note)
{
    struct saga_input in = {.kind = SAGA_IN_PAUSE};
    char why[256];

    if (d->saga.state != SAGA_SHIFTING || d->saga.strategy.kind != SAGA_CANARY)
        return 0;
    log_warn("rollback not instant: pausing the canary");
    return deployment_apply(ctx, d, &in, note, why, sizeof(why)) < 0 ? -1 : 0;
}

/* guard_decide - inside the transaction: record a changed verdict, pause */
static int guard_decide(struct saga_ctx *ctx, struct deployment *d, const struct guard_probe *pr)
{
    char reason[320];
    struct deployment_note note = {
        pr->ready ? "guard:rollback-ready" : "guard:rollback-not-ready", NULL, ctx->worker, reason};
    int known = guard_known(ctx, d->id);

    snprintf(reason, sizeof(reason), "rollback %s: %s", pr->ready ? "instant" : "not instant",
             pr->why);
    if (known != pr->ready && guard_write(ctx, d->id, pr) != 0)
        return -1;
    if (known != pr->ready && !(known < 0 && pr->ready)) {
        log_info("%s", reason);
        if (guard_announce(ctx, d, &note, pr->ready) != 0)
            return -1;
    }
    return pr->ready ? 0 : guard_pause(ctx, d, &note);
}

/* guard_confirmed - count a reading of deployment id; 1 when it is
 * degraded GUARD_STRIKES times in a row, so that a blip shorter than a
 * check (a load balancer reloading its state) is not taken for a loss */
static int guard_confirmed(const char *id, int ready)
{
    struct guard_strikes *free_slot = NULL;

    for (size_t i = 0; i < GUARD_PER_CHECK; i++) {
        struct guard_strikes *s = &guard_strikes[i];

        if (strcmp(s->id, id) == 0) {
            s->count = ready ? 0 : s->count + 1;
            return s->count >= GUARD_STRIKES;
        }
        if (free_slot == NULL && s->count == 0)
            free_slot = s;
    }
    if (ready || free_slot == NULL)
        return ready ? 0 : 1;
    snprintf(free_slot->id, sizeof(free_slot->id), "%s", id);
    free_slot->count = 1;
    return GUARD_STRIKES <= 1;
}

/* guard_record - lock the deployment and decide, in one transaction */
static void guard_record(struct saga_ctx *ctx, const char *id, const struct guard_probe *pr)
{
    struct deployment d;
    int rc;

    if (db_begin(ctx->db) != 0)
        return;
    rc = deployment_lock(ctx->db, id, &d);
    if (rc == 0 && guard_guarded(&d.saga))
        rc = guard_decide(ctx, &d, pr);
    deployment_release(&d);
    if (rc < 0 || db_commit(ctx->db) != 0) {
        db_rollback(ctx->db);
        return;
    }
    saga_publish(ctx);
}

/* guard_restore - ask the provider for the old color's capacity again */
static void guard_restore(const struct guard_probe *pr)
{
    char err[512];

    if (pr->ops->scale(pr->state, pr->old_color, pr->capacity, err, sizeof(err)) != 0)
        log_warn("rollback guard: restoring %s to %d in %s: %s", color_name(pr->old_color),
                 pr->capacity, pr->environment, err);
    else
        log_info("rollback guard: asked %s back to %d instances", color_name(pr->old_color),
                 pr->capacity);
}

/* guard_check - check the old color of every guarded deployment once */
void guard_check(struct saga_ctx *ctx)
{
    PGresult *res = guard_targets(ctx);

    for (int i = 0; res && i < PQntuples(res); i++) {
        const char *id = PQgetvalue(res, i, 0);
        struct guard_probe pr;

        if (guard_probe(ctx, id, &pr) != 0 || (!pr.ready && !guard_confirmed(id, 0)))
            continue;
        if (pr.ready)
            guard_confirmed(id, 1);
        pr.known = (int)strtol(PQgetvalue(res, i, 1), NULL, 10);
        log_context_set(pr.environment, id, NULL);
        if (pr.known != pr.ready || (!pr.ready && pr.pausable))
            guard_record(ctx, id, &pr);
        if (!pr.ready)
            guard_restore(&pr);
        log_context_clear();
    }
    if (res)
        PQclear(res);
}
