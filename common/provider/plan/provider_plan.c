/*
 * provider_plan - the plan backend: records the calls, succeeds at once.
 *
 * DESCRIPTION
 *	See provider_plan.h. The state keeps the environment's name, the
 *	weights and capacities it was last told, the document's "aws" object
 *	when it has one (each call then also names the AWS calls it stands
 *	for, provider_plan_aws.c), and the recorded calls as strings in a
 *	growing array. Nothing here touches the network, a file or a process.
 */
#include "provider/plan/provider_plan.h"
#include "provider/plan/provider_plan_aws.h"

#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_CALL_MAX 1024 /* longest recorded call or note */

/* One recorded call and, on an aws environment, the AWS calls it stands for. */
struct plan_call {
    char *call;
    char *aws; /* NULL when the environment has no "aws" object */
};

struct plan_state {
    char environment[64];
    char preview_header[64];
    cJSON *aws; /* the document's "aws" object, or NULL */
    struct provider_weights weights;
    int capacity[2]; /* indexed by enum color */
    struct plan_call *calls;
    size_t count;
    size_t allocated;
};

/* plan_strdup - a copy of text (NULL stays NULL); panics when memory is out */
static char *plan_strdup(const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    if (text != NULL && copy == NULL)
        log_panic("provider_plan: out of memory");
    return copy;
}

/* plan_record - append one formatted call to s, with its AWS calls (NULL:
 * none), and log it */
static void plan_record(struct plan_state *s, const char *aws, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void plan_record(struct plan_state *s, const char *aws, const char *fmt, ...)
{
    char line[PLAN_CALL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (s->count == s->allocated) {
        size_t grown = s->allocated ? s->allocated * 2 : 16;
        struct plan_call *calls = realloc(s->calls, grown * sizeof(*calls));
        if (calls == NULL)
            log_panic("provider_plan: out of memory");
        s->calls = calls;
        s->allocated = grown;
    }
    s->calls[s->count].call = plan_strdup(line);
    s->calls[s->count].aws = plan_strdup(aws && aws[0] ? aws : NULL);
    s->count++;
    log_info("plan call: %s environment=%s%s%s", line, s->environment,
             s->calls[s->count - 1].aws ? " aws: " : "", aws ? aws : "");
}

/* plan_open_aws - keep the document's "aws" object and the preview header
 * its rule matches (aws.preview.header, else preview.header, else
 * X-Cutover-Preview), as the aws provider reads them */
static void plan_open_aws(struct plan_state *s, const cJSON *config)
{
    const cJSON *aws = cJSON_GetObjectItemCaseSensitive(config, "aws");
    const cJSON *header = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(aws, "preview"), "header");

    if (!cJSON_IsString(header))
        header = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(config, "preview"), "header");
    snprintf(s->preview_header, sizeof(s->preview_header), "%s",
             cJSON_IsString(header) ? header->valuestring : "X-Cutover-Preview");
    if (cJSON_IsObject(aws) && (s->aws = cJSON_Duplicate(aws, 1)) == NULL)
        log_panic("provider_plan: out of memory");
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
    plan_open_aws(s, config);
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
    for (size_t i = 0; i < s->count; i++) {
        free(s->calls[i].call);
        free(s->calls[i].aws);
    }
    free(s->calls);
    cJSON_Delete(s->aws);
    free(s);
}

/* plan_scale - remember the capacity of color c */
static int plan_scale(void *state, enum color c, int capacity, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    s->capacity[c] = capacity;
    if (s->aws)
        plan_aws_scale(s->aws, c, capacity, aws, sizeof(aws));
    plan_record(s, aws, "scale %s %d", color_name(c), capacity);
    return 0;
}

/* plan_health - every instance of color c healthy */
static int plan_health(void *state, enum color c, struct provider_health *out, char *err,
                       size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    out->desired = out->running = out->healthy = s->capacity[c];
    if (s->aws)
        plan_aws_health(s->aws, c, aws, sizeof(aws));
    plan_record(s, aws, "health %s (read: %d healthy)", color_name(c), s->capacity[c]);
    return 0;
}

/* plan_deploy_start - the handle names the deployment and the color */
static int plan_deploy_start(void *state, enum color c, const struct provider_release *rel,
                             char *handle, size_t handle_len, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    snprintf(handle, handle_len, "plan-%s-%s", color_name(c),
             rel->deployment_id ? rel->deployment_id : "");
    if (s->aws)
        plan_aws_deploy(s->aws, c, rel, aws, sizeof(aws));
    plan_record(s, aws, "deploy_start %s version=%s artifact=%s", color_name(c),
                rel->version ? rel->version : "", rel->artifact_uri ? rel->artifact_uri : "");
    return 0;
}

/* plan_deploy_poll - every deployment has succeeded */
static int plan_deploy_poll(void *state, const char *handle, enum provider_deploy_status *out,
                            char *detail, size_t detail_len)
{
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    *out = DEPLOY_SUCCEEDED;
    snprintf(detail, detail_len, "succeeded");
    if (s->aws)
        plan_aws_deploy_poll(s->aws, aws, sizeof(aws));
    plan_record(s, aws, "deploy_poll %s", handle);
    return 0;
}

