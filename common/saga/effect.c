/*
 * effect - performing the saga's provider effects from the write-ahead log
 *          (see effect.h): claiming with a lease, stepping what this
 *          process holds, finishing with the follow-up input.
 *
 * DESCRIPTION
 *	One worker process holds at most EFFECT_MAX_HELD effects at a time
 *	(waits in progress). Each tick first steps the held ones, dropping
 *	those whose epoch went stale, then claims what is claimable for this
 *	worker and steps it at once. Durable timers are effect_timer.c.
 *
 *	Metrics by effect kind (a fixed list): cutover_effect_attempts_total
 *	(each claim: a first try, or a retry after a lease ran out),
 *	cutover_effect_failures_total (a step that ended in failure), and
 *	cutover_effects_held (waits in progress in this process).
 */
#include "saga/effect_internal.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EFFECT_MAX_HELD 16

static struct effect effect_held[EFFECT_MAX_HELD];
static size_t effect_held_count;

static const struct {
    enum saga_effect_kind kind;
    const char *owner;
} effect_owners[] = {
    {SAGA_FX_SCALE_NEW, "scaler"},
    {SAGA_FX_RETIRE_OLD, "scaler"},
    {SAGA_FX_DEPLOY_NEW, "deployer"},
    {SAGA_FX_STOP_PROVIDER_DEPLOYMENT, "deployer"},
    {SAGA_FX_OPEN_PREVIEW, "validator"},
    {SAGA_FX_VALIDATE, "validator"},
    {SAGA_FX_CLOSE_PREVIEW, "validator"},
    {SAGA_FX_SET_WEIGHTS, "shifter"},
    {SAGA_FX_RESTORE_WEIGHTS, "rollbacker"},
    {SAGA_FX_SCALE_NEW_TO_ZERO, "rollbacker"},
    {SAGA_FX_DRILL_RESTORE, "rollbacker"},
    {SAGA_FX_DRILL_RETURN, "rollbacker"},
    {SAGA_FX_MIGRATE_EXPAND, "migrator"},
    {SAGA_FX_CHECK_OLD_COLOR, "migrator"},
    {SAGA_FX_MIGRATE_CONTRACT, "migrator"},
    {SAGA_FX_FLUSH_CACHES, "validator"},
};

static const char effect_claim_sql[] =
    "UPDATE effects SET status = 'running', attempts = attempts + 1,"
    " lease_until = now() + make_interval(secs => $2::double precision / 1000),"
    " started_at = coalesce(started_at, now())"
    " WHERE id = (SELECT e.id FROM effects e JOIN deployments d ON d.id = e.deployment_id"
    "   WHERE e.owner = $1 AND e.epoch = d.epoch AND e.environment ~ $3"
    "     AND (e.status = 'pending' OR (e.status = 'running' AND e.lease_until < now()))"
    "     AND NOT EXISTS (SELECT 1 FROM effects p JOIN deployments pd ON pd.id = p.deployment_id"
    "       WHERE p.environment = e.environment AND p.id < e.id"
    "         AND p.status IN ('pending', 'running') AND p.epoch = pd.epoch)"
    "   ORDER BY e.id LIMIT 1 FOR UPDATE OF e SKIP LOCKED)"
    " RETURNING id, deployment_id, environment, epoch, kind, arg, attempts,"
    " coalesce(handle, ''), coalesce(result::text, '')";

static const char *const effect_kind_label[] = {"kind"};

/* effect_count - add one to the counter name of e's kind */
static void effect_count(const char *name, const char *help, const struct effect *e)
{
    metrics_add(metrics_counter(name, help, effect_kind_label, 1), 1,
                (const char *[]){saga_effect_name(e->kind)});
}

/* effect_metric_held - cutover_effects_held */
static struct metric_family *effect_metric_held(void)
{
    return metrics_gauge("cutover_effects_held",
                         "Effects this process holds: waits in progress.", NULL, 0);
}

/* effect_owner - the worker that performs an effect kind; NULL: bookkeeping */
const char *effect_owner(enum saga_effect_kind kind)
{
    for (size_t i = 0; i < sizeof(effect_owners) / sizeof(effect_owners[0]); i++) {
        if (effect_owners[i].kind == kind)
            return effect_owners[i].owner;
    }
    return NULL;
}

/* effect_handles - whether handlers have a step for kind */
static int effect_handles(const struct effect_handler *handlers, size_t count,
                          enum saga_effect_kind kind)
{
    for (size_t i = 0; i < count; i++) {
        if (handlers[i].kind == kind)
            return 1;
    }
    return 0;
}

