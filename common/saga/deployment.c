/*
 * deployment - a deployment's row in PostgreSQL (see deployment.h):
 *              loading and locking it with its environment, its strategy,
 *              the environment's settings, and its worker events.
 *              Feeding inputs to the pure state machine is
 *              deployment_apply.c; build-ready's arrival is
 *              deployment_receive.c.
 */
#include "saga/deployment.h"

#include "base/log.h"
#include "provider/provider.h"
#include "saga/analysis_metric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char deployment_columns[] =
    "SELECT d.id, d.environment, d.build_id, d.version, d.artifact::text,"
    " coalesce(d.strategy::text, ''), d.state, d.epoch, coalesce(d.new_color, ''),"
    " d.weight_new, d.step, d.retiring, d.approval_required, d.queued, e.live_color,"
    " e.provider, e.config::text, d.database_stage, d.cache_stage"
    " FROM deployments d JOIN environments e ON e.name = d.environment ";

/* deployment_uuid_valid - a canonical uuid, checked before it reaches SQL */
static int deployment_uuid_valid(const char *id)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (id == NULL || strlen(id) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++) {
        int hex = strchr("0123456789abcdefABCDEF", id[i]) != NULL && id[i] != 0;

        if (shape[i] == '-' ? id[i] != '-' : !hex)
            return 0;
    }
    return 1;
}

/* deployment_copy - a text column into a fixed buffer */
static void deployment_copy(char *out, size_t len, PGresult *res, int col)
{
    snprintf(out, len, "%s", PQgetvalue(res, 0, col));
}

/* deployment_step_parse - one canary step */
static void deployment_step_parse(const cJSON *step, struct saga_step *out)
{
    const cJSON *weight = cJSON_GetObjectItemCaseSensitive(step, "weight");
    const cJSON *pause = cJSON_GetObjectItemCaseSensitive(step, "pause_seconds");
    const cJSON *analysis = cJSON_GetObjectItemCaseSensitive(step, "analysis");

    out->weight = cJSON_IsNumber(weight) ? weight->valueint : 100;
    out->pause_seconds = cJSON_IsNumber(pause) ? pause->valueint : SAGA_PAUSE_OPERATOR;
    out->analysis = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(analysis, "metrics")) > 0;
}

/* deployment_strategy_parse - a strategy document; bluegreen when absent */
void deployment_strategy_parse(const cJSON *doc, struct saga_strategy *out)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(doc, "steps");
    const cJSON *promote = cJSON_GetObjectItemCaseSensitive(doc, "auto_promote");
    const cJSON *step;

    memset(out, 0, sizeof(*out));
    out->kind = cJSON_IsString(kind) && strcmp(kind->valuestring, "canary") == 0 ? SAGA_CANARY
                                                                                : SAGA_BLUEGREEN;
    out->auto_promote = !cJSON_IsFalse(promote);
    cJSON_ArrayForEach(step, steps)
    {
        if (out->step_count == SAGA_MAX_STEPS)
            break;
        deployment_step_parse(step, &out->steps[out->step_count++]);
    }
    if (out->kind == SAGA_CANARY && out->step_count == 0)
        out->kind = SAGA_BLUEGREEN;
}

/* deployment_strategy_check - the saga's rules and every step's analysis */
int deployment_strategy_check(const cJSON *doc, char *why, size_t why_len)
{
    struct saga_strategy strategy;
    const cJSON *step;

    deployment_strategy_parse(doc, &strategy);
    if (saga_strategy_check(&strategy, why, why_len) != 0)
        return -1;
    cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(doc, "steps"))
        if (analysis_spec_check(cJSON_GetObjectItemCaseSensitive(step, "analysis"), why,
                                why_len) != 0)
            return -1;
    return 0;
}

/* deployment_strategy_of - the build's strategy, else the environment's default */
static void deployment_strategy_of(struct deployment *d, const char *build_strategy)
{
    cJSON *doc = *build_strategy ? cJSON_Parse(build_strategy) : NULL;
    const cJSON *fallback = cJSON_GetObjectItemCaseSensitive(d->env_config, "strategy");

    deployment_strategy_parse(doc ? doc : fallback, &d->saga.strategy);
    cJSON_Delete(doc);
}

