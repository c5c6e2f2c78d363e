/*
 * fuzz_aws_ssm - Systems Manager's JSON answers (cache flushes on the
 *                instances of a color).
 *
 * DESCRIPTION
 *	Input: a response body (JSON). It is read as each of the three
 *	answers the provider reads: SendCommand's command id, ListCommands'
 *	instances of the command, and GetCommandInvocation's status and
 *	output of one instance.
 */
#include "harness.h"

#include "provider/aws/aws_ssm.h"

#include <cjson/cJSON.h>

/* LLVMFuzzerTestOneInput - one JSON response */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *answer = cJSON_ParseWithLength((const char *)data, size);
    char id[128], ids[8][64];
    size_t n = 0;
    struct provider_command_instance instance;

    if (answer == NULL)
        return 0;
    aws_ssm_command_id(answer, id, sizeof(id));
    aws_ssm_command_instances(answer, ids, 8, &n);
    aws_ssm_invocation(answer, &instance);
    cJSON_Delete(answer);
    return 0;
}
