/*
 * provider_plan - the plan backend: records every call it is asked to
 *                 make and succeeds at once.
 *
 * SYNOPSIS
 *	const struct provider_ops *ops = provider_find("plan");
 *	ops->open(environment, config, &p, err, sizeof(err));
 *	ops->scale(p, COLOR_GREEN, 2, err, sizeof(err));
 *	for (size_t i = 0; i < provider_plan_count(p); i++)
 *		puts(provider_plan_call(p, i));		("scale green 2")
 *
 * DESCRIPTION
 *	Reads answer plausibly: health is all healthy at the capacity last
 *	asked for (the document's capacity before that), weights are what it
 *	was last told (blue 100 before that), deployments and cache flushes
 *	are finished at the first poll, and so is a command on a color's
 *	instances (each instance of its capacity succeeded). Each mutating or reading call is kept
 *	in memory, in order, and logged as one line "plan call: ..." so that a
 *	saga running on it leaves a trace of what it would have done.
 *
 *	When the environment's document has an "aws" object (an aws
 *	environment planned, or one rehearsed on the plan provider), each call
 *	also names the AWS calls it stands for, with the document's resources
 *	(provider_plan_aws.h): "scale green 2" is
 *	"autoscaling:UpdateAutoScalingGroup shop-green MinSize=2 ...". A cache
 *	flush there is a CloudFront invalidation of aws.cloudfront's paths, or
 *	nothing (handle "") without aws.cloudfront, as on AWS.
 */
#ifndef CUTOVER_PROVIDER_PLAN_H
#define CUTOVER_PROVIDER_PLAN_H

#include "provider/provider.h"

#include <stddef.h>

/* provider_plan_ops - the backend itself (provider_find hands out a timed
 * wrapper whose state is not the plan state) */
extern const struct provider_ops provider_plan_ops;

/* provider_plan_count - how many calls the plan state p recorded */
size_t provider_plan_count(const void *p);

/* provider_plan_call - the i-th recorded call, e.g. "set_weights blue=90 green=10" */
const char *provider_plan_call(const void *p, size_t i);

/* provider_plan_aws_call - the AWS calls the i-th call stands for
 * ("elasticloadbalancing:ModifyListener ARN forward ..."); NULL when the
 * environment has no "aws" object or the call makes none */
const char *provider_plan_aws_call(const void *p, size_t i);

/* provider_plan_note - record line (a planned step that is not a provider
 * call, e.g. the migrations a migrator would run) among the calls */
void provider_plan_note(void *p, const char *line);

#endif
