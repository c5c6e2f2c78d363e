/*
 * status - the saga's state as reported, one query per document (see
 *          status.h).
 */
#include "saga/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An RFC 3339 UTC rendering of a timestamptz column, for the queries below. */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* A deployment's migrations (alias d), expand before contract, in order. */
#define MIGRATIONS(d)                                                                             \
    "(SELECT coalesce(json_agg(json_build_object('phase', m.phase, 'name', m.name,"             \
    " 'status', m.status, 'detail', m.detail, 'at', " TS("m.recorded_at") ")"                   \
    " ORDER BY m.phase DESC, m.seq), '[]') FROM deployment_migrations m"                       \
    " WHERE m.deployment_id = " d ".id)"

/* A deployment's cache actions (alias d), in the order they ran. */
#define CACHES(d)                                                                                 \
    "(SELECT coalesce(json_agg(json_build_object('name', c.name, 'kind', c.kind,"                 \
    " 'status', c.status, 'duration_ms', c.duration_ms, 'message', c.message,"                  \
    " 'instances', c.instances, 'at', " TS("c.recorded_at") ") ORDER BY c.seq), '[]')"          \
    " FROM deployment_caches c WHERE c.deployment_id = " d ".id)"

/* One row per environment ($1 NULL: every one, by name, at most $2). */
static const char status_sql[] =
    "SELECT json_build_object('environment', env.name, 'live_color', env.live_color,"
    "  'weights', json_build_object('blue', w.blue, 'green', 100 - w.blue),"
    "  'health', json_build_object('blue', hc.colors -> 'blue', 'green', hc.colors -> 'green'),"
    "  'active', CASE WHEN a.id IS NOT NULL THEN json_build_object('id', a.id,"
    "     'state', a.state, 'build_id', a.build_id, 'version', a.version,"
    "     'new_color', a.new_color, 'weight', a.weight_new, 'step', a.step,"
    "     'steps', CASE WHEN jsonb_typeof(a.strategy->'steps') = 'array'"
    "                   THEN jsonb_array_length(a.strategy->'steps') ELSE 0 END,"
    "     'epoch', a.epoch, 'created_at', " TS("a.created_at") ","
    "     'rollback_ready', a.rollback_ready, 'rollback_ready_reason', a.rollback_ready_reason,"
    "     'updated_at', " TS("a.updated_at") ", 'migrations', " MIGRATIONS("a") ","
    "     'caches', " CACHES("a") ","
    "     'confirmed_weights', (SELECT json_build_object('blue', c.blue, 'green', 100 - c.blue)"
    "        FROM (SELECT CASE WHEN a.new_color = 'blue' THEN x.share ELSE 100 - x.share END"
    "              AS blue FROM (SELECT CASE WHEN e.kind = 'set-weights' THEN e.arg ELSE 0 END"
    "              AS share FROM effects e WHERE e.deployment_id = a.id AND e.status = 'done'"
    "              AND e.kind IN ('set-weights', 'restore-weights')"
    "              ORDER BY e.finished_at DESC, e.id DESC LIMIT 1) x) c)) END,"
    "  'last_finished', CASE WHEN f.id IS NOT NULL THEN json_build_object('id', f.id,"
    "     'state', f.state, 'build_id', f.build_id, 'version', f.version,"
    "     'finished_at', " TS("coalesce(f.finished_at, f.updated_at)") ","
    "     'reason', f.reason, 'migrations', " MIGRATIONS("f") ", 'caches', " CACHES("f") ")"
    "  END,"
    "  'signatures', json_build_object('mode', sig.mode, 'production', sig.production,"
    "     'warning', CASE WHEN sig.production AND sig.mode = 'optional' THEN 'production"
    " environment ' || env.name || ' accepts unsigned commands: set signatures to required'"
    "     END))"
    " FROM environments env"
    " CROSS JOIN LATERAL (SELECT coalesce(env.config ->> 'signatures', CASE WHEN"
    "   jsonb_typeof(env.config -> 'signers' -> 'principals') = 'array'"
    "   AND jsonb_array_length(env.config -> 'signers' -> 'principals') > 0"
    "   THEN 'required' ELSE 'optional' END) AS mode,"
    "   coalesce(env.config -> 'production' = 'true'::jsonb, false) AS production) sig"
    " LEFT JOIN LATERAL (SELECT * FROM deployments WHERE environment = env.name"
    "   AND NOT queued AND NOT deployment_finished(state) ORDER BY created_at DESC LIMIT 1) a"
    "   ON true"
    " LEFT JOIN LATERAL (SELECT * FROM deployments WHERE environment = env.name"
    "   AND deployment_finished(state)"
    "   ORDER BY coalesce(finished_at, updated_at) DESC, created_at DESC LIMIT 1) f ON true"
    " CROSS JOIN LATERAL (SELECT json_object_agg(h.color, json_build_object("
    "   'desired', h.desired, 'healthy', h.healthy, 'error', h.error,"
    "   'changed_at', " TS("h.changed_at") ")) AS colors"
    "   FROM color_health h WHERE h.environment = env.name) hc"
    " CROSS JOIN LATERAL (SELECT CASE WHEN a.new_color IS NULL"
    "                   THEN CASE WHEN env.live_color = 'blue' THEN 100 ELSE 0 END"
    "                   WHEN a.new_color = 'blue' THEN a.weight_new"
    "                   ELSE 100 - a.weight_new END AS blue) w"
    " WHERE $1::text IS NULL OR env.name = $1::text"
    " ORDER BY env.name LIMIT $2::int";