/* plan_deploy_stop - record the stop */
static int plan_deploy_stop(void *state, const char *handle, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    if (s->aws)
        plan_aws_deploy_stop(s->aws, aws, sizeof(aws));
    plan_record(s, aws, "deploy_stop %s", handle);
    return 0;
}

/* plan_set_weights - remember the weights */
static int plan_set_weights(void *state, const struct provider_weights *w, char *err,
                            size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    s->weights = *w;
    if (s->aws)
        plan_aws_set_weights(s->aws, w, aws, sizeof(aws));
    plan_record(s, aws, "set_weights blue=%d green=%d", w->blue, w->green);
    return 0;
}

/* plan_get_weights - the weights last set */
static int plan_get_weights(void *state, struct provider_weights *out, char *err,
                            size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    *out = s->weights;
    if (s->aws)
        plan_aws_get_weights(s->aws, aws, sizeof(aws));
    plan_record(s, aws, "get_weights (read: blue=%d green=%d)", out->blue, out->green);
    return 0;
}

/* plan_preview_open - a plan:// url that names the color */
static int plan_preview_open(void *state, enum color c, const char *deployment_id, char *url,
                             size_t url_len, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    snprintf(url, url_len, "plan://preview/%s", color_name(c));
    if (s->aws)
        plan_aws_preview_open(s->aws, s->preview_header, c, deployment_id, aws, sizeof(aws));
    plan_record(s, aws, "preview_open %s deployment=%s", color_name(c),
                deployment_id ? deployment_id : "");
    return 0;
}

/* plan_preview_close - record the close */
static int plan_preview_close(void *state, const char *deployment_id, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    if (s->aws)
        plan_aws_preview_close(s->aws, deployment_id, aws, sizeof(aws));
    plan_record(s, aws, "preview_close deployment=%s", deployment_id ? deployment_id : "");
    return 0;
}

/* plan_cache_flush_start - the handle is the reference; on an aws
 * environment without aws.cloudfront, "" (nothing to flush), as the aws
 * provider answers */
static int plan_cache_flush_start(void *state, const char *reference, char *handle,
                                  size_t handle_len, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    if (s->aws && !plan_aws_has_cdn(s->aws)) {
        handle[0] = '\0';
        plan_record(s, NULL, "cache_flush_start %s (no aws.cloudfront: nothing to flush)",
                    reference ? reference : "");
        return 0;
    }
    snprintf(handle, handle_len, "%s", reference ? reference : "");
    if (s->aws)
        plan_aws_invalidate(s->aws, reference, aws, sizeof(aws));
    plan_record(s, aws, "cache_flush_start %s", handle);
    return 0;
}

/* plan_cache_flush_poll - every flush is done */
static int plan_cache_flush_poll(void *state, const char *handle, int *done, char *err,
                                 size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    *done = 1;
    if (s->aws)
        plan_aws_invalidation_poll(s->aws, aws, sizeof(aws));
    plan_record(s, aws, "cache_flush_poll %s", handle);
    return 0;
}

/* plan_command_start - the handle names the color and the reference */
static int plan_command_start(void *state, enum color c, const char *command, int timeout_s,
                              const char *reference, char *handle, size_t handle_len, char *err,
                              size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    char aws[PLAN_AWS_MAX] = "";
    snprintf(handle, handle_len, "%s/%s", color_name(c), reference ? reference : "");
    if (s->aws)
        plan_aws_command(s->aws, c, timeout_s, aws, sizeof(aws));
    plan_record(s, aws, "command_start %s timeout=%ds: %s", color_name(c), timeout_s,
                command ? command : "");
    return 0;
}

/* plan_command_poll - every instance of the handle's color (its capacity
 * last asked for, at most PROVIDER_COMMAND_INSTANCES) succeeded */
static int plan_command_poll(void *state, const char *handle, struct provider_command_report *out,
                             int *done, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct plan_state *s = state;
    enum color c = strncmp(handle, "green/", 6) == 0 ? COLOR_GREEN : COLOR_BLUE;
    char aws[PLAN_AWS_MAX] = "";
    size_t n = s->capacity[c] > 0 ? (size_t)s->capacity[c] : 0;

    out->count = n < PROVIDER_COMMAND_INSTANCES ? n : PROVIDER_COMMAND_INSTANCES;
    for (size_t i = 0; i < out->count; i++) {
        snprintf(out->instances[i].id, sizeof(out->instances[i].id), "plan-%s-%zu",
                 color_name(c), i + 1);
        out->instances[i].state = COMMAND_SUCCEEDED;
        out->instances[i].detail[0] = '\0';
    }
    *done = 1;
    if (s->aws)
        plan_aws_command_poll(aws, sizeof(aws));
    plan_record(s, aws, "command_poll %s (read: %zu succeeded)", handle, out->count);
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
    return i < s->count ? s->calls[i].call : NULL;
}

/* provider_plan_aws_call - the AWS calls the i-th call stands for; NULL when none */
const char *provider_plan_aws_call(const void *p, size_t i)
{
    const struct plan_state *s = p;
    return i < s->count ? s->calls[i].aws : NULL;
}

/* provider_plan_note - record a planned step that is not a provider call */
void provider_plan_note(void *p, const char *line)
{
    plan_record(p, NULL, "%s", line);
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
    .command_start = plan_command_start,
    .command_poll = plan_command_poll,
};
