/*
 * provider_timed - every provider call timed: a table of operations in
 *                  front of a backend's, which provider_find() hands out,
 *                  so that no caller can make an untimed call.
 *
 * SYNOPSIS
 *	const struct provider_ops *ops = provider_timed(&provider_local_ops);
 *	ops->open(...), ops->scale(...)	(the backend's, timed)
 *
 * DESCRIPTION
 *	open() opens the backend that the environment document's "provider"
 *	member names (the schema requires it; provider_find() was asked for
 *	the same name) and wraps its state with it; each operation unwraps
 *	it, calls the backend, and observes the time into
 *	cutover_provider_call_duration_seconds{provider, operation} and,
 *	when the call failed, counts it in
 *	cutover_provider_call_errors_total{provider, operation}. Providers
 *	and operations are fixed lists, so the label sets are bounded. An
 *	operation the backend lacks (cache_flush_*, command_*) stays NULL.
 */
#include "provider/provider_timed.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROVIDER_TIMED_MAX 8

/* A backend's state, with the backend it belongs to. */
struct provider_timed {
    const struct provider_ops *real;
    void *state;
    double start; /* of the call in progress (calls never nest: one thread) */
};

/* Seconds: HAProxy answers in a millisecond, an AWS API call in a second or ten. */
static const double provider_call_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,    1,     2.5,  5,     10,   30};
static const char *const provider_call_labels[] = {"provider", "operation"};

/* timed_begin - the wrapper of state, its call's clock started */
static struct provider_timed *timed_begin(void *state)
{
    struct provider_timed *t = state;

    t->start = clock_mono_seconds();
    return t;
}

/* timed_end - observe the call begun on t; rc passes through */
static int timed_end(const struct provider_timed *t, const char *operation, int rc)
{
    const char *values[] = {t->real->name, operation};
    struct metric_family *took = metrics_histogram(
        "cutover_provider_call_duration_seconds", "Time of one provider call.",
        provider_call_labels, 2, provider_call_buckets,
        sizeof(provider_call_buckets) / sizeof(provider_call_buckets[0]));

    metrics_observe(took, clock_mono_seconds() - t->start, values);
    if (rc != 0)
        metrics_add(metrics_counter("cutover_provider_call_errors_total",
                                    "Provider calls that failed.", provider_call_labels, 2),
                    1, values);
    return rc;
}

static const struct provider_ops *provider_timed_real[PROVIDER_TIMED_MAX];
static struct provider_ops provider_timed_tables[PROVIDER_TIMED_MAX];
static size_t provider_timed_count;

/* timed_close - close the backend and free the wrapper */
static void timed_close(void *state)
{
    struct provider_timed *t = state;

    if (t == NULL)
        return;
    t->real->close(t->state);
    free(t);
}

/* timed_scale - scale, timed */
static int timed_scale(void *state, enum color c, int capacity, char *err, size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "scale", t->real->scale(t->state, c, capacity, err, err_len));
}

/* timed_health - health, timed */
static int timed_health(void *state, enum color c, struct provider_health *out, char *err,
                        size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "health", t->real->health(t->state, c, out, err, err_len));
}

/* timed_deploy_start - deploy_start, timed */
static int timed_deploy_start(void *state, enum color c, const struct provider_release *rel,
                              char *handle, size_t handle_len, char *err, size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "deploy_start",
                     t->real->deploy_start(t->state, c, rel, handle, handle_len, err, err_len));
}

/* timed_deploy_poll - deploy_poll, timed */
static int timed_deploy_poll(void *state, const char *handle, enum provider_deploy_status *out,
                             char *detail, size_t detail_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "deploy_poll",
                     t->real->deploy_poll(t->state, handle, out, detail, detail_len));
}

/* timed_deploy_stop - deploy_stop, timed */
static int timed_deploy_stop(void *state, const char *handle, char *err, size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "deploy_stop", t->real->deploy_stop(t->state, handle, err, err_len));
}

/* timed_set_weights - set_weights, timed */
static int timed_set_weights(void *state, const struct provider_weights *w, char *err,
                             size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "set_weights", t->real->set_weights(t->state, w, err, err_len));
}

/* timed_get_weights - get_weights, timed */
static int timed_get_weights(void *state, struct provider_weights *out, char *err,
                             size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "get_weights", t->real->get_weights(t->state, out, err, err_len));
}

