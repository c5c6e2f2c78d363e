/*
 * effect_provider - the per-process cache of opened providers (see
 *                   effect_provider.h).
 */
#include "saga/effect_provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 32 environments for the effects, and room for the health check's
 * HEALTH_ENVIRONMENTS_MAX (saga/health.h), which keeps its providers open */
#define EFFECT_MAX_PROVIDERS 48

struct effect_provider_entry {
    char environment[64];
    long long version;
    const struct provider_ops *ops;
    void *state;
};

static struct effect_provider_entry effect_providers[EFFECT_MAX_PROVIDERS];
static size_t effect_provider_count;

/* effect_provider_lookup - the environment's provider name, config and version */
static PGresult *effect_provider_lookup(struct saga_ctx *ctx, const char *environment)
{
    const char *params[] = {environment};

    return db_query(ctx->db,
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
int effect_provider(struct saga_ctx *ctx, const char *environment, const struct provider_ops **ops,
                    void **state, char *err, size_t err_len)
{
    PGresult *res = effect_provider_lookup(ctx, environment);
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

/* effect_providers_close - close every opened provider (at shutdown) */
void effect_providers_close(void)
{
    for (size_t i = 0; i < effect_provider_count; i++) {
        if (effect_providers[i].ops)
            effect_providers[i].ops->close(effect_providers[i].state);
    }
    effect_provider_count = 0;
}
