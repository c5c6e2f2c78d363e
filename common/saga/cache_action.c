/*
 * cache_action - read one cache action of an environment's document (see
 *                cache_action.h). Pure: no I/O.
 */
#include "saga/cache_action.h"

#include <stdio.h>
#include <string.h>

static const char *const cache_kind_names[] = {
    [CACHE_REDIS_PREFIX] = "redis-prefix",
    [CACHE_COMMAND] = "command",
    [CACHE_CLOUDFRONT] = "cloudfront",
};

/* cache_kind_name - the kind's name in the document */
const char *cache_kind_name(enum cache_kind kind)
{
    return (unsigned)kind <= CACHE_CLOUDFRONT ? cache_kind_names[kind] : "?";
}

/* cache_str - a non-empty string member, or NULL */
static const char *cache_str(const cJSON *item, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, name);

    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* cache_int - an integer member in [lo, hi], fallback when absent; -1 when out of range */
static int cache_int(const cJSON *item, const char *name, int lo, int hi, int fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, name);

    if (v == NULL)
        return fallback;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
        v->valuedouble != (double)v->valueint)
        return -1;
    return v->valueint;
}

/* cache_kind_parse - the kind by name; 0 or -1 */
static int cache_kind_parse(const char *name, enum cache_kind *out)
{
    for (int k = CACHE_REDIS_PREFIX; name != NULL && k <= CACHE_CLOUDFRONT; k++) {
        if (strcmp(name, cache_kind_names[k]) == 0) {
            *out = (enum cache_kind)k;
            return 0;
        }
    }
    return -1;
}

/* cache_on_parse - "on": host (default) or instances; 0 or -1 */
static int cache_on_parse(const cJSON *item, bool *on_instances)
{
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(item, "on");

    *on_instances = false;
    if (on == NULL)
        return 0;
    if (!cJSON_IsString(on) ||
        (strcmp(on->valuestring, "host") != 0 && strcmp(on->valuestring, "instances") != 0))
        return -1;
    *on_instances = strcmp(on->valuestring, "instances") == 0;
    return 0;
}

/* cache_kind_check - the members the kind needs are there; NULL, or why */
static const char *cache_kind_check(const struct cache_action *a)
{
    if (a->kind == CACHE_REDIS_PREFIX && (a->host == NULL || a->prefix == NULL))
        return "a redis-prefix action needs host, port and prefix";
    if (a->kind == CACHE_REDIS_PREFIX && a->port < 1)
        return "port is not 1..65535";
    if (a->kind == CACHE_REDIS_PREFIX && a->db < 0)
        return "db is not 0..15";
    if (a->kind == CACHE_COMMAND && a->command == NULL)
        return "a command action needs command";
    if (a->timeout_s < 1)
        return "timeout_seconds is not 1..3600";
    return NULL;
}

/* cache_action_parse - 0, or -1 with why */
int cache_action_parse(const cJSON *item, struct cache_action *out, char *err, size_t err_len)
{
    const char *why;

    memset(out, 0, sizeof(*out));
    out->name = cache_str(item, "name");
    if (!cJSON_IsObject(item) || out->name == NULL) {
        snprintf(err, err_len, "a cache action needs a name");
        return -1;
    }
    if (cache_kind_parse(cache_str(item, "kind"), &out->kind) != 0 ||
        cache_on_parse(item, &out->on_instances) != 0) {
        snprintf(err, err_len, "cache %s: unknown kind or on", out->name);
        return -1;
    }
    out->host = cache_str(item, "host");
    out->port = cache_int(item, "port", 1, 65535, 0);
    out->db = cache_int(item, "db", 0, 15, 0);
    out->prefix = cache_str(item, "prefix");
    out->command = cache_str(item, "command");
    out->timeout_s = cache_int(item, "timeout_seconds", 1, 3600, CACHE_TIMEOUT_DEFAULT_S);
    if ((why = cache_kind_check(out)) != NULL) {
        snprintf(err, err_len, "cache %s: %s", out->name, why);
        return -1;
    }
    return 0;
}
