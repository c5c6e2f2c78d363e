/*
 * provider_aws_ssm - the aws provider's command on a color's instances:
 *                    Systems Manager Run Command (see aws_ssm.h).
 *
 * SYNOPSIS
 *	provider_aws_command_start(p, COLOR_GREEN, "systemctl reload php8.2-fpm", 60,
 *	                           "cutover-<deployment>-<epoch>-opcache", id, sizeof(id), err, len);
 *	provider_aws_command_poll(p, id, &report, &done, err, len);	(on a timer)
 *
 * DESCRIPTION
 *	command_start() lists the instances of the color's Auto Scaling
 *	group that are InService (DescribeAutoScalingGroups) and sends them
 *	AWS-RunShellScript (SendCommand, the reference as its comment); the
 *	handle is "<color>/<command id>". It is not looked up again: a
 *	second start sends the command again, which a cache flush allows (it
 *	is idempotent). command_poll() reads the command's instances back
 *	(ListCommands), keeps those still in the color's group (an instance
 *	the group terminated meanwhile has nothing more to flush; and moto's
 *	server lists every instance of the region for a command sent to
 *	instance ids), and reads each one's invocation
 *	(GetCommandInvocation); an invocation not registered yet
 *	(InvocationDoesNotExist, just after SendCommand) counts as running.
 *	(ListCommandInvocations would read them in one call, but moto's
 *	server, which the tests run against, does not implement it.)
 *
 *	IAM: ssm:SendCommand on the document
 *	arn:aws:ssm:<region>::document/AWS-RunShellScript and on the two
 *	groups' instances (condition ssm:resourceTag/aws:autoscaling:groupName),
 *	ssm:ListCommands and ssm:GetCommandInvocation (resource "*": they take
 *	no resource), autoscaling:DescribeAutoScalingGroups.
 */
#include "provider/aws/aws_ssm.h"
#include "provider/aws/provider_aws_internal.h"

#include <stdio.h>
#include <string.h>

#define AWS_SSM_MAX_INSTANCES PROVIDER_COMMAND_INSTANCES

/* ssm_group_in_service - the ids of color c's instances in service */
static int ssm_group_in_service(struct aws_provider *p, enum color c, char ids[][64],
                                size_t *n, char *err, size_t err_len)
{
    const struct aws_xml_node *group[1], *inst[AWS_SSM_MAX_INSTANCES];
    struct aws_xml *x = NULL;
    char life[64];
    int count, rc = -1;

    *n = 0;
    if (provider_aws_group_describe(p, c, &x, group, err, err_len) != 0)
        goto out;
    count = aws_xml_select(x, group[0], "Instances/member", inst, AWS_SSM_MAX_INSTANCES);
    for (int i = 0; i < count && i < AWS_SSM_MAX_INSTANCES; i++) {
        if (aws_xml_text(x, inst[i], "LifecycleState", life, sizeof(life)) == 0 &&
            strcmp(life, "InService") == 0 &&
            aws_xml_text(x, inst[i], "InstanceId", ids[*n], 64) == 0)
            (*n)++;
    }
    rc = 0;
    if (*n == 0) {
        snprintf(err, err_len, "no instance of group %s is in service", p->asg[c]);
        rc = -1;
    }
out:
    aws_xml_free(x);
    return rc;
}

