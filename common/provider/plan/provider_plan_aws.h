/*
 * provider_plan_aws - the AWS API calls a plan call stands for, named with
 *                     the resources of the environment's "aws" object.
 *
 * SYNOPSIS
 *	char line[PLAN_AWS_MAX];
 *	plan_aws_scale(aws, COLOR_GREEN, 2, line, sizeof(line));
 *	("autoscaling:UpdateAutoScalingGroup shop-green MinSize=2 ...")
 *
 * DESCRIPTION
 *	aws is the environment document's "aws" object (schemas/environment.json);
 *	a member it lacks is printed as "?". Each function writes one line in
 *	the terms of common/provider/aws/: the service and action, then the
 *	resources (names and ARNs) and parameters the aws provider would send.
 *	Pure: no call is made, nothing is read but aws.
 */
#ifndef CUTOVER_PROVIDER_PLAN_AWS_H
#define CUTOVER_PROVIDER_PLAN_AWS_H

#include "provider/provider.h"

#include <stddef.h>

#define PLAN_AWS_MAX 1024 /* longest line: a listener and two target group ARNs */

/* plan_aws_scale - UpdateAutoScalingGroup of color c's group to capacity */
void plan_aws_scale(const cJSON *aws, enum color c, int capacity, char *out, size_t len);

/* plan_aws_health - DescribeAutoScalingGroups and DescribeTargetHealth of color c */
void plan_aws_health(const cJSON *aws, enum color c, char *out, size_t len);

/* plan_aws_deploy - CreateDeployment of rel to color c's deployment group */
void plan_aws_deploy(const cJSON *aws, enum color c, const struct provider_release *rel,
                     char *out, size_t len);

/* plan_aws_deploy_poll - GetDeployment in the application */
void plan_aws_deploy_poll(const cJSON *aws, char *out, size_t len);

/* plan_aws_deploy_stop - StopDeployment in the application */
void plan_aws_deploy_stop(const cJSON *aws, char *out, size_t len);

/* plan_aws_set_weights - ModifyListener: each target group's weight */
void plan_aws_set_weights(const cJSON *aws, const struct provider_weights *w, char *out,
                          size_t len);

/* plan_aws_get_weights - DescribeListeners of the listener */
void plan_aws_get_weights(const cJSON *aws, char *out, size_t len);

/* plan_aws_preview_open - CreateRule: header: color -> color c's target group */
void plan_aws_preview_open(const cJSON *aws, const char *header, enum color c,
                           const char *deployment_id, char *out, size_t len);

/* plan_aws_preview_close - DescribeRules, DescribeTags, DeleteRule of the tagged rule */
void plan_aws_preview_close(const cJSON *aws, const char *deployment_id, char *out,
                            size_t len);

/* plan_aws_command - SendCommand AWS-RunShellScript to color c's instances in service */
void plan_aws_command(const cJSON *aws, enum color c, int timeout_s, char *out, size_t len);

/* plan_aws_command_poll - ListCommands, then GetCommandInvocation of each instance */
void plan_aws_command_poll(char *out, size_t len);

/* plan_aws_has_cdn - 1 when aws names a CloudFront distribution */
int plan_aws_has_cdn(const cJSON *aws);

/* plan_aws_invalidate - CreateInvalidation of the distribution's paths */
void plan_aws_invalidate(const cJSON *aws, const char *reference, char *out, size_t len);

/* plan_aws_invalidation_poll - GetInvalidation of the distribution */
void plan_aws_invalidation_poll(const cJSON *aws, char *out, size_t len);

#endif
