/*
 * provider_plan_aws - the AWS API calls a plan call stands for.
 *
 * DESCRIPTION
 *	See provider_plan_aws.h. The parameters follow the aws provider
 *	(common/provider/aws/): MinSize = DesiredCapacity = the capacity and
 *	MaxSize = aws.capacity.max (100 when absent), preview rule priority
 *	aws.preview.priority (10 when absent), the invalidation's paths
 *	aws.cloudfront.paths (every path when absent).
 */
#include "provider/plan/provider_plan_aws.h"

#include <stdio.h>
#include <string.h>

/* aws_member - aws.outer.inner (inner NULL: aws.outer) when it is a string, else "?" */
static const char *aws_member(const cJSON *aws, const char *outer, const char *inner)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(aws, outer);
    if (inner != NULL)
        v = cJSON_GetObjectItemCaseSensitive(v, inner);
    return cJSON_IsString(v) ? v->valuestring : "?";
}

/* aws_number - aws.outer.inner when it is a number, else fallback */
static int aws_number(const cJSON *aws, const char *outer, const char *inner, int fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(aws, outer), inner);
    return cJSON_IsNumber(v) ? v->valueint : fallback;
}

/* aws_color_member - aws.outer.<color c>: a group, target group or deployment group */
static const char *aws_color_member(const cJSON *aws, const char *outer, enum color c)
{
    return aws_member(aws, outer, color_name(c));
}

/* aws_deployment_group - aws.codedeploy.deployment_groups.<color c> */
static const char *aws_deployment_group(const cJSON *aws, enum color c)
{
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(aws, "codedeploy"), "deployment_groups");
    return aws_member(groups, color_name(c), NULL);
}

/* plan_aws_scale - UpdateAutoScalingGroup of color c's group to capacity */
void plan_aws_scale(const cJSON *aws, enum color c, int capacity, char *out, size_t len)
{
    snprintf(out, len,
             "autoscaling:UpdateAutoScalingGroup %s MinSize=%d DesiredCapacity=%d MaxSize=%d",
             aws_color_member(aws, "auto_scaling_groups", c), capacity, capacity,
             aws_number(aws, "capacity", "max", 100));
}

/* plan_aws_health - DescribeAutoScalingGroups and DescribeTargetHealth of color c */
void plan_aws_health(const cJSON *aws, enum color c, char *out, size_t len)
{
    snprintf(out, len,
             "autoscaling:DescribeAutoScalingGroups %s;"
             " elasticloadbalancing:DescribeTargetHealth %s",
             aws_color_member(aws, "auto_scaling_groups", c),
             aws_color_member(aws, "target_groups", c));
}

/* plan_aws_deploy - CreateDeployment of rel to color c's deployment group */
void plan_aws_deploy(const cJSON *aws, enum color c, const struct provider_release *rel,
                     char *out, size_t len)
{
    const char *config = aws_member(aws, "codedeploy", "deployment_config");
    snprintf(out, len, "codedeploy:CreateDeployment application=%s deploymentGroupName=%s%s%s"
                       " revision=%s",
             aws_member(aws, "codedeploy", "application"), aws_deployment_group(aws, c),
             strcmp(config, "?") != 0 ? " deploymentConfigName=" : "",
             strcmp(config, "?") != 0 ? config : "",
             rel->artifact_uri ? rel->artifact_uri : "?");
}

/* plan_aws_deploy_poll - GetDeployment in the application */
void plan_aws_deploy_poll(const cJSON *aws, char *out, size_t len)
{
    snprintf(out, len, "codedeploy:GetDeployment application=%s",
             aws_member(aws, "codedeploy", "application"));
}

/* plan_aws_deploy_stop - StopDeployment in the application */
void plan_aws_deploy_stop(const cJSON *aws, char *out, size_t len)
{
    snprintf(out, len, "codedeploy:StopDeployment application=%s",
             aws_member(aws, "codedeploy", "application"));
}

