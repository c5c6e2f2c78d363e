/*
 * drill - the rollback drill's two effects (see drill.h).
 */
#include "saga/drill.h"

#include "base/log.h"
#include "saga/traffic.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* drill_weights - the drill's provider and the weights it sets: the old
 * color's (restore) or the deployment's own (return); 0, or -1 (logged) */
static int drill_weights(struct saga_ctx *ctx, struct effect *e, const struct provider_ops **ops,
                         void **state, struct provider_weights *want)
{
    struct traffic_deployment d;
    char why[512] = "";
    int current;

    if (traffic_effect_open(ctx, e, ops, state, &d, why, sizeof(why)) != 0) {
        log_warn("%s waits: %s", saga_effect_name(e->kind), why[0] ? why : "database error");
        return -1;
    }
    if ((current = effect_current(ctx, e)) != 1) {
        if (current == 0) /* the skeleton cancels it on the next tick */
            log_info("%s not performed: a rollback raised the epoch", saga_effect_name(e->kind));
        return -1;
    }
    traffic_weights_for(d.new_color, e->kind == SAGA_FX_DRILL_RETURN ? d.weight : 0, want);
    return 0;
}

/* drill_set - the drill's weight change for e; 0, or -1 (logged) */
static int drill_set(struct saga_ctx *ctx, struct effect *e, struct provider_weights *want)
{
    const struct provider_ops *ops;
    void *state;
    char why[512];

    if (drill_weights(ctx, e, &ops, &state, want) != 0)
        return -1;
    if (traffic_effect_set_weights(ctx, e, ops, state, want, why, sizeof(why)) != 0) {
        log_warn("%s failed, retried on the next tick: %s", saga_effect_name(e->kind), why);
        return -1;
    }
    return 0;
}

/* drill_restore_step - the old color's weights, read back */
enum effect_step drill_restore_step(struct saga_ctx *ctx, struct effect *e)
{
    struct provider_weights old;

    if (drill_set(ctx, e, &old) != 0)
        return EFFECT_WAIT;
    log_info("drill: old weights confirmed: blue %d green %d", old.blue, old.green);
    return effect_finish(ctx, e, EFFECT_DONE, NULL, NULL, NULL) == 0 ? EFFECT_DONE : EFFECT_WAIT;
}

/* drill_restore_seconds - how long the deployment's last drill-restore
 * before e took, command to confirmed; -1 when unknown */
static double drill_restore_seconds(struct saga_ctx *ctx, const struct effect *e)
{
    char id[24];
    const char *params[] = {e->deployment_id, id};
    PGresult *res;
    double seconds = -1;

    snprintf(id, sizeof(id), "%" PRId64, e->id);
    res = db_query(ctx->db,
                   "SELECT extract(epoch FROM finished_at - created_at) FROM effects"
                   " WHERE deployment_id = $1 AND kind = 'drill-restore' AND status = 'done'"
                   " AND id < $2::bigint ORDER BY id DESC LIMIT 1",
                   2, params);
    if (res && PQntuples(res) == 1)
        seconds = strtod(PQgetvalue(res, 0, 0), NULL);
    if (res)
        PQclear(res);
    return seconds;
}

/* drill_return_step - the deployment's weights again; the figure into the history */
enum effect_step drill_return_step(struct saga_ctx *ctx, struct effect *e)
{
    struct provider_weights back;
    double seconds;

    if (drill_set(ctx, e, &back) != 0)
        return EFFECT_WAIT;
    seconds = drill_restore_seconds(ctx, e);
    if (seconds < 0)
        snprintf(e->note, sizeof(e->note), "drill: the old color's weights were confirmed"
                 " (time unknown); weights back to blue %d green %d", back.blue, back.green);
    else
        snprintf(e->note, sizeof(e->note), "drill: the old color's weights were confirmed"
                 " %.3f s after the command; weights back to blue %d green %d", seconds,
                 back.blue, back.green);
    log_info("%s", e->note);
    return effect_finish(ctx, e, EFFECT_DONE, NULL, NULL, NULL) == 0 ? EFFECT_DONE : EFFECT_WAIT;
}