/* deployment_fill - a result row into d */
static int deployment_fill(PGresult *res, struct deployment *d)
{
    memset(d, 0, sizeof(*d));
    deployment_copy(d->id, sizeof(d->id), res, 0);
    deployment_copy(d->environment, sizeof(d->environment), res, 1);
    deployment_copy(d->build_id, sizeof(d->build_id), res, 2);
    deployment_copy(d->version, sizeof(d->version), res, 3);
    d->artifact = cJSON_Parse(PQgetvalue(res, 0, 4));
    if (saga_state_parse(PQgetvalue(res, 0, 6), &d->saga.state) != 0)
        log_panic("deployment_fill: deployment %s has unknown state %s", d->id,
                  PQgetvalue(res, 0, 6));
    d->saga.epoch = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
    enum color c = COLOR_GREEN;
    color_parse(PQgetvalue(res, 0, 8), &c);
    d->saga.new_color = (int)c;
    d->saga.weight = atoi(PQgetvalue(res, 0, 9));
    d->saga.step = atoi(PQgetvalue(res, 0, 10));
    d->saga.retiring = PQgetvalue(res, 0, 11)[0] == 't';
    d->saga.approval_required = PQgetvalue(res, 0, 12)[0] == 't';
    d->queued = PQgetvalue(res, 0, 13)[0] == 't';
    deployment_copy(d->live_color, sizeof(d->live_color), res, 14);
    deployment_copy(d->provider, sizeof(d->provider), res, 15);
    d->env_config = cJSON_Parse(PQgetvalue(res, 0, 16));
    d->saga.database_stage = PQgetvalue(res, 0, 17)[0] == 't';
    d->saga.cache_stage = PQgetvalue(res, 0, 18)[0] == 't';
    deployment_strategy_of(d, PQgetvalue(res, 0, 5));
    return 0;
}

/* deployment_select - run a deployment query; 0 found, 1 none, -1 error */
static int deployment_select(struct db *db, const char *where, const char *param,
                             struct deployment *d)
{
    char sql[1024];
    const char *params[] = {param};
    PGresult *res;
    int rc;

    snprintf(sql, sizeof(sql), "%s%s", deployment_columns, where);
    res = db_query(db, sql, 1, params);
    if (res == NULL)
        return -1;
    rc = PQntuples(res) == 0 ? 1 : deployment_fill(res, d);
    PQclear(res);
    return rc;
}

/* deployment_lock - the deployment and its environment, locked */
int deployment_lock(struct db *db, const char *id, struct deployment *d)
{
    memset(d, 0, sizeof(*d));
    if (!deployment_uuid_valid(id))
        return 1;
    return deployment_select(db, "WHERE d.id = $1::uuid FOR UPDATE OF d", id, d);
}

/* deployment_load - the deployment and its environment, unlocked */
int deployment_load(struct db *db, const char *id, struct deployment *d)
{
    memset(d, 0, sizeof(*d));
    if (!deployment_uuid_valid(id))
        return 1;
    return deployment_select(db, "WHERE d.id = $1::uuid", id, d);
}

/* deployment_lock_active - the environment's active deployment, locked */
int deployment_lock_active(struct db *db, const char *environment, struct deployment *d)
{
    memset(d, 0, sizeof(*d));
    return deployment_select(db,
                             "WHERE d.environment = $1 AND NOT d.queued"
                             " AND NOT deployment_finished(d.state) FOR UPDATE OF d",
                             environment, d);
}

/* deployment_release - free what a loaded deployment owns */
void deployment_release(struct deployment *d)
{
    cJSON_Delete(d->artifact);
    cJSON_Delete(d->env_config);
    d->artifact = d->env_config = NULL;
}

/* deployment_env_int - an integer of the environment document by path */
long deployment_env_int(const struct deployment *d, const char *path, long fallback)
{
    char part[64];
    const cJSON *node = d->env_config;

    while (node && *path) {
        size_t len = strcspn(path, "/");

        snprintf(part, sizeof(part), "%.*s", (int)len, path);
        node = cJSON_GetObjectItemCaseSensitive(node, part);
        path += len + (path[len] == '/');
    }
    return cJSON_IsNumber(node) ? (long)node->valuedouble : fallback;
}

/* deployment_emit - a worker event about d into the outbox */
int deployment_emit(struct saga_ctx *ctx, const struct deployment *d, const char *topic, cJSON *data)
{
    if (data == NULL)
        data = cJSON_CreateObject();
    cJSON_DeleteItemFromObjectCaseSensitive(data, "environment");
    cJSON_DeleteItemFromObjectCaseSensitive(data, "deployment_id");
    cJSON_DeleteItemFromObjectCaseSensitive(data, "epoch");
    cJSON_AddStringToObject(data, "environment", d->environment);
    cJSON_AddStringToObject(data, "deployment_id", d->id);
    cJSON_AddNumberToObject(data, "epoch", (double)d->saga.epoch);
    return saga_emit(ctx, topic, d->environment, data);
}