/* plan_aws_set_weights - ModifyListener: each target group's weight */
void plan_aws_set_weights(const cJSON *aws, const struct provider_weights *w, char *out,
                          size_t len)
{
    snprintf(out, len, "elasticloadbalancing:ModifyListener %s forward %s=%d %s=%d",
             aws_member(aws, "listener_arn", NULL),
             aws_color_member(aws, "target_groups", COLOR_BLUE), w->blue,
             aws_color_member(aws, "target_groups", COLOR_GREEN), w->green);
}

/* plan_aws_get_weights - DescribeListeners of the listener */
void plan_aws_get_weights(const cJSON *aws, char *out, size_t len)
{
    snprintf(out, len, "elasticloadbalancing:DescribeListeners %s",
             aws_member(aws, "listener_arn", NULL));
}

/* plan_aws_preview_open - CreateRule: header: color -> color c's target group */
void plan_aws_preview_open(const cJSON *aws, const char *header, enum color c,
                           const char *deployment_id, char *out, size_t len)
{
    snprintf(out, len,
             "elasticloadbalancing:CreateRule %s Priority=%d if %s: %s forward %s"
             " tag cutover-preview=%s",
             aws_member(aws, "listener_arn", NULL), aws_number(aws, "preview", "priority", 10),
             header, color_name(c), aws_color_member(aws, "target_groups", c),
             deployment_id ? deployment_id : "");
}

/* plan_aws_preview_close - DescribeRules, DescribeTags, DeleteRule of the tagged rule */
void plan_aws_preview_close(const cJSON *aws, const char *deployment_id, char *out,
                            size_t len)
{
    snprintf(out, len,
             "elasticloadbalancing:DescribeRules %s; DescribeTags; DeleteRule of the rule"
             " tagged cutover-preview=%s",
             aws_member(aws, "listener_arn", NULL), deployment_id ? deployment_id : "");
}

/* plan_aws_command - SendCommand AWS-RunShellScript to color c's instances in service */
void plan_aws_command(const cJSON *aws, enum color c, int timeout_s, char *out, size_t len)
{
    snprintf(out, len,
             "autoscaling:DescribeAutoScalingGroups %s (its instances in service);"
             " ssm:SendCommand DocumentName=AWS-RunShellScript to them TimeoutSeconds=%d",
             aws_color_member(aws, "auto_scaling_groups", c), timeout_s);
}

/* plan_aws_command_poll - ListCommands, then GetCommandInvocation of each instance */
void plan_aws_command_poll(char *out, size_t len)
{
    snprintf(out, len, "ssm:ListCommands; ssm:GetCommandInvocation of each instance");
}

/* plan_aws_has_cdn - 1 when aws names a CloudFront distribution */
int plan_aws_has_cdn(const cJSON *aws)
{
    return strcmp(aws_member(aws, "cloudfront", "distribution_id"), "?") != 0;
}

/* aws_paths - aws.cloudfront.paths joined with commas; all paths when absent */
static void aws_paths(const cJSON *aws, char *out, size_t len)
{
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(aws, "cloudfront"), "paths");
    const cJSON *path;
    size_t used = 0;

    snprintf(out, len, "/*");
    cJSON_ArrayForEach(path, paths) {
        if (!cJSON_IsString(path) || used >= len)
            continue;
        used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "",
                                 path->valuestring);
    }
}

/* plan_aws_invalidate - CreateInvalidation of the distribution's paths */
void plan_aws_invalidate(const cJSON *aws, const char *reference, char *out, size_t len)
{
    char paths[512];
    aws_paths(aws, paths, sizeof(paths));
    snprintf(out, len, "cloudfront:CreateInvalidation %s Paths=%s CallerReference=%s",
             aws_member(aws, "cloudfront", "distribution_id"), paths,
             reference ? reference : "");
}

/* plan_aws_invalidation_poll - GetInvalidation of the distribution */
void plan_aws_invalidation_poll(const cJSON *aws, char *out, size_t len)
{
    snprintf(out, len, "cloudfront:GetInvalidation %s until Completed",
             aws_member(aws, "cloudfront", "distribution_id"));
}
