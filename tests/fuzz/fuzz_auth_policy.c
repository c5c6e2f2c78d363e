/*
 * fuzz_auth_policy - the operators' authorization policy (an environment
 *                    document's signers) and the verdict on a command.
 *
 * DESCRIPTION
 *	Input: the environment document (JSON), the line "--", one byte
 *	choosing the topic, then a record's value (a structured CloudEvent).
 *	The document goes through auth_policy_load() as a worker loads it
 *	(signatures, signers' principals with their keys and roles,
 *	permissions, window and skew); when it loads, the record is decoded
 *	as a worker decodes it and judged by auth_verify() (the command it
 *	is, its signature, an age of one second, the signer's roles), and
 *	auth_unsigned_warning() is asked.
 */
#include "harness.h"

#include "io/event.h"
#include "worker/worker_auth.h"

#include <cjson/cJSON.h>

/* fuzz_judge - the record (a topic byte, then its value) judged under policy */
static void fuzz_judge(const struct auth_policy *policy, const struct fuzz_part *record)
{
    struct event_record rec = { 0 };
    struct cloud_event ev = { 0 };
    struct event_error err = { 0 };
    struct auth_verdict verdict;

    if (record->size < 1)
        return;
    rec.topic = fuzz_topic(record->data[0]);
    rec.value = record->data + 1;
    rec.value_len = record->size - 1;
    if (event_decode(&rec, 64 * 1024, &ev, &err) == 0)
        auth_verify(policy, &rec, &ev, 1.0, &verdict);
    cloudevent_free(&ev);
}

/* LLVMFuzzerTestOneInput - one environment document, one command */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_part part[2];
    struct auth_policy policy;
    cJSON *config;
    char err[512];

    fuzz_split(data, size, "\n--\n", part, 2);
    config = cJSON_ParseWithLength((const char *)part[0].data, part[0].size);
    if (auth_policy_load(&policy, config, err, sizeof(err)) == 0) {
        auth_unsigned_warning(&policy);
        fuzz_judge(&policy, &part[1]);
        auth_policy_free(&policy);
    }
    cJSON_Delete(config);
    return 0;
}