static const char status_history_sql[] =
    "SELECT json_build_object('environment', e.name, 'deployments', coalesce((SELECT"
    "  json_agg(json_build_object('id', d.id, 'build_id', d.build_id, 'version', d.version,"
    "   'state', d.state, 'reason', d.reason, 'created_at', " TS("d.created_at") ","
    "   'updated_at', " TS("d.updated_at") ", 'finished_at', " TS("d.finished_at") ","
    "   'migrations', " MIGRATIONS("d") ", 'caches', " CACHES("d") ","
    "   'transitions', coalesce((SELECT json_agg(json_build_object('from', t.from_state,"
    "      'to', t.to_state, 'event_type', t.event_type, 'event_id', t.event_id,"
    "      'actor', t.actor, 'reason', t.reason, 'at', " TS("t.at") ","
    "      'principal', (SELECT ca.principal FROM command_audit ca WHERE ca.event_id = t.event_id"
    "        AND ca.environment = e.name AND ca.outcome = 'accepted'"
    "        AND ca.principal IS NOT NULL ORDER BY ca.id LIMIT 1),"
    "      'command', t.event_type IN ('cutover.build-ready', 'cutover.shift-requested',"
    "        'cutover.alarm-fired', 'cutover.green-validated')) ORDER BY t.id)"
    "     FROM transitions t WHERE t.deployment_id = d.id), '[]'))"
    "   ORDER BY d.created_at DESC, d.id)"
    "  FROM (SELECT * FROM deployments WHERE environment = e.name"
    "        ORDER BY created_at DESC, id LIMIT $2::int) d), '[]'))"
    " FROM environments e WHERE e.name = $1";

/* Finished deployments after a mark ($1 finished_at, $2 id; NULL: from the start). */
static const char status_finished_sql[] =
    "SELECT environment, state, extract(epoch FROM finished_at - created_at),"
    "  to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), id"
    " FROM deployments WHERE deployment_finished(state) AND finished_at IS NOT NULL"
    "  AND finished_at < now() - make_interval(secs => $3::int)"
    "  AND ($1::timestamptz IS NULL OR (finished_at, id) > ($1::timestamptz, $2::uuid))"
    " ORDER BY finished_at, id LIMIT $4::int";

/* Rollbacks whose old weights were confirmed after a mark ($1 finished_at,
 * $2 effect id), with the trigger: the input that entered rolling-back. */
static const char status_rollbacks_sql[] =
    "SELECT e.environment, CASE WHEN e.kind = 'drill-restore' THEN 'drill' ELSE coalesce("
    "   (SELECT CASE t.event_type WHEN 'cutover.alarm-fired' THEN 'alarm'"
    "                             WHEN 'cutover.shift-requested' THEN 'command' ELSE 'other' END"
    "    FROM transitions t WHERE t.deployment_id = e.deployment_id"
    "     AND t.to_state = 'rolling-back' AND t.from_state IS DISTINCT FROM 'rolling-back'"
    "    ORDER BY t.id LIMIT 1), 'other') END,"
    "  extract(epoch FROM e.finished_at - e.created_at),"
    "  to_char(e.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), e.id"
    " FROM effects e WHERE e.kind IN ('restore-weights', 'drill-restore') AND e.status = 'done'"
    "  AND e.finished_at < now() - make_interval(secs => $3::int)"
    "  AND ($1::timestamptz IS NULL OR (e.finished_at, e.id) > ($1::timestamptz, $2::bigint))"
    " ORDER BY e.finished_at, e.id LIMIT $4::int";