/* timed_preview_open - preview_open, timed */
static int timed_preview_open(void *state, enum color c, const char *deployment_id, char *url,
                              size_t url_len, char *err, size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "preview_open",
                     t->real->preview_open(t->state, c, deployment_id, url, url_len, err, err_len));
}

/* timed_preview_close - preview_close, timed */
static int timed_preview_close(void *state, const char *deployment_id, char *err,
                               size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "preview_close",
                     t->real->preview_close(t->state, deployment_id, err, err_len));
}

/* timed_cache_flush_start - cache_flush_start, timed */
static int timed_cache_flush_start(void *state, const char *reference, char *handle,
                                   size_t handle_len, char *err, size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "cache_flush_start",
                     t->real->cache_flush_start(t->state, reference, handle, handle_len, err,
                                            err_len));
}

/* timed_cache_flush_poll - cache_flush_poll, timed */
static int timed_cache_flush_poll(void *state, const char *handle, int *done, char *err,
                                  size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "cache_flush_poll",
                     t->real->cache_flush_poll(t->state, handle, done, err, err_len));
}

/* timed_command_start - command_start, timed */
static int timed_command_start(void *state, enum color c, const char *command, int timeout_s,
                               const char *reference, char *handle, size_t handle_len, char *err,
                               size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "command_start",
                     t->real->command_start(t->state, c, command, timeout_s, reference, handle,
                                            handle_len, err, err_len));
}

/* timed_command_poll - command_poll, timed */
static int timed_command_poll(void *state, const char *handle,
                              struct provider_command_report *out, int *done, char *err,
                              size_t err_len)
{
    struct provider_timed *t = timed_begin(state);

    return timed_end(t, "command_poll",
                     t->real->command_poll(t->state, handle, out, done, err, err_len));
}

/* timed_open - open the backend the document names, and wrap its state */
static int timed_open(const char *environment, const cJSON *config, void **state, char *err,
                      size_t err_len)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(config, "provider");
    const struct provider_ops *real = NULL;
    struct provider_timed *t;

    for (size_t i = 0; i < provider_timed_count && cJSON_IsString(name); i++) {
        if (strcmp(provider_timed_real[i]->name, name->valuestring) == 0)
            real = provider_timed_real[i];
    }
    if (real == NULL || (t = calloc(1, sizeof(*t))) == NULL) {
        snprintf(err, err_len, "%s: the environment document names no known provider",
                 environment);
        return -1;
    }
    t->real = real;
    timed_begin(t);
    if (timed_end(t, "open", real->open(environment, config, &t->state, err, err_len)) != 0) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

/* provider_timed_table - the timed operations in front of real's */
static struct provider_ops provider_timed_table(const struct provider_ops *real)
{
    struct provider_ops ops = {
        .name = real->name,
        .open = timed_open,
        .close = timed_close,
        .scale = timed_scale,
        .health = timed_health,
        .deploy_start = timed_deploy_start,
        .deploy_poll = timed_deploy_poll,
        .deploy_stop = timed_deploy_stop,
        .set_weights = timed_set_weights,
        .get_weights = timed_get_weights,
        .preview_open = timed_preview_open,
        .preview_close = timed_preview_close,
        .cache_flush_start = real->cache_flush_start ? timed_cache_flush_start : NULL,
        .cache_flush_poll = real->cache_flush_poll ? timed_cache_flush_poll : NULL,
        .command_start = real->command_start ? timed_command_start : NULL,
        .command_poll = real->command_poll ? timed_command_poll : NULL,
    };

    return ops;
}

/* provider_timed - the timed table of a backend, made on first use */
const struct provider_ops *provider_timed(const struct provider_ops *real)
{
    for (size_t i = 0; i < provider_timed_count; i++) {
        if (provider_timed_real[i] == real)
            return &provider_timed_tables[i];
    }
    if (provider_timed_count == PROVIDER_TIMED_MAX)
        log_panic("provider_timed: more than %d backends", PROVIDER_TIMED_MAX);
    provider_timed_real[provider_timed_count] = real;
    provider_timed_tables[provider_timed_count] = provider_timed_table(real);
    return &provider_timed_tables[provider_timed_count++];
}
