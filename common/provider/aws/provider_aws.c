/*
 * provider_aws - the "aws" provider: an Application Load Balancer listener
 *                that forwards to two weighted target groups (blue and
 *                green), one Auto Scaling Group per color, and CodeDeploy
 *                deployment groups that install releases on them.
 *
 * SYNOPSIS
 *	const struct provider_ops *ops = provider_find("aws");
 *	(see provider.h; the environment's "aws" object is described in
 *	schemas/environment.json)
 *
 * DESCRIPTION
 *	This file reads the environment's "aws" object, owns the signed
 *	client (common/aws_http.c: credentials, retries, timeouts) and offers
 *	the two request builders the service files share (see
 *	provider_aws_internal.h). The operations live in
 *	provider_aws_autoscaling.c (scale, health), provider_aws_codedeploy.c
 *	(deploy_start, deploy_poll, deploy_stop), provider_aws_elbv2.c
 *	(set_weights, get_weights, preview_open, preview_close) and
 *	provider_aws_cloudfront.c (cache_flush_start, cache_flush_poll),
 *	provider_aws_ssm.c (command_start, command_poll: Run Command).
 *
 *	Every operation is one or a few API calls, each bounded by
 *	CUTOVER_AWS_TIMEOUT_MS; nothing waits for AWS to converge: callers
 *	poll health() and deploy_poll(). Errors come back as one line naming
 *	the action, the AWS error code, its message and the request id.
 */
#include "provider/aws/provider_aws_internal.h"

#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AWS_QUERY_VERSION_ELBV2 "2015-12-01"
#define AWS_QUERY_VERSION_AUTOSCALING "2011-01-01"
#define AWS_CODEDEPLOY_TARGET "CodeDeploy_20141006."

/* ---- configuration ------------------------------------------------------ */

/* cfg_find - the member at a '/'-separated path below obj; NULL when absent */
static const cJSON *cfg_find(const cJSON *obj, const char *path)
{
    char name[64];

    while (obj != NULL && *path != '\0') {
        size_t n = strcspn(path, "/");
        if (n >= sizeof(name))
            return NULL;
        memcpy(name, path, n);
        name[n] = '\0';
        obj = cJSON_GetObjectItemCaseSensitive(obj, name);
        path += n + (path[n] == '/');
    }
    return obj;
}

/* aws_cfg_str - a string member; def when absent (NULL def: required) */
int aws_cfg_str(const cJSON *aws, const char *path, const char *def, char *out, size_t out_len,
                char *err, size_t err_len)
{
    const cJSON *item = cfg_find(aws, path);
    const char *v = cJSON_IsString(item) ? item->valuestring : def;

    if ((item != NULL && !cJSON_IsString(item)) || v == NULL || strlen(v) >= out_len) {
        snprintf(err, err_len, "aws provider: aws.%s is %s", path,
                 v == NULL ? "required" : "not a string of the right length");
        return -1;
    }
    snprintf(out, out_len, "%s", v);
    return 0;
}

/* cfg_int - an integer member in lo..hi; def when absent */
static int cfg_int(const cJSON *aws, const char *path, int def, int lo, int hi, int *out,
                   char *err, size_t err_len)
{
    const cJSON *item = cfg_find(aws, path);

    if (item == NULL) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(item) || item->valuedouble < lo || item->valuedouble > hi ||
        item->valuedouble != (double)(int)item->valuedouble) {
        snprintf(err, err_len, "aws provider: aws.%s must be an integer in %d..%d", path, lo, hi);
        return -1;
    }
    *out = (int)item->valuedouble;
    return 0;
}

/* cfg_parse_colors - the per-color names: target groups, groups, deployment groups */
static int cfg_parse_colors(const cJSON *aws, struct aws_provider *p, char *err, size_t err_len)
{
    static const char *const color[2] = { "blue", "green" };
    char path[96];

    for (int c = 0; c < 2; c++) {
        snprintf(path, sizeof(path), "target_groups/%s", color[c]);
        if (aws_cfg_str(aws, path, NULL, p->target_group[c], AWS_ARN_MAX, err, err_len) != 0)
            return -1;
        snprintf(path, sizeof(path), "auto_scaling_groups/%s", color[c]);
        if (aws_cfg_str(aws, path, NULL, p->asg[c], AWS_NAME_MAX, err, err_len) != 0)
            return -1;
        snprintf(path, sizeof(path), "codedeploy/deployment_groups/%s", color[c]);
        if (aws_cfg_str(aws, path, NULL, p->deployment_group[c], AWS_NAME_MAX, err, err_len) != 0)
            return -1;
    }
    return 0;
}

