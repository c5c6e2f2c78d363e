/*
 * fuzz_alarms - the alarm receivers' payloads: Alertmanager, EventBridge, SNS.
 *
 * DESCRIPTION
 *	Input: one byte choosing the sender, then the request's body. An
 *	Alertmanager or EventBridge body goes through its receiver's parse
 *	function, and each alarm it yields through what the receiver does
 *	next (web_alarm_check, the match rules, alarm-fired's data); an SNS
 *	body through sns_parse() (the signature is checked after parsing,
 *	so the parser sees anyone's bytes).
 */
#include "harness.h"

#include "web/sns.h"
#include "web/web_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static const char fuzz_rules[] =
    "[{\"match\":{\"alertname\":\"HighErrorRate\"}},"
    "{\"match\":{\"dimension:TargetGroup\":\"targetgroup/shop-green/1\"}}]";

/* fuzz_alarm_use - one parsed alarm through the receiver's next steps */
static void fuzz_alarm_use(const struct web_alarm *a, const cJSON *rules)
{
    char err[512];

    if (web_alarm_check(a, err, sizeof(err)) != 0)
        return;
    web_alarm_matches(a, "shop", rules);
    cJSON_Delete(web_alarm_data(a, "shop"));
}

/* fuzz_json_receiver - an Alertmanager or EventBridge body */
static void fuzz_json_receiver(web_alarm_parse_fn parse, const uint8_t *data, size_t size)
{
    struct web_alarm_batch batch = { 0 };
    cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
    cJSON *rules = cJSON_Parse(fuzz_rules);
    char err[512];

    if (doc && parse(doc, &batch, err, sizeof(err)) == 0)
        for (size_t i = 0; i < batch.count; i++)
            fuzz_alarm_use(&batch.alarms[i], rules);
    web_alarm_batch_free(&batch);
    cJSON_Delete(rules);
    cJSON_Delete(doc);
}

/* LLVMFuzzerTestOneInput - one sender, one body */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sns_message m = { 0 };
    char err[512];

    if (size < 1)
        return 0;
    if (data[0] % 3 == 0)
        fuzz_json_receiver(web_alertmanager_parse, data + 1, size - 1);
    else if (data[0] % 3 == 1)
        fuzz_json_receiver(web_eventbridge_parse, data + 1, size - 1);
    else if (sns_parse((const char *)data + 1, size - 1, &m, err, sizeof(err)) == SNS_OK)
        free(sns_string_to_sign(&m));
    sns_message_free(&m);
    return 0;
}
