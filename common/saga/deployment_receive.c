/*
 * deployment_receive - a build-ready's arrival: one deployment per build,
 *                      one active deployment per environment, a newer
 *                      build superseding one that moved no traffic and
 *                      waiting behind one that did (see deployment.h).
 */
#include "saga/deployment.h"

#include "base/log.h"
#include "provider/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* deployment_json - a member of data as JSON text, or NULL */
static char *deployment_json(const cJSON *data, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(data, name);

    return item && !cJSON_IsNull(item) ? cJSON_PrintUnformatted(item) : NULL;
}

/* deployment_strategy_valid - the build's own strategy passes the saga's check */
static int deployment_strategy_valid(const cJSON *data, char *why, size_t why_len)
{
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(data, "strategy");

    return doc == NULL || deployment_strategy_check(doc, why, why_len) == 0;
}

/* deployment_existing - the id of the build's deployment, if any; 1 found */
static int deployment_existing(struct db *db, const char *environment, const char *build,
                               char *id)
{
    const char *params[] = {environment, build};
    PGresult *res = db_query(db,
                             "SELECT id FROM deployments WHERE environment = $1 AND build_id = $2",
                             2, params);
    int found = res && PQntuples(res) == 1;

    if (found)
        snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
    if (res)
        PQclear(res);
    return res ? found : -1;
}

/* deployment_create - insert a build's deployment, queued when another
 * is active, with its first history row; 1 created (id filled), 0 the
 * build already has one (id filled with it), -1 error (why says) */
static int deployment_create(struct db *db, const struct cloud_event *ev, int queued, char *id,
                             char *why, size_t why_len)
{
    const char *environment = ev->subject;
    const cJSON *data = ev->data;
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(data, "build_id");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(data, "version");
    char *artifact = deployment_json(data, "artifact");
    char *strategy = deployment_json(data, "strategy");
    char *request = cJSON_PrintUnformatted(data);
    const char *params[] = {id, environment, build->valuestring, version->valuestring, artifact,
                            strategy, request, queued ? "true" : "false", ev->type, ev->id,
                            ev->source};
    int rc = deployment_existing(db, environment, build->valuestring, id);

    if (rc == 0) {
        event_uuid4(id);
        rc = db_exec(db,
                     "WITH d AS (INSERT INTO deployments (id, environment, build_id, version,"
                     " artifact, strategy, request, state, queued, approval_required, database_stage,"
                     " cache_stage)"
                     " SELECT $1::uuid, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, 'received', $8,"
                     " coalesce((config #>> '{approval,required}')::boolean, false),"
                     " config ? 'database',"
                     " coalesce(jsonb_array_length(config -> 'caches'), 0) > 0"
                     " FROM environments WHERE name = $2 RETURNING id)"
                     " INSERT INTO transitions (deployment_id, from_state, to_state, event_type,"
                     " event_id, actor, reason, epoch) SELECT id, NULL, 'received', $9, $10, $11,"
                     " CASE WHEN $8 THEN 'waits for the active deployment' ELSE"
                     " 'build-ready accepted' END, 1 FROM d",
                     11, params) == 0 ? 1 : -1;
    } else if (rc == 1) {
        rc = 0;
    }
    if (rc < 0)
        snprintf(why, why_len, "recording the deployment failed");
    free(artifact);
    free(strategy);
    free(request);
    return rc;
}

/* deployment_supersede_queued - older builds still waiting never run */
static int deployment_supersede_queued(struct saga_ctx *ctx, const char *environment,
                                       const struct deployment_note *note)
{
    const char *params[] = {environment};
    struct saga_input in = {.kind = SAGA_IN_SUPERSEDE};
    char why[256];
    int rc = 0;
    PGresult *res = db_query(ctx->db,
                             "SELECT id FROM deployments WHERE environment = $1 AND queued"
                             " AND state = 'received' ORDER BY created_at FOR UPDATE",
                             1, params);

    for (int i = 0; res && rc == 0 && i < PQntuples(res); i++) {
        struct deployment old;

        if (deployment_lock(ctx->db, PQgetvalue(res, i, 0), &old) != 0)
            continue;
        rc = deployment_apply(ctx, &old, &in, note, why, sizeof(why)) < 0 ? -1 : 0;
        deployment_release(&old);
    }
    if (res)
        PQclear(res);
    return res ? rc : -1;
}

/* deployment_begin - start the new build now, or after the active one */
static int deployment_begin(struct saga_ctx *ctx, const char *id, int has_active,
                            struct deployment *active, const struct deployment_note *note)
{
    struct saga_input in = {.kind = SAGA_IN_SUPERSEDE};
    struct deployment_note newer = *note;
    struct deployment d;
    char why[256];
    int verdict;

    if (!has_active) {
        if (deployment_lock(ctx->db, id, &d) != 0)
            return -1;
        verdict = deployment_start(ctx, &d, note);
        deployment_release(&d);
        return verdict;
    }
    newer.reason = "a newer build arrived";
    verdict = deployment_apply(ctx, active, &in, &newer, why, sizeof(why));
    if (verdict == SAGA_DEFER)
        log_info("deployment %s waits: %s", id, why);
    return verdict < 0 ? -1 : 0;
}

/* deployment_receive - a build-ready event (see deployment.h) */
int deployment_receive(struct saga_ctx *ctx, const struct cloud_event *ev, struct event_error *err)
{
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(ev->data, "build_id");
    struct deployment_note note = {ev->type, ev->id, ev->source, "a newer build arrived"};

    struct deployment active;
    char id[37], why[256] = "";
    int has_active, rc = -1;

    if (!deployment_strategy_valid(ev->data, why, sizeof(why)))
        return event_error_set(err, EVENT_SCHEMA, "strategy: %s", why);
    if (deployment_existing(ctx->db, ev->subject, build->valuestring, id) == 1) {
        log_info("build %s already has deployment %s: nothing to do", build->valuestring, id);
        return 0;
    }
    has_active = deployment_lock_active(ctx->db, ev->subject, &active);
    if (has_active < 0 || deployment_supersede_queued(ctx, ev->subject, &note) != 0
        || deployment_create(ctx->db, ev, has_active == 0, id, why, sizeof(why)) < 0)
        goto out;
    log_context_set(ev->subject, id, ev->id);
    note.reason = "build-ready accepted";
    rc = deployment_begin(ctx, id, has_active == 0, &active, &note);
out:
    if (has_active == 0)
        deployment_release(&active);
    return rc == 0 ? 0 : event_error_set(err, EVENT_INTERNAL, "recording the deployment failed");
}