/* cfg_parse_cloudfront - aws.cloudfront, when present: the distribution and its paths */
static int cfg_parse_cloudfront(const cJSON *aws, struct aws_provider *p, char *err,
                                size_t err_len)
{
    const cJSON *paths = cfg_find(aws, "cloudfront/paths"), *path;

    if (cfg_find(aws, "cloudfront") == NULL)
        return 0;
    if (aws_cfg_str(aws, "cloudfront/distribution_id", NULL, p->cloudfront_distribution,
                    sizeof(p->cloudfront_distribution), err, err_len) != 0)
        return -1;
    if (paths != NULL && (!cJSON_IsArray(paths) || cJSON_GetArraySize(paths) == 0)) {
        snprintf(err, err_len, "aws provider: aws.cloudfront.paths must be a non-empty array");
        return -1;
    }
    cJSON_ArrayForEach(path, paths) {
        if (!cJSON_IsString(path) || path->valuestring[0] != '/') {
            snprintf(err, err_len, "aws provider: aws.cloudfront.paths holds a non-path");
            return -1;
        }
    }
    p->cloudfront_paths = paths != NULL ? cJSON_Duplicate(paths, 1)
                                        : cJSON_CreateStringArray((const char *[]){ "/*" }, 1);
    if (p->cloudfront_paths == NULL) {
        snprintf(err, err_len, "aws provider: out of memory");
        return -1;
    }
    return 0;
}

/* cfg_parse - the environment's "aws" object (and the shared preview header) */
static int cfg_parse(const cJSON *config, struct aws_provider *p, char *err, size_t err_len)
{
    const cJSON *aws = cJSON_GetObjectItemCaseSensitive(config, "aws");
    const cJSON *sticky;
    char header[64];

    if (!cJSON_IsObject(aws)) {
        snprintf(err, err_len, "aws provider: the environment has no \"aws\" object");
        return -1;
    }
    if (aws_cfg_str(config, "preview/header", "X-Cutover-Preview", header, sizeof(header), err,
                    err_len) != 0 ||
        aws_cfg_str(aws, "preview/header", header, p->preview_header, sizeof(p->preview_header),
                    err, err_len) != 0 ||
        aws_cfg_str(aws, "listener_arn", NULL, p->listener_arn, AWS_ARN_MAX, err, err_len) != 0 ||
        cfg_parse_colors(aws, p, err, err_len) != 0 ||
        aws_cfg_str(aws, "codedeploy/application", NULL, p->application, AWS_NAME_MAX, err,
                    err_len) != 0 ||
        aws_cfg_str(aws, "codedeploy/deployment_config", "", p->deployment_config, AWS_NAME_MAX,
                    err, err_len) != 0 ||
        cfg_int(aws, "preview/priority", 10, 1, 50000, &p->preview_priority, err, err_len) != 0 ||
        cfg_int(aws, "capacity/min", 0, 0, 10000, &p->capacity_min, err, err_len) != 0 ||
        cfg_int(aws, "capacity/max", 100, 1, 10000, &p->capacity_max, err, err_len) != 0 ||
        cfg_int(aws, "stickiness/duration_seconds", 3600, 1, 604800, &p->stickiness_seconds,
                err, err_len) != 0 ||
        cfg_parse_cloudfront(aws, p, err, err_len) != 0)
        return -1;
    sticky = cfg_find(aws, "stickiness/enabled");
    p->stickiness_set = cJSON_IsBool(sticky);
    p->stickiness_enabled = cJSON_IsTrue(sticky);
    return 0;
}

/* aws_cfg_region - aws.region, or NULL to let the client find one */
const char *aws_cfg_region(const cJSON *config)
{
    const cJSON *region = cfg_find(cJSON_GetObjectItemCaseSensitive(config, "aws"), "region");

    return cJSON_IsString(region) && region->valuestring[0] != '\0' ? region->valuestring : NULL;
}

/* ---- open and close ----------------------------------------------------- */

/* aws_close - free the client and the state */
static void aws_close(void *state)
{
    struct aws_provider *p = state;

    if (p == NULL)
        return;
    aws_client_free(p->client);
    cJSON_Delete(p->cloudfront_paths);
    free(p);
}

/* aws_open - read the configuration and create the client; no API call yet */
static int aws_open(const char *environment, const cJSON *config, void **state, char *err,
                    size_t err_len)
{
    struct aws_provider *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        snprintf(err, err_len, "aws provider: out of memory");
        return -1;
    }
    snprintf(p->environment, sizeof(p->environment), "%s", environment);
    if (cfg_parse(config, p, err, err_len) != 0 ||
        (p->client = aws_client_create(aws_cfg_region(config), err, err_len)) == NULL) {
        aws_close(p);
        return -1;
    }
    *state = p;
    return 0;
}

/* ---- request helpers ---------------------------------------------------- */

/* aws_query_init - an empty parameter list */
void aws_query_init(struct aws_query *q)
{
    q->count = 0;
    q->used = 0;
    q->overflow = 0;
}

