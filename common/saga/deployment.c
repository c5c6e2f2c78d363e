/*
 * deployment - a deployment's saga in PostgreSQL (see deployment.h):
 *              loading and locking the row, feeding inputs to the pure
 *              state machine, and writing the new state and its history.
 *              What an outcome's effects become is deployment_effects.c;
 *              build-ready's arrival is deployment_receive.c.
 */
#include "saga/deployment_internal.h"

#include "base/log.h"
#include "provider/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char deployment_columns[] =
    "SELECT d.id, d.environment, d.build_id, d.version, d.artifact::text,"
    " coalesce(d.strategy::text, ''), d.state, d.epoch, coalesce(d.new_color, ''),"
    " d.weight_new, d.step, d.retiring, d.approval_required, d.queued, e.live_color,"
    " e.provider, e.config::text"
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

    out->weight = cJSON_IsNumber(weight) ? weight->valueint : 100;
    out->pause_seconds = cJSON_IsNumber(pause) ? pause->valueint : SAGA_PAUSE_OPERATOR;
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
                             "WHERE d.environment = $1 AND NOT d.queued AND d.state NOT IN"
                             " ('completed', 'failed', 'rolled-back', 'superseded')"
                             " FOR UPDATE OF d",
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
                   " finished_at = CASE WHEN $2 IN ('completed', 'failed', 'rolled-back',"
                   " 'superseded') THEN now() END WHERE id = $1::uuid",
                   8, params);
}

/* deployment_reason - what the audit row and the row's reason say */
static void deployment_reason(const struct deployment_note *note, const char *table,
                              char *out, size_t len)
{
    if (note->reason && *note->reason && *table)
        snprintf(out, len, "%s: %s", table, note->reason);
    else
        snprintf(out, len, "%s", note->reason && *note->reason ? note->reason : table);
}

/* deployment_apply - feed one input and write what comes out */
int deployment_apply(struct worker *w, struct deployment *d, const struct saga_input *in,
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
        return deployment_history(worker_db(w), d, from, from, note, reason) == 0
                   ? (int)out.verdict : -1;
    }
    deployment_reason(note, out.reason, reason, sizeof(reason));
    d->saga = out.next;
    if (deployment_persist(worker_db(w), d, reason) != 0
        || deployment_history(worker_db(w), d, from, saga_state_name(d->saga.state), note,
                              reason) != 0
        || deployment_perform(w, d, &before, &out, reason) != 0)
        return -1;
    if (before.state != d->saga.state)
        log_info("%s -> %s (%s)", from, saga_state_name(d->saga.state), saga_input_name(in->kind));
    return SAGA_TRANSITION;
}

/* deployment_event_apply - feed a worker event to its locked deployment */
static int deployment_event_apply(struct worker *w, const struct cloud_event *ev,
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
    verdict = deployment_apply(w, d, &in, &note, why, sizeof(why));
    if (verdict < 0)
        return event_error_set(err, EVENT_INTERNAL, "applying %s failed", saga_input_name(kind));
    return 0;
}

/* deployment_apply_event - a worker event fed to its deployment */
int deployment_apply_event(struct worker *w, const struct cloud_event *ev,
                           enum saga_input_kind kind, struct event_error *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev->data, "deployment_id");
    const char *text = cJSON_IsString(id) ? id->valuestring : "";
    struct deployment d;
    int found, rc;

    log_context_set(ev->subject, text, ev->id);
    found = deployment_lock(worker_db(w), text, &d);
    if (found < 0)
        rc = event_error_set(err, EVENT_INTERNAL, "locking deployment %s failed", text);
    else if (found > 0)
        rc = event_error_set(err, EVENT_REJECTED, "no deployment %.64s", text);
    else
        rc = deployment_event_apply(w, ev, &d, kind, err);
    deployment_release(&d);
    return rc;
}

/* deployment_emit - a worker event about d into the outbox */
int deployment_emit(struct worker *w, const struct deployment *d, const char *topic, cJSON *data)
{
    if (data == NULL)
        data = cJSON_CreateObject();
    cJSON_DeleteItemFromObjectCaseSensitive(data, "environment");
    cJSON_DeleteItemFromObjectCaseSensitive(data, "deployment_id");
    cJSON_DeleteItemFromObjectCaseSensitive(data, "epoch");
    cJSON_AddStringToObject(data, "environment", d->environment);
    cJSON_AddStringToObject(data, "deployment_id", d->id);
    cJSON_AddNumberToObject(data, "epoch", (double)d->saga.epoch);
    return worker_emit(w, topic, d->environment, data);
}
