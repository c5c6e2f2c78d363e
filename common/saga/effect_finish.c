/*
 * effect_finish - the end of an effect (its result and follow-up input in
 *                 one transaction), and the per-process cache of opened
 *                 providers (see effect.h).
 */
#include "saga/effect_internal.h"

#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EFFECT_MAX_PROVIDERS 32

struct effect_provider_entry {
    char environment[64];
    long long version;
    const struct provider_ops *ops;
    void *state;
};

static struct effect_provider_entry effect_providers[EFFECT_MAX_PROVIDERS];
static size_t effect_provider_count;

/* effect_mark - the effect's final status; 1 marked, 0 no longer ours, -1 error */
static int effect_mark(struct worker *w, const struct effect *e, enum effect_step status)
{
    char id[32];
    char *result = e->result ? cJSON_PrintUnformatted(e->result) : NULL;
    const char *params[] = {effect_id_text(e, id, sizeof(id)),
                            status == EFFECT_DONE ? "done" : "failed", result, e->error};
    PGresult *res = db_query(worker_db(w),
                             "UPDATE effects SET status = $2, result = coalesce($3::jsonb, result),"
                             " error = nullif($4, ''), finished_at = now()"
                             " WHERE id = $1 AND status = 'running' RETURNING id",
                             4, params);
    int marked = res ? PQntuples(res) == 1 : -1;

    free(result);
    if (res)
        PQclear(res);
    return marked;
}

/* effect_follow_up - the event and the input that follow a finished effect */
static int effect_follow_up(struct worker *w, const struct effect *e, const struct saga_input *in,
                            const char *topic, cJSON **data)
{
    struct deployment d;
    struct saga_input input;
    char event_type[64], why[256];
    struct deployment_note note = {event_type, NULL, worker_name(w), e->error[0] ? e->error : NULL};
    int rc = deployment_lock(worker_db(w), e->deployment_id, &d);

    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (d.saga.epoch == e->epoch) {
        snprintf(event_type, sizeof(event_type), "effect:%s", saga_effect_name(e->kind));
        if (topic) {
            rc = deployment_emit(w, &d, topic, *data);
            *data = NULL;
        }
        if (rc == 0 && in) {
            input = *in;
            input.epoch = e->epoch;
            rc = deployment_apply(w, &d, &input, &note, why, sizeof(why)) < 0 ? -1 : 0;
        }
    }
    deployment_release(&d);
    return rc;
}

/* effect_finish - mark e and apply its follow-up in one transaction */
int effect_finish(struct worker *w, struct effect *e, enum effect_step status,
                  const struct saga_input *in, const char *topic, cJSON *data)
{
    int rc = -1, marked;

    if (db_begin(worker_db(w)) != 0)
        goto out;
    marked = effect_mark(w, e, status);
    if (marked < 0 || (marked == 1 && effect_follow_up(w, e, in, topic, &data) != 0)) {
        db_rollback(worker_db(w));
        goto out;
    }
    if (db_commit(worker_db(w)) != 0)
        goto out;
    log_info("effect %s %lld %s", saga_effect_name(e->kind), (long long)e->id,
             status == EFFECT_DONE ? "done" : "failed");
    worker_publish(w);
    rc = 0;
out:
    cJSON_Delete(data);
    return rc;
}

/* effect_provider_lookup - the environment's provider name, config and version */
static PGresult *effect_provider_lookup(struct worker *w, const char *environment)
{
    const char *params[] = {environment};

    return db_query(worker_db(w),
                    "SELECT provider, config::text, version FROM environments WHERE name = $1",
                    1, params);
}

/* effect_provider_slot - the cache entry of an environment (closed if stale) */
static struct effect_provider_entry *effect_provider_slot(const char *environment,
                                                          long long version)
{
    for (size_t i = 0; i < effect_provider_count; i++) {
        struct effect_provider_entry *p = &effect_providers[i];

        if (strcmp(p->environment, environment) != 0)
            continue;
        if (p->version != version && p->ops) {
            p->ops->close(p->state);
            p->ops = NULL;
        }
        return p;
    }
    if (effect_provider_count == EFFECT_MAX_PROVIDERS)
        return NULL;
    snprintf(effect_providers[effect_provider_count].environment, 64, "%s", environment);
    return &effect_providers[effect_provider_count++];
}

/* effect_provider_open - open a provider from its row */
static int effect_provider_open(struct effect_provider_entry *p, PGresult *res, char *err,
                                size_t err_len)
{
    cJSON *config = cJSON_Parse(PQgetvalue(res, 0, 1));
    const struct provider_ops *ops = provider_find(PQgetvalue(res, 0, 0));
    int rc = -1;

    if (ops == NULL)
        snprintf(err, err_len, "unknown provider \"%s\"", PQgetvalue(res, 0, 0));
    else if (ops->open(p->environment, config, &p->state, err, err_len) == 0)
        rc = 0;
    if (rc == 0) {
        p->ops = ops;
        p->version = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    }
    cJSON_Delete(config);
    return rc;
}

/* effect_provider - the opened provider of an environment */
int effect_provider(struct worker *w, const char *environment, const struct provider_ops **ops,
                    void **state, char *err, size_t err_len)
{
    PGresult *res = effect_provider_lookup(w, environment);
    struct effect_provider_entry *p;
    int rc = -1;

    if (res == NULL || PQntuples(res) != 1) {
        snprintf(err, err_len, "environment %s not found", environment);
        goto out;
    }
    p = effect_provider_slot(environment, strtoll(PQgetvalue(res, 0, 2), NULL, 10));
    if (p == NULL) {
        snprintf(err, err_len, "too many environments in one process");
        goto out;
    }
    if (p->ops == NULL && effect_provider_open(p, res, err, err_len) != 0)
        goto out;
    *ops = p->ops;
    *state = p->state;
    rc = 0;
out:
    if (res)
        PQclear(res);
    return rc;
}

/* effect_shutdown - hand back held effects and close the providers */
void effect_shutdown(struct worker *w)
{
    effect_release_all(w);
    for (size_t i = 0; i < effect_provider_count; i++) {
        if (effect_providers[i].ops)
            effect_providers[i].ops->close(effect_providers[i].state);
    }
    effect_provider_count = 0;
}
