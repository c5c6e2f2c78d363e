/*
 * provider_plan - the plan backend: records the calls, succeeds at once.
 *
 * DESCRIPTION
 *	See provider_plan.h. The state keeps the environment's name, the
 *	weights and capacities it was last told, and the recorded calls as
 *	strings in a growing array. Nothing here touches the network, a file
 *	or a process.
 */
#include "provider/plan/provider_plan.h"

#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_CALL_MAX 256 /* longest recorded call */

struct plan_state {
    char environment[64];
    struct provider_weights weights;
    int capacity[2]; /* indexed by enum color */
    char **calls;
    size_t count;
    size_t allocated;
};

/* plan_record - append one formatted call to s and log it */
static void plan_record(struct plan_state *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void plan_record(struct plan_state *s, const char *fmt, ...)
{
    char line[PLAN_CALL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (s->count == s->allocated) {
        size_t grown = s->allocated ? s->allocated * 2 : 16;
        char **calls = realloc(s->calls, grown * sizeof(*calls));
        if (calls == NULL)
            log_panic("provider_plan: out of memory");
        s->calls = calls;
        s->allocated = grown;
    }
    s->calls[s->count] = strdup(line);
    if (s->calls[s->count] == NULL)
        log_panic("provider_plan: out of memory");
    s->count++;
    log_info("plan call: %s environment=%s", line, s->environment);
}

/* plan_open - a fresh state: blue takes all traffic, both colors at the
 * document's capacity (1 when it says none) */
static int plan_open(const char *environment, const cJSON *config, void **state, char *err,
                     size_t err_len)
{
    struct plan_state *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    snprintf(s->environment, sizeof(s->environment), "%s", environment ? environment : "");
    const cJSON *capacity = cJSON_GetObjectItemCaseSensitive(config, "capacity");
    int initial = cJSON_IsNumber(capacity) ? capacity->valueint : 1;
    s->capacity[COLOR_BLUE] = initial;
    s->capacity[COLOR_GREEN] = initial;
    s->weights.blue = 100;
    s->weights.green = 0;
    *state = s;
    return 0;
}

/* plan_close - free the recorded calls and the state */
static void plan_close(void *state)
{
    struct plan_state *s = state;
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->count; i++)
        free(s->calls[i]);
    free(s->calls);
    free(s);
}

/* plan_scale - remember the capacity of color c */
static int plan_scale(void *state, enum color c, int capacity, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    s->capacity[c] = capacity;
    plan_record(s, "scale %s %d", color_name(c), capacity);
    return 0;
}

/* plan_health - every instance of color c healthy */
static int plan_health(void *state, enum color c, struct provider_health *out, char *err,
                       size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    out->desired = out->running = out->healthy = s->capacity[c];
    plan_record(s, "health %s (read: %d healthy)", color_name(c), s->capacity[c]);
    return 0;
}

/* plan_deploy_start - the handle names the deployment and the color */
static int plan_deploy_start(void *state, enum color c, const struct provider_release *rel,
                             char *handle, size_t handle_len, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    snprintf(handle, handle_len, "plan-%s-%s", color_name(c),
             rel->deployment_id ? rel->deployment_id : "");
    plan_record(s, "deploy_start %s version=%s artifact=%s", color_name(c),
                rel->version ? rel->version : "", rel->artifact_uri ? rel->artifact_uri : "");
    return 0;
}

/* plan_deploy_poll - every deployment has succeeded */
static int plan_deploy_poll(void *state, const char *handle, enum provider_deploy_status *out,
                            char *detail, size_t detail_len)
{
    struct plan_state *s = state;
    *out = DEPLOY_SUCCEEDED;
    snprintf(detail, detail_len, "succeeded");
    plan_record(s, "deploy_poll %s", handle);
    return 0;
}

/* plan_deploy_stop - record the stop */
static int plan_deploy_stop(void *state, const char *handle, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    plan_record(state, "deploy_stop %s", handle);
    return 0;
}

/* plan_set_weights - remember the weights */
static int plan_set_weights(void *state, const struct provider_weights *w, char *err,
                            size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    s->weights = *w;
    plan_record(s, "set_weights blue=%d green=%d", w->blue, w->green);
    return 0;
}

/* plan_get_weights - the weights last set */
static int plan_get_weights(void *state, struct provider_weights *out, char *err,
                            size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    *out = s->weights;
    plan_record(s, "get_weights (read: blue=%d green=%d)", out->blue, out->green);
    return 0;
}

/* plan_preview_open - a plan:// url that names the color */
static int plan_preview_open(void *state, enum color c, const char *deployment_id, char *url,
                             size_t url_len, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    snprintf(url, url_len, "plan://preview/%s", color_name(c));
    plan_record(state, "preview_open %s deployment=%s", color_name(c),
                deployment_id ? deployment_id : "");
    return 0;
}

/* plan_preview_close - record the close */
static int plan_preview_close(void *state, const char *deployment_id, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    plan_record(state, "preview_close deployment=%s", deployment_id ? deployment_id : "");
    return 0;
}

/* plan_cache_flush_start - the handle is the reference */
static int plan_cache_flush_start(void *state, const char *reference, char *handle,
                                  size_t handle_len, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    snprintf(handle, handle_len, "%s", reference ? reference : "");
    plan_record(state, "cache_flush_start %s", handle);
    return 0;
}

/* plan_cache_flush_poll - every flush is done */
static int plan_cache_flush_poll(void *state, const char *handle, int *done, char *err,
                                 size_t err_len)
{
    (void)err;
    (void)err_len;
    *done = 1;
    plan_record(state, "cache_flush_poll %s", handle);
    return 0;
}

/* provider_plan_count - how many calls p recorded */
size_t provider_plan_count(const void *p)
{
    const struct plan_state *s = p;
    return s->count;
}

/* provider_plan_call - the i-th recorded call; NULL past the end */
const char *provider_plan_call(const void *p, size_t i)
{
    const struct plan_state *s = p;
    return i < s->count ? s->calls[i] : NULL;
}

const struct provider_ops provider_plan_ops = {
    .name = "plan",
    .open = plan_open,
    .close = plan_close,
    .scale = plan_scale,
    .health = plan_health,
    .deploy_start = plan_deploy_start,
    .deploy_poll = plan_deploy_poll,
    .deploy_stop = plan_deploy_stop,
    .set_weights = plan_set_weights,
    .get_weights = plan_get_weights,
    .preview_open = plan_preview_open,
    .preview_close = plan_preview_close,
    .cache_flush_start = plan_cache_flush_start,
    .cache_flush_poll = plan_cache_flush_poll,
};
