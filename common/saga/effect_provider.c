/*
 * effect_provider - the per-process cache of opened providers (see
 *                   effect_provider.h).
 */
#include "saga/effect_provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Providers kept open at once; past that the least recently used one is
 * closed (a process may serve any number of environments: each step uses
 * its provider at once and keeps no pointer to it afterwards) */
#define EFFECT_MAX_PROVIDERS 48

struct effect_provider_entry {
    char environment[64];
    long long version;
    unsigned long long used; /* effect_provider_clock when last handed out */
    const struct provider_ops *ops;
    void *state;
};

static struct effect_provider_entry effect_providers[EFFECT_MAX_PROVIDERS];
static size_t effect_provider_count;
static unsigned long long effect_provider_clock;

/* effect_provider_lookup - the environment's provider name, config and version */
static PGresult *effect_provider_lookup(struct saga_ctx *ctx, const char *environment)
{
    const char *params[] = {environment};

    return db_query(ctx->db,
                    "SELECT provider, config::text, version FROM environments WHERE name = $1",
                    1, params);
}

/* effect_provider_close_entry - close an entry's provider, if open */
static void effect_provider_close_entry(struct effect_provider_entry *p)
{
    if (p->ops)
        p->ops->close(p->state);
    p->ops = NULL;
    p->state = NULL;
}

/* effect_provider_free_slot - an unused entry, or the least recently used one closed */
static struct effect_provider_entry *effect_provider_free_slot(void)
{
    struct effect_provider_entry *oldest = &effect_providers[0];

    if (effect_provider_count < EFFECT_MAX_PROVIDERS)
        return &effect_providers[effect_provider_count++];
    for (size_t i = 1; i < effect_provider_count; i++) {
        if (effect_providers[i].used < oldest->used)
            oldest = &effect_providers[i];
    }
    effect_provider_close_entry(oldest);
    return oldest;
}

/* effect_provider_find - the cache entry of an environment, or NULL */
static struct effect_provider_entry *effect_provider_find(const char *environment)
{
    for (size_t i = 0; i < effect_provider_count; i++) {
        if (strcmp(effect_providers[i].environment, environment) == 0)
            return &effect_providers[i];
    }
    return NULL;
}

/* effect_provider_slot - the cache entry of an environment (closed if stale) */
static struct effect_provider_entry *effect_provider_slot(const char *environment,
                                                          long long version)
{
    struct effect_provider_entry *p = effect_provider_find(environment);

    if (p != NULL && p->version != version)
        effect_provider_close_entry(p);
    if (p == NULL) {
        p = effect_provider_free_slot();
        snprintf(p->environment, sizeof(p->environment), "%s", environment);
    }
    return p;
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

/* effect_provider_open_at - the entry of environment when its provider
 * is open at version, else NULL */
static struct effect_provider_entry *effect_provider_open_at(const char *environment,
                                                             long long version)
{
    struct effect_provider_entry *p = effect_provider_find(environment);

    return p && p->ops && p->version == version ? p : NULL;
}

/* effect_provider_read - the entry of environment, its row read and its
 * provider opened (again, when the row's version changed); NULL with err */
static struct effect_provider_entry *effect_provider_read(struct saga_ctx *ctx,
                                                          const char *environment, char *err,
                                                          size_t err_len)
{
    PGresult *res = effect_provider_lookup(ctx, environment);
    struct effect_provider_entry *p = NULL;

    if (res == NULL || PQntuples(res) != 1) {
        snprintf(err, err_len, "environment %s not found", environment);
        goto out;
    }
    p = effect_provider_slot(environment, strtoll(PQgetvalue(res, 0, 2), NULL, 10));
    if (p->ops == NULL && effect_provider_open(p, res, err, err_len) != 0)
        p = NULL;
out:
    if (res)
        PQclear(res);
    return p;
}

/* effect_provider - the opened provider of an environment */
int effect_provider(struct saga_ctx *ctx, const char *environment, long long version_seen,
                    const struct provider_ops **ops, void **state, char *err, size_t err_len)
{
    struct effect_provider_entry *p =
        version_seen > 0 ? effect_provider_open_at(environment, version_seen) : NULL;

    if (p == NULL)
        p = effect_provider_read(ctx, environment, err, err_len);
    if (p == NULL)
        return -1;
    p->used = ++effect_provider_clock;
    *ops = p->ops;
    *state = p->state;
    return 0;
}

/* effect_providers_close - close every opened provider (at shutdown) */
void effect_providers_close(void)
{
    for (size_t i = 0; i < effect_provider_count; i++)
        effect_provider_close_entry(&effect_providers[i]);
    effect_provider_count = 0;
}