/* effect_owners_check - handlers are exactly the kinds worker owns */
int effect_owners_check(const char *worker, const struct effect_handler *handlers, size_t count,
                        char *why, size_t why_len)
{
    for (size_t i = 0; i < count; i++) {
        const char *owner = effect_owner(handlers[i].kind);

        if (owner == NULL || strcmp(owner, worker) != 0) {
            snprintf(why, why_len, "%s has a step for %s, which %s performs", worker,
                     saga_effect_name(handlers[i].kind), owner ? owner : "no worker");
            return -1;
        }
    }
    for (int k = 0; k < SAGA_EFFECT_COUNT; k++) {
        const char *owner = effect_owner((enum saga_effect_kind)k);

        if (owner && strcmp(owner, worker) == 0
            && !effect_handles(handlers, count, (enum saga_effect_kind)k)) {
            snprintf(why, why_len, "%s performs %s but has no step for it", worker,
                     saga_effect_name((enum saga_effect_kind)k));
            return -1;
        }
    }
    return 0;
}

/* effect_kind_parse - an effect kind from its name */
static int effect_kind_parse(const char *name, enum saga_effect_kind *out)
{
    for (int k = 0; k < SAGA_EFFECT_COUNT; k++) {
        if (strcmp(saga_effect_name((enum saga_effect_kind)k), name) == 0) {
            *out = (enum saga_effect_kind)k;
            return 0;
        }
    }
    return -1;
}

/* effect_fill - a claimed row into e */
static int effect_fill(PGresult *res, struct effect *e)
{
    memset(e, 0, sizeof(*e));
    e->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    snprintf(e->deployment_id, sizeof(e->deployment_id), "%s", PQgetvalue(res, 0, 1));
    snprintf(e->environment, sizeof(e->environment), "%s", PQgetvalue(res, 0, 2));
    e->epoch = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    if (effect_kind_parse(PQgetvalue(res, 0, 4), &e->kind) != 0)
        log_panic("effect_fill: effect %lld has unknown kind %s", (long long)e->id,
                  PQgetvalue(res, 0, 4));
    e->arg = atoi(PQgetvalue(res, 0, 5));
    e->attempts = atoi(PQgetvalue(res, 0, 6));
    snprintf(e->handle, sizeof(e->handle), "%s", PQgetvalue(res, 0, 7));
    e->result = *PQgetvalue(res, 0, 8) ? cJSON_Parse(PQgetvalue(res, 0, 8)) : NULL;
    e->started_ms = clock_mono_ms();
    return 0;
}

/* effect_lease_ms - how long a claim holds without renewal */
static const char *effect_lease_ms(char *buf, size_t len)
{
    snprintf(buf, len, "%ld", config_get_int("CUTOVER_EFFECT_LEASE_MS"));
    return buf;
}

/* effect_claim - the next claimable effect of this worker; 1, 0 none, -1 error */
static int effect_claim(struct saga_ctx *ctx, struct effect *e)
{
    char lease[32];
    const char *params[] = {ctx->worker, effect_lease_ms(lease, sizeof(lease)),
                            config_get("CUTOVER_ENVIRONMENTS")};
    PGresult *res = db_query(ctx->db, effect_claim_sql, 3, params);
    int claimed;

    if (res == NULL)
        return -1;
    claimed = PQntuples(res) == 1;
    if (claimed)
        effect_fill(res, e);
    PQclear(res);
    return claimed;
}

/* effect_id_text - an effect's id as a query parameter */
const char *effect_id_text(const struct effect *e, char *buf, size_t len)
{
    snprintf(buf, len, "%lld", (long long)e->id);
    return buf;
}

/* effect_current - e's epoch is still its deployment's */
int effect_current(struct saga_ctx *ctx, const struct effect *e)
{
    const char *params[] = {e->deployment_id};
    PGresult *res = db_query(ctx->db, "SELECT epoch FROM deployments WHERE id = $1::uuid",
                             1, params);
    int current;

    if (res == NULL)
        return -1;
    current = PQntuples(res) == 1 && strtoll(PQgetvalue(res, 0, 0), NULL, 10) == e->epoch;
    PQclear(res);
    return current;
}

/* effect_record - save a step's handle and result, renewing the lease */
int effect_record(struct saga_ctx *ctx, struct effect *e)
{
    char id[32], lease[32];
    char *result = e->result ? cJSON_PrintUnformatted(e->result) : NULL;
    const char *params[] = {effect_id_text(e, id, sizeof(id)), e->handle, result,
                            effect_lease_ms(lease, sizeof(lease))};
    int rc = db_exec(ctx->db,
                     "UPDATE effects SET handle = nullif($2, ''), result = $3::jsonb,"
                     " lease_until = now() + make_interval(secs => $4::double precision / 1000)"
                     " WHERE id = $1 AND status = 'running'",
                     4, params);

    free(result);
    return rc;
}