/* aws_query_keep - copy s into the arena; NULL when it does not fit */
static const char *aws_query_keep(struct aws_query *q, const char *s, size_t len)
{
    char *at = q->arena + q->used;

    if (len + 1 > sizeof(q->arena) - q->used)
        return NULL;
    memcpy(at, s, len);
    at[len] = '\0';
    q->used += len + 1;
    return at;
}

/* aws_query_add - one parameter whose name is formatted from name_fmt */
void aws_query_add(struct aws_query *q, const char *value, const char *name_fmt, ...)
{
    char name[256];
    const char *n, *v;
    va_list ap;
    int len;

    va_start(ap, name_fmt);
    len = vsnprintf(name, sizeof(name), name_fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof(name) || q->count >= AWS_QUERY_MAX_PARAMS ||
        (n = aws_query_keep(q, name, (size_t)len)) == NULL ||
        (v = aws_query_keep(q, value, strlen(value))) == NULL) {
        q->overflow = 1;
        return;
    }
    q->params[q->count].name = n;
    q->params[q->count].value = v;
    q->count++;
}

/* provider_aws_query - one Query API call; the parsed XML answer in *out */
int provider_aws_query(struct aws_provider *p, enum aws_service svc, const char *action,
                       const struct aws_query *q, struct aws_xml **out, char *err,
                       size_t err_len)
{
    const char *version = svc == AWS_SERVICE_AUTOSCALING ? AWS_QUERY_VERSION_AUTOSCALING
                                                         : AWS_QUERY_VERSION_ELBV2;
    struct aws_response r = { 0 };
    char msg[768];
    int rc = -1;

    *out = NULL;
    if (q->overflow) {
        snprintf(err, err_len, "%s: request too large", action);
        return -1;
    }
    if (aws_client_query(p->client, svc, action, version, q->params, q->count, &r, msg,
                         sizeof(msg)) != 0) {
        snprintf(err, err_len, "%s: %s", action, msg);
        goto out;
    }
    if ((*out = aws_xml_parse(r.body.data, r.body.len, msg, sizeof(msg))) == NULL) {
        snprintf(err, err_len, "%s: unreadable answer: %s", action, msg);
        goto out;
    }
    rc = 0;
out:
    aws_response_free(&r);
    return rc;
}

/* provider_aws_json_call - one JSON 1.1 call; the parsed JSON answer in *out */
int provider_aws_json_call(struct aws_provider *p, enum aws_service svc, const char *prefix,
                           const char *operation, const cJSON *request, cJSON **out, char *err,
                           size_t err_len)
{
    char target[128], msg[768];
    struct aws_response r = { 0 };
    char *body = cJSON_PrintUnformatted(request);
    int rc = -1;

    *out = NULL;
    snprintf(target, sizeof(target), "%s%s", prefix, operation);
    if (body == NULL) {
        snprintf(err, err_len, "%s: out of memory", operation);
        goto out;
    }
    if (aws_client_json(p->client, svc, target, body, &r, msg, sizeof(msg)) != 0) {
        snprintf(err, err_len, "%s: %s", operation, msg);
        goto out;
    }
    if ((*out = cJSON_ParseWithLength(r.body.data, r.body.len)) == NULL) {
        snprintf(err, err_len, "%s: the answer is not JSON", operation);
        goto out;
    }
    rc = 0;
out:
    cJSON_free(body);
    aws_response_free(&r);
    return rc;
}

/* provider_aws_json - one CodeDeploy call; the parsed JSON answer in *out */
int provider_aws_json(struct aws_provider *p, const char *operation, const cJSON *request,
                      cJSON **out, char *err, size_t err_len)
{
    return provider_aws_json_call(p, AWS_SERVICE_CODEDEPLOY, AWS_CODEDEPLOY_TARGET, operation,
                                  request, out, err, err_len);
}

/* provider_aws_xml_int - an integer element; def when absent or not a number */
int provider_aws_xml_int(struct aws_xml *x, const struct aws_xml_node *ctx, const char *path,
                         int def)
{
    char text[32], *end;
    long v;

    if (aws_xml_text(x, ctx, path, text, sizeof(text)) != 0)
        return def;
    v = strtol(text, &end, 10);
    return end == text || *end != '\0' || v < -1000000 || v > 1000000 ? def : (int)v;
}

const struct provider_ops provider_aws_ops = {
    .name = "aws",
    .open = aws_open,
    .close = aws_close,
    .scale = provider_aws_scale,
    .health = provider_aws_health,
    .deploy_start = provider_aws_deploy_start,
    .deploy_poll = provider_aws_deploy_poll,
    .deploy_stop = provider_aws_deploy_stop,
    .set_weights = provider_aws_set_weights,
    .get_weights = provider_aws_get_weights,
    .preview_open = provider_aws_preview_open,
    .preview_close = provider_aws_preview_close,
    .cache_flush_start = provider_aws_cache_flush_start,
    .cache_flush_poll = provider_aws_cache_flush_poll,
    .command_start = provider_aws_command_start,
    .command_poll = provider_aws_command_poll,
};
