/*
 * aws_ssm - Run Command's JSON requests and answers (see aws_ssm.h). Pure:
 *           no I/O.
 */
#include "provider/aws/aws_ssm.h"

#include <stdio.h>
#include <string.h>

static const char *const aws_ssm_running[] = {"Pending", "InProgress", "Delayed"};

/* ssm_str - a string member, or NULL */
static const char *ssm_str(const cJSON *obj, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

/* ssm_one - a JSON array of one string */
static cJSON *ssm_one(const char *value)
{
    cJSON *a = cJSON_CreateArray();

    cJSON_AddItemToArray(a, cJSON_CreateString(value));
    return a;
}

/* aws_ssm_send_request - SendCommand: AWS-RunShellScript on ids */
cJSON *aws_ssm_send_request(char ids[][64], size_t n, const char *command, int timeout_s,
                            const char *comment)
{
    cJSON *req = cJSON_CreateObject(), *params = cJSON_CreateObject();
    cJSON *instances = cJSON_AddArrayToObject(req, "InstanceIds");
    char timeout[16], cut[AWS_SSM_COMMENT_MAX + 1];

    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(instances, cJSON_CreateString(ids[i]));
    snprintf(timeout, sizeof(timeout), "%d", timeout_s);
    snprintf(cut, sizeof(cut), "%s", comment);
    cJSON_AddItemToObject(params, "commands", ssm_one(command));
    cJSON_AddItemToObject(params, "executionTimeout", ssm_one(timeout));
    cJSON_AddStringToObject(req, "DocumentName", "AWS-RunShellScript");
    cJSON_AddItemToObject(req, "Parameters", params);
    cJSON_AddNumberToObject(req, "TimeoutSeconds", timeout_s < 30 ? 30 : timeout_s);
    cJSON_AddStringToObject(req, "Comment", cut);
    return req;
}

/* aws_ssm_command_id - SendCommand's Command.CommandId */
int aws_ssm_command_id(const cJSON *answer, char *out, size_t len)
{
    const char *id = ssm_str(cJSON_GetObjectItemCaseSensitive(answer, "Command"), "CommandId");

    if (id == NULL || id[0] == '\0' || strlen(id) >= len)
        return -1;
    snprintf(out, len, "%s", id);
    return 0;
}

/* aws_ssm_command_instances - ListCommands' first command's InstanceIds */
int aws_ssm_command_instances(const cJSON *answer, char ids[][64], size_t max, size_t *n)
{
    const cJSON *command = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(answer, "Commands"), 0);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(command, "InstanceIds"), *id;

    *n = 0;
    if (!cJSON_IsArray(list))
        return -1;
    cJSON_ArrayForEach(id, list) {
        if (!cJSON_IsString(id) || strlen(id->valuestring) >= 64 || *n >= max)
            return -1;
        snprintf(ids[(*n)++], 64, "%s", id->valuestring);
    }
    return 0;
}

/* ssm_last_line - the last non-empty line of text, printable, into out */
static void ssm_last_line(const char *text, char *out, size_t len)
{
    size_t end = text ? strlen(text) : 0, start;

    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r'))
        end--;
    for (start = end; start > 0 && text[start - 1] != '\n'; start--)
        ;
    snprintf(out, len, "%.*s", (int)(end - start), text ? text + start : "");
    for (char *c = out; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            *c = ' ';
}

/* ssm_state - the provider's state of an invocation status */
static enum provider_command_state ssm_state(const char *status)
{
    for (size_t i = 0; i < sizeof(aws_ssm_running) / sizeof(aws_ssm_running[0]); i++)
        if (strcmp(status, aws_ssm_running[i]) == 0)
            return COMMAND_RUNNING;
    return strcmp(status, "Success") == 0 ? COMMAND_SUCCEEDED : COMMAND_FAILED;
}

/* aws_ssm_invocation - GetCommandInvocation's answer: the instance, its state, a detail */
int aws_ssm_invocation(const cJSON *answer, struct provider_command_instance *out)
{
    const char *id = ssm_str(answer, "InstanceId"), *status = ssm_str(answer, "Status");
    const char *errors = ssm_str(answer, "StandardErrorContent");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(answer, "ResponseCode");
    char tail[160];

    if (id == NULL || status == NULL || strlen(id) >= sizeof(out->id))
        return -1;
    snprintf(out->id, sizeof(out->id), "%s", id);
    out->state = ssm_state(status);
    ssm_last_line(errors && errors[0] ? errors : ssm_str(answer, "StandardOutputContent"), tail,
                  sizeof(tail));
    snprintf(out->detail, sizeof(out->detail), "%s (code %d)%s%s", status,
             cJSON_IsNumber(code) ? code->valueint : -1, tail[0] ? ": " : "", tail);
    return 0;
}
