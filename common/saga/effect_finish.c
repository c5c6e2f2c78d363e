/*
 * effect_finish - the end of an effect: its result and follow-up input in
 *                 one transaction (see effect.h).
 */
#include "saga/effect_internal.h"

#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* effect_mark - the effect's final status, while this process holds it
 * (its lease); 1 marked, 0 no longer ours, -1 error */
static int effect_mark(struct saga_ctx *ctx, const struct effect *e, enum effect_step status)
{
    char id[32];
    char *result = e->result ? cJSON_PrintUnformatted(e->result) : NULL;
    const char *params[] = {effect_id_text(e, id, sizeof(id)),
                            status == EFFECT_DONE ? "done" : "failed", result, e->error,
                            e->lease};
    PGresult *res = db_query(ctx->db,
                             "UPDATE effects SET status = $2, result = coalesce($3::jsonb, result),"
                             " error = nullif($4, ''), finished_at = now()"
                             " WHERE id = $1 AND status = 'running'"
                             " AND lease_until = $5::timestamptz RETURNING id",
                             5, params);
    int marked = res ? PQntuples(res) == 1 : -1;

    free(result);
    if (res)
        PQclear(res);
    return marked;
}

/* effect_follow_up - the event and the input that follow a finished effect */
static int effect_follow_up(struct saga_ctx *ctx, const struct effect *e, const struct saga_input *in,
                            const char *topic, cJSON **data)
{
    struct deployment d;
    struct saga_input input;
    char event_type[64], why[256];
    struct deployment_note note = {event_type, NULL, ctx->worker, e->error[0] ? e->error : NULL};
    int rc = deployment_lock(ctx->db, e->deployment_id, &d);

    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (d.saga.epoch == e->epoch) {
        snprintf(event_type, sizeof(event_type), "effect:%s", saga_effect_name(e->kind));
        if (topic) {
            rc = deployment_emit(ctx, &d, topic, *data);
            *data = NULL;
        }
        if (rc == 0 && in) {
            input = *in;
            input.epoch = e->epoch;
            rc = deployment_apply(ctx, &d, &input, &note, why, sizeof(why)) < 0 ? -1 : 0;
        }
        if (rc == 0 && e->note[0]) {
            note.reason = e->note;
            rc = deployment_record(ctx, &d, &note);
        }
    }
    deployment_release(&d);
    return rc;
}

/* effect_finish - mark e and apply its follow-up in one transaction */
int effect_finish(struct saga_ctx *ctx, struct effect *e, enum effect_step status,
                  const struct saga_input *in, const char *topic, cJSON *data)
{
    int rc = -1, marked;

    if (db_begin(ctx->db) != 0)
        goto out;
    marked = effect_mark(ctx, e, status);
    if (marked < 0 || (marked == 1 && effect_follow_up(ctx, e, in, topic, &data) != 0)) {
        db_rollback(ctx->db);
        goto out;
    }
    if (db_commit(ctx->db) != 0)
        goto out;
    log_info("effect %s %lld %s", saga_effect_name(e->kind), (long long)e->id,
             status == EFFECT_DONE ? "done" : "failed");
    saga_publish(ctx);
    rc = 0;
out:
    cJSON_Delete(data);
    return rc;
}
