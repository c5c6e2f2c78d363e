/*
 * effect_timer - durable timers fire as saga inputs (see effect.h).
 *
 * DESCRIPTION
 *	A due timer (fire_at by the database's clock) is claimed with FOR
 *	UPDATE SKIP LOCKED, marked fired, and fed to its deployment as
 *	STEP_DUE, BAKE_DONE or STAGE_TIMEOUT carrying the epoch, state and
 *	step it was armed with, all in one transaction; so a timer fires once
 *	whichever worker copy sees it first, and one armed before a change of
 *	state or epoch changes nothing. Timers survive restarts: they are rows.
 */
#include "saga/effect_internal.h"

#include "base/config.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

/* The due timers of this worker's environments ($1), in fire_at order: the
 * partial index timers_due walks them. PostgreSQL cannot know that a timer
 * ends either fired or cancelled, so it expects thousands of open ones;
 * joined to deployments, it read every deployment for them (4 to 10 ms
 * with 12,000 deployments, on every tick of every worker). The environment
 * is therefore looked up per due timer, by the primary key, in a subquery
 * the planner keeps as it is; and asked as EXISTS, it read every timer. */
#define EFFECT_TIMERS_DUE                                                                  \
    " FROM timers t WHERE t.fired_at IS NULL AND t.cancelled_at IS NULL"                   \
    " AND t.fire_at <= now()"                                                              \
    " AND (SELECT d.environment FROM deployments d WHERE d.id = t.deployment_id) ~ $1"

static const struct {
    const char *kind;
    enum saga_input_kind input;
} effect_timer_inputs[] = {
    {"step-due", SAGA_IN_STEP_DUE},
    {"bake-done", SAGA_IN_BAKE_DONE},
    {"stage-timeout", SAGA_IN_STAGE_TIMEOUT},
};

/* effect_timer_input - the saga input of a timer row */
static int effect_timer_input(PGresult *res, struct saga_input *in)
{
    const char *kind = PQgetvalue(res, 0, 2);

    memset(in, 0, sizeof(*in));
    in->epoch = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    in->step = atoi(PQgetvalue(res, 0, 5));
    if (saga_state_parse(PQgetvalue(res, 0, 4), &in->armed_in) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(effect_timer_inputs) / sizeof(effect_timer_inputs[0]); i++) {
        if (strcmp(effect_timer_inputs[i].kind, kind) == 0) {
            in->kind = effect_timer_inputs[i].input;
            return 0;
        }
    }
    return -1;
}

/* effect_timer_apply - feed one claimed timer to its deployment */
static int effect_timer_apply(struct saga_ctx *ctx, PGresult *res)
{
    struct saga_input in;
    struct deployment d;
    char event_type[64], why[256];
    struct deployment_note note = {event_type, PQgetvalue(res, 0, 0), ctx->worker, NULL};
    int rc;

    snprintf(event_type, sizeof(event_type), "timer:%s", PQgetvalue(res, 0, 2));
    if (effect_timer_input(res, &in) != 0)
        log_panic("effect_timer_apply: timer %s is malformed", PQgetvalue(res, 0, 0));
    rc = deployment_lock(ctx->db, PQgetvalue(res, 0, 1), &d);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    log_context_set(d.environment, d.id, NULL);
    rc = deployment_apply(ctx, &d, &in, &note, why, sizeof(why)) < 0 ? -1 : 0;
    log_context_clear();
    deployment_release(&d);
    return rc;
}

/* effect_timer_fire_one - claim and fire one due timer; 1 fired, 0 none, -1 error */
static int effect_timer_fire_one(struct saga_ctx *ctx)
{
    const char *params[] = {config_get("CUTOVER_ENVIRONMENTS")};
    PGresult *res;
    int rc = -1;

    if (db_begin(ctx->db) != 0)
        return -1;
    res = db_query(ctx->db,
                   "UPDATE timers SET fired_at = now() WHERE id = (SELECT t.id"
                   EFFECT_TIMERS_DUE " ORDER BY t.fire_at, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED)"
                   " RETURNING id, deployment_id, kind, epoch, armed_in, step",
                   1, params);
    if (res && PQntuples(res) == 0)
        rc = 0;
    else if (res && effect_timer_apply(ctx, res) == 0)
        rc = 1;
    if (res)
        PQclear(res);
    if (rc < 0 || db_commit(ctx->db) != 0) {
        db_rollback(ctx->db);
        return -1;
    }
    return rc;
}

/* effect_timers_due - whether a timer of this worker's environments is
 * due: one statement outside any transaction, so that the many ticks with
 * nothing due cost no more (see EFFECT_TIMERS_DUE) */
static int effect_timers_due(struct saga_ctx *ctx)
{
    const char *params[] = {config_get("CUTOVER_ENVIRONMENTS")};
    PGresult *res = db_query(ctx->db, "SELECT 1" EFFECT_TIMERS_DUE " ORDER BY t.fire_at LIMIT 1",
                             1, params);
    int due = res && PQntuples(res) == 1;

    if (res)
        PQclear(res);
    return due;
}

/* effect_timers_fire - fire what is due, at most EFFECT_TIMERS_PER_TICK;
 * 1 when it stopped there (more may be due), else 0 */
int effect_timers_fire(struct saga_ctx *ctx)
{
    int fired = 0;

    if (!effect_timers_due(ctx))
        return 0;
    while (fired < EFFECT_TIMERS_PER_TICK && effect_timer_fire_one(ctx) == 1)
        fired++;
    if (fired)
        saga_publish(ctx);
    return fired == EFFECT_TIMERS_PER_TICK;
}