/* provider_aws_command_start - SendCommand to color c's instances in service */
int provider_aws_command_start(void *state, enum color c, const char *command, int timeout_s,
                               const char *reference, char *handle, size_t handle_len, char *err,
                               size_t err_len)
{
    struct aws_provider *p = state;
    char ids[AWS_SSM_MAX_INSTANCES][64], id[64];
    cJSON *req = NULL, *answer = NULL;
    size_t n;
    int rc = -1;

    if (ssm_group_in_service(p, c, ids, &n, err, err_len) != 0)
        return -1;
    req = aws_ssm_send_request(ids, n, command, timeout_s, reference);
    if (provider_aws_json_call(p, AWS_SERVICE_SSM, AWS_SSM_TARGET, "SendCommand", req, &answer,
                               err, err_len) != 0)
        goto out;
    if (aws_ssm_command_id(answer, id, sizeof(id)) != 0 ||
        snprintf(handle, handle_len, "%s/%s", color_name(c), id) >= (int)handle_len) {
        snprintf(err, err_len, "SendCommand: no command id in the answer");
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(req);
    cJSON_Delete(answer);
    return rc;
}

/* ssm_call - one SSM call with CommandId (and InstanceId when not NULL) */
static int ssm_call(struct aws_provider *p, const char *operation, const char *command_id,
                    const char *instance_id, cJSON **answer, char *err, size_t err_len)
{
    cJSON *req = cJSON_CreateObject();
    int rc;

    cJSON_AddStringToObject(req, "CommandId", command_id);
    if (instance_id != NULL)
        cJSON_AddStringToObject(req, "InstanceId", instance_id);
    rc = provider_aws_json_call(p, AWS_SERVICE_SSM, AWS_SSM_TARGET, operation, req, answer, err,
                                err_len);
    cJSON_Delete(req);
    return rc;
}

/* ssm_invocation_read - one instance's invocation into inst; 0 or -1 */
static int ssm_invocation_read(struct aws_provider *p, const char *command_id, const char *id,
                               struct provider_command_instance *inst, char *err, size_t err_len)
{
    cJSON *answer = NULL;
    int rc = ssm_call(p, "GetCommandInvocation", command_id, id, &answer, err, err_len);

    if (rc != 0 && strstr(err, "InvocationDoesNotExist") != NULL) {
        snprintf(inst->id, sizeof(inst->id), "%s", id);
        inst->state = COMMAND_RUNNING;
        snprintf(inst->detail, sizeof(inst->detail), "not delivered yet");
        rc = 0;
    } else if (rc == 0 && aws_ssm_invocation(answer, inst) != 0) {
        snprintf(err, err_len, "GetCommandInvocation: no instance or status in the answer");
        rc = -1;
    }
    cJSON_Delete(answer);
    return rc;
}

/* ssm_handle_parse - "<color>/<command id>" */
static int ssm_handle_parse(const char *handle, enum color *c, const char **command_id)
{
    const char *slash = strchr(handle, '/');
    char color[16];

    if (slash == NULL || slash - handle >= (long)sizeof(color))
        return -1;
    snprintf(color, sizeof(color), "%.*s", (int)(slash - handle), handle);
    *command_id = slash + 1;
    return color_parse(color, c);
}

/* ssm_command_instances - the command's instances still in color c's group */
static int ssm_command_instances(struct aws_provider *p, enum color c, const char *command_id,
                                 char ids[][64], size_t *n, char *err, size_t err_len)
{
    char sent[AWS_SSM_MAX_INSTANCES][64], group[AWS_SSM_MAX_INSTANCES][64];
    size_t nsent = 0, ngroup = 0;
    cJSON *answer = NULL;
    int rc = ssm_call(p, "ListCommands", command_id, NULL, &answer, err, err_len);

    *n = 0;
    if (rc == 0 && aws_ssm_command_instances(answer, sent, AWS_SSM_MAX_INSTANCES, &nsent) != 0) {
        snprintf(err, err_len, "ListCommands: command %s not found", command_id);
        rc = -1;
    }
    cJSON_Delete(answer);
    if (rc != 0 || ssm_group_in_service(p, c, group, &ngroup, err, err_len) != 0)
        return -1;
    for (size_t i = 0; i < nsent; i++)
        if (provider_aws_id_listed(group, ngroup, sent[i]))
            memcpy(ids[(*n)++], sent[i], sizeof(sent[i]));
    return 0;
}

/* provider_aws_command_poll - each instance's invocation of the command */
int provider_aws_command_poll(void *state, const char *handle,
                              struct provider_command_report *out, int *done, char *err,
                              size_t err_len)
{
    struct aws_provider *p = state;
    char ids[AWS_SSM_MAX_INSTANCES][64];
    const char *command_id;
    enum color c;
    size_t n = 0;
    int rc;

    *done = 0;
    out->count = 0;
    if (ssm_handle_parse(handle, &c, &command_id) != 0) {
        snprintf(err, err_len, "not a command handle: \"%s\"", handle);
        return -1;
    }
    rc = ssm_command_instances(p, c, command_id, ids, &n, err, err_len);
    *done = rc == 0 && n > 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = ssm_invocation_read(p, command_id, ids[i], &out->instances[i], err, err_len);
        *done = *done && out->instances[i].state != COMMAND_RUNNING;
        out->count = i + 1;
    }
    return rc;
}