/* status_strerror - a phrase for rc */
const char *status_strerror(enum status_rc rc)
{
    switch (rc) {
    case STATUS_OK:
        return "ok";
    case STATUS_NO_ENVIRONMENT:
        return "no such environment";
    case STATUS_DB_FAILED:
        return "query failed";
    case STATUS_NOT_JSON:
        return "the database answered something that is not JSON";
    }
    return "unknown status error";
}

/* status_rows - run sql; each row's first cell parsed into an array (or,
 * with one, the first row's document alone) */
static enum status_rc status_rows(struct db *db, const char *sql, int nparams,
                                  const char *const *params, int one, cJSON **out)
{
    PGresult *res = db_query(db, sql, nparams, params);
    enum status_rc rc = STATUS_OK;
    cJSON *all = one ? NULL : cJSON_CreateArray();

    *out = NULL;
    if (res == NULL) {
        cJSON_Delete(all);
        return STATUS_DB_FAILED;
    }
    if (one && PQntuples(res) == 0)
        rc = STATUS_NO_ENVIRONMENT;
    for (int i = 0; rc == STATUS_OK && i < (one ? 1 : PQntuples(res)); i++) {
        cJSON *doc = cJSON_Parse(PQgetvalue(res, i, 0));

        if (doc == NULL)
            rc = STATUS_NOT_JSON;
        else if (one)
            *out = doc;
        else
            cJSON_AddItemToArray(all, doc);
    }
    PQclear(res);
    if (!one && rc == STATUS_OK)
        *out = all;
    else
        cJSON_Delete(all);
    return rc;
}

/* status_environment - the status document of env */
enum status_rc status_environment(struct db *db, const char *env, cJSON **out)
{
    const char *params[] = {env, "1"};

    return status_rows(db, status_sql, 2, params, 1, out);
}

/* status_environments - every environment's status document, by name */
enum status_rc status_environments(struct db *db, cJSON **out)
{
    char limit[24];
    const char *params[] = {NULL, limit};

    snprintf(limit, sizeof(limit), "%d", STATUS_ENVIRONMENTS_MAX);
    return status_rows(db, status_sql, 2, params, 0, out);
}

/* status_history - the history document of env's newest limit deployments */
enum status_rc status_history(struct db *db, const char *env, long limit, cJSON **out)
{
    char text[24];
    const char *params[] = {env, text};

    if (limit < 1 || limit > STATUS_HISTORY_MAX)
        limit = STATUS_HISTORY_MAX;
    snprintf(text, sizeof(text), "%ld", limit);
    return status_rows(db, status_history_sql, 2, params, 1, out);
}

/* status_rows_after - run sql (rows: environment, label, seconds, mark
 * time, mark id) from *mark; fn for each row, in order; advances *mark */
static int status_rows_after(struct db *db, const char *sql, struct status_mark *mark,
                             status_finished_fn fn, void *arg)
{
    char settle[16], batch[16];
    const char *params[] = {*mark->finished_at ? mark->finished_at : NULL,
                            *mark->id ? mark->id : NULL, settle, batch};
    PGresult *res;
    int n;

    snprintf(settle, sizeof(settle), "%d", STATUS_SETTLE_S);
    snprintf(batch, sizeof(batch), "%d", STATUS_FINISHED_BATCH);
    if ((res = db_query(db, sql, 4, params)) == NULL)
        return -1;
    n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        struct status_finished f = {PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                    strtod(PQgetvalue(res, i, 2), NULL)};

        fn(&f, arg);
    }
    if (n > 0) {
        snprintf(mark->finished_at, sizeof(mark->finished_at), "%s", PQgetvalue(res, n - 1, 3));
        snprintf(mark->id, sizeof(mark->id), "%s", PQgetvalue(res, n - 1, 4));
    }
    PQclear(res);
    return n;
}

/* status_finished_after - each deployment finished after *mark, in order */
int status_finished_after(struct db *db, struct status_mark *mark, status_finished_fn fn,
                          void *arg)
{
    return status_rows_after(db, status_finished_sql, mark, fn, arg);
}

/* status_rollbacks_after - each rollback confirmed after *mark, in order */
int status_rollbacks_after(struct db *db, struct status_mark *mark, status_finished_fn fn,
                           void *arg)
{
    return status_rows_after(db, status_rollbacks_sql, mark, fn, arg);
}
