/*
 * provider_aws_internal - what the files of the aws provider share:
 *                         provider_aws.c (configuration, the operations
 *                         table, the request helpers), provider_aws_elbv2.c
 *                         (weights, preview, target health),
 *                         provider_aws_autoscaling.c (scale, health),
 *                         provider_aws_codedeploy.c (deployments),
 *                         provider_aws_cloudfront.c (cache flush) and
 *                         aws_cloudwatch.c (metric data for the analysis
 *                         gates).
 *
 * SYNOPSIS
 *	struct aws_query q;
 *	aws_query_init(&q);
 *	aws_query_add(&q, arn, "Actions.member.%d.TargetGroupArn", 1);
 *	struct aws_xml *x = NULL;
 *	if (provider_aws_query(p, AWS_SERVICE_ELBV2, "CreateRule", &q, &x, err, len) != 0) ...
 *	aws_xml_free(x);
 *
 *	cJSON *out = NULL;
 *	provider_aws_json(p, "GetDeployment", request, &out, err, len);
 *
 * DESCRIPTION
 *	One request builder per API family: provider_aws_query() for the Query
 *	APIs (Elastic Load Balancing v2, Auto Scaling: form parameters in, XML
 *	out), provider_aws_json() for CodeDeploy (JSON 1.1 in and out). Both
 *	put one line in err on failure: "<Action>: Code: message (request id
 *	X)". Parameters live in a capped arena inside struct aws_query; a
 *	request that does not fit is refused, never truncated.
 */
#ifndef CUTOVER_PROVIDER_AWS_INTERNAL_H
#define CUTOVER_PROVIDER_AWS_INTERNAL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "provider/aws/aws_http.h"
#include "provider/aws/aws_xml.h"
#include "provider/provider.h"

#define AWS_ARN_MAX 512
#define AWS_NAME_MAX 256
#define AWS_QUERY_MAX_PARAMS 160
#define AWS_QUERY_ARENA 16384
#define AWS_PREVIEW_TAG "cutover-preview"
#define AWS_DEPLOY_TAG "cutover:"

struct aws_provider {
    char environment[64];
    struct aws_client *client;
    char listener_arn[AWS_ARN_MAX];
    char target_group[2][AWS_ARN_MAX];   /* indexed by enum color */
    char asg[2][AWS_NAME_MAX];
    char application[AWS_NAME_MAX];
    char deployment_group[2][AWS_NAME_MAX];
    char deployment_config[AWS_NAME_MAX]; /* empty: the group's own */
    int stickiness_set;                   /* 0: keep what the listener has */
    int stickiness_enabled;
    int stickiness_seconds;
    char preview_header[64];
    int preview_priority;
    int capacity_min;
    int capacity_max;
    char cloudfront_distribution[40]; /* "": no cache flush */
    cJSON *cloudfront_paths;          /* the paths to invalidate; owned */
};

struct aws_query {
    struct aws_param params[AWS_QUERY_MAX_PARAMS];
    size_t count;
    char arena[AWS_QUERY_ARENA];
    size_t used;
    int overflow;
};

/* aws_cfg_str - the string at a '/'-separated path below aws; def when absent (NULL def:
 * required); -1 with err when it is missing or too long */
int aws_cfg_str(const cJSON *aws, const char *path, const char *def, char *out, size_t out_len,
                char *err, size_t err_len);
/* aws_cfg_region - the environment's aws.region, or NULL to let the client find one */
const char *aws_cfg_region(const cJSON *config);

void aws_query_init(struct aws_query *q);
/* aws_query_add - one parameter; the name is a printf format */
void aws_query_add(struct aws_query *q, const char *value, const char *name_fmt, ...)
    __attribute__((format(printf, 3, 4)));

int provider_aws_query(struct aws_provider *p, enum aws_service svc, const char *action,
                       const struct aws_query *q, struct aws_xml **out, char *err,
                       size_t err_len);
int provider_aws_json(struct aws_provider *p, const char *operation, const cJSON *request,
                      cJSON **out, char *err, size_t err_len);

/* provider_aws_xml_int - an integer element of a response; def when absent */
int provider_aws_xml_int(struct aws_xml *x, const struct aws_xml_node *ctx, const char *path,
                         int def);

/* The operations, one file per service. */
int provider_aws_scale(void *state, enum color c, int capacity, char *err, size_t err_len);
int provider_aws_health(void *state, enum color c, struct provider_health *out, char *err,
                        size_t err_len);
int provider_aws_deploy_start(void *state, enum color c, const struct provider_release *rel,
                              char *handle, size_t handle_len, char *err, size_t err_len);
int provider_aws_deploy_poll(void *state, const char *handle, enum provider_deploy_status *out,
                             char *detail, size_t detail_len);
int provider_aws_deploy_stop(void *state, const char *handle, char *err, size_t err_len);
int provider_aws_set_weights(void *state, const struct provider_weights *w, char *err,
                             size_t err_len);
int provider_aws_get_weights(void *state, struct provider_weights *out, char *err,
                             size_t err_len);
int provider_aws_preview_open(void *state, enum color c, const char *deployment_id, char *url,
                              size_t url_len, char *err, size_t err_len);
int provider_aws_preview_close(void *state, const char *deployment_id, char *err,
                               size_t err_len);
int provider_aws_cache_flush_start(void *state, const char *reference, char *handle,
                                   size_t handle_len, char *err, size_t err_len);
int provider_aws_cache_flush_poll(void *state, const char *handle, int *done, char *err,
                                  size_t err_len);
/* provider_aws_id_listed - whether id is one of ids[0..n) */
int provider_aws_id_listed(char ids[][64], size_t n, const char *id);
/* provider_aws_group_describe - color c's Auto Scaling group described:
 * the answer in *x (aws_xml_free it, also on failure) and the group's node */
int provider_aws_group_describe(struct aws_provider *p, enum color c, struct aws_xml **x,
                                const struct aws_xml_node **group, char *err, size_t err_len);
int provider_aws_command_start(void *state, enum color c, const char *command, int timeout_s,
                               const char *reference, char *handle, size_t handle_len, char *err,
                               size_t err_len);
int provider_aws_command_poll(void *state, const char *handle,
                              struct provider_command_report *out, int *done, char *err,
                              size_t err_len);
/* provider_aws_json_call - one JSON 1.1 call of svc (target prefix: the
 * API's, e.g. "AmazonSSM."); the parsed answer in *out */
int provider_aws_json_call(struct aws_provider *p, enum aws_service svc, const char *prefix,
                           const char *operation, const cJSON *request, cJSON **out, char *err,
                           size_t err_len);
/* provider_aws_target_healthy - ids of healthy targets in color c's target group */
int provider_aws_target_healthy(struct aws_provider *p, enum color c, char ids[][64],
                                size_t max, size_t *n, char *err, size_t err_len);

#endif