/* effect_renew - keep holding a wait in progress */
static void effect_renew(struct saga_ctx *ctx, const struct effect *e)
{
    char id[32], lease[32];
    const char *params[] = {effect_id_text(e, id, sizeof(id)),
                            effect_lease_ms(lease, sizeof(lease))};

    db_exec(ctx->db,
            "UPDATE effects SET lease_until = now() + make_interval(secs => $2::double precision"
            " / 1000) WHERE id = $1 AND status = 'running'",
            2, params);
}

/* effect_count_provider_call - one provider call, counted in the log */
void effect_count_provider_call(struct saga_ctx *ctx, const struct effect *e)
{
    char id[32];
    const char *params[] = {effect_id_text(e, id, sizeof(id))};

    db_exec(ctx->db, "UPDATE effects SET provider_calls = provider_calls + 1 WHERE id = $1",
            1, params);
}

/* effect_cancel - a held effect went stale: it will never finish */
static void effect_cancel(struct saga_ctx *ctx, const struct effect *e)
{
    char id[32];
    const char *params[] = {effect_id_text(e, id, sizeof(id))};

    log_info("effect %s %lld is stale (epoch %lld): dropped", saga_effect_name(e->kind),
             (long long)e->id, (long long)e->epoch);
    db_exec(ctx->db,
            "UPDATE effects SET status = 'cancelled', finished_at = now()"
            " WHERE id = $1 AND status = 'running'",
            1, params);
}

/* effect_handler_find - the step of a kind */
static effect_step_fn effect_handler_find(const struct effect_handler *handlers, size_t count,
                                          enum saga_effect_kind kind)
{
    for (size_t i = 0; i < count; i++) {
        if (handlers[i].kind == kind)
            return handlers[i].step;
    }
    return NULL;
}

/* effect_step_one - step one held effect; 1 when it is still held after */
static int effect_step_one(struct saga_ctx *ctx, struct effect *e, effect_step_fn step)
{
    int current = effect_current(ctx, e);
    enum effect_step status;

    if (current < 0)
        return 1;
    if (current == 0 || step == NULL) {
        if (step == NULL)
            log_error("no step for effect %s", saga_effect_name(e->kind));
        effect_cancel(ctx, e);
        return 0;
    }
    log_context_set(e->environment, e->deployment_id, NULL);
    status = step(ctx, e);
    log_context_clear();
    if (status == EFFECT_FAILED)
        effect_count("cutover_effect_failures_total",
                     "Effect steps that ended in failure, by kind.", e);
    if (status != EFFECT_WAIT)
        return 0;
    effect_renew(ctx, e);
    return 1;
}

/* effect_step_held - step every held effect, keeping those still waiting */
static void effect_step_held(struct saga_ctx *ctx, const struct effect_handler *handlers,
                             size_t count)
{
    size_t kept = 0;

    for (size_t i = 0; i < effect_held_count; i++) {
        struct effect *e = &effect_held[i];

        if (effect_step_one(ctx, e, effect_handler_find(handlers, count, e->kind))) {
            effect_held[kept++] = *e;
            continue;
        }
        cJSON_Delete(e->result);
    }
    effect_held_count = kept;
}

/* effect_run - step what is held, then claim and step what is new */
void effect_run(struct saga_ctx *ctx, const struct effect_handler *handlers, size_t count)
{
    effect_step_held(ctx, handlers, count);
    while (effect_held_count < EFFECT_MAX_HELD) {
        struct effect *e = &effect_held[effect_held_count];

        if (effect_claim(ctx, e) != 1)
            break;
        log_info("claimed effect %s %lld (attempt %d)", saga_effect_name(e->kind),
                 (long long)e->id, e->attempts);
        effect_count("cutover_effect_attempts_total",
                     "Effects claimed to be performed (first tries and retries), by kind.", e);
        if (effect_step_one(ctx, e, effect_handler_find(handlers, count, e->kind)))
            effect_held_count++;
        else
            cJSON_Delete(e->result);
    }
    metrics_set(effect_metric_held(), (double)effect_held_count, NULL);
}

/* effect_release_all - hand held effects back at once (graceful stop) */
void effect_release_all(struct saga_ctx *ctx)
{
    for (size_t i = 0; i < effect_held_count; i++) {
        char id[32];
        const char *params[] = {effect_id_text(&effect_held[i], id, sizeof(id))};

        db_exec(ctx->db, "UPDATE effects SET lease_until = now() WHERE id = $1", 1, params);
        cJSON_Delete(effect_held[i].result);
    }
    effect_held_count = 0;
}

/* effect_shutdown - hand back held effects and close the providers */
void effect_shutdown(struct saga_ctx *ctx)
{
    effect_release_all(ctx);
    effect_providers_close();
}
