/*
 * aws_ssm - Systems Manager Run Command's requests and answers, as JSON:
 *           what the aws provider sends to run a shell command on a
 *           color's instances and how it reads each instance's outcome.
 *
 * SYNOPSIS
 *	cJSON *req = aws_ssm_send_request(ids, n, "systemctl reload php8.2-fpm", 60, comment);
 *	... AmazonSSM.SendCommand ...
 *	aws_ssm_command_id(answer, id, sizeof(id));
 *	... AmazonSSM.ListCommands {CommandId} ...
 *	aws_ssm_command_instances(answer, ids, max, &n);
 *	... AmazonSSM.GetCommandInvocation {CommandId, InstanceId} per instance ...
 *	aws_ssm_invocation(answer, &instance);
 *
 * DESCRIPTION
 *	SendCommand runs the document AWS-RunShellScript with parameters
 *	commands [command] and executionTimeout [timeout], TimeoutSeconds
 *	(delivery) the same, on the listed instance ids (the color's group's
 *	instances in service), with the comment (at most 100 characters:
 *	longer is cut) naming the run. ListCommands gives back the instance
 *	ids of a command, GetCommandInvocation one instance's status:
 *	Pending, InProgress, Delayed (running), Success (succeeded), and
 *	every other (Failed, TimedOut, Cancelled, Cancelling,
 *	DeliveryTimedOut, ExecutionTimedOut, Undeliverable, Terminated,
 *	InvalidPlatform, AccessDenied) failed, with the response code and the
 *	last line of its standard error (or output) as the detail.
 *	Each reader returns 0, or -1 when the answer lacks what it reads.
 */
#ifndef CUTOVER_AWS_SSM_H
#define CUTOVER_AWS_SSM_H

#include "provider/provider.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define AWS_SSM_TARGET "AmazonSSM."
#define AWS_SSM_COMMENT_MAX 100

cJSON *aws_ssm_send_request(char ids[][64], size_t n, const char *command, int timeout_s,
                            const char *comment);
int aws_ssm_command_id(const cJSON *answer, char *out, size_t len);
int aws_ssm_command_instances(const cJSON *answer, char ids[][64], size_t max, size_t *n);
int aws_ssm_invocation(const cJSON *answer, struct provider_command_instance *out);

#endif
