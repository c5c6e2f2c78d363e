/*
 * fuzz_environment - an environment document: its schema and the code that reads it.
 *
 * DESCRIPTION
 *	Input: the document (JSON), as cutover env apply reads it. It is
 *	validated against schemas/environment.json; whatever its outcome,
 *	the readers that take the stored document are run on it: the
 *	CloudWatch dimension of each color and the alarm rules (its "alarms"
 *	member) matched against an alarm.
 */
#include "harness.h"

#include "io/event.h"
#include "io/schema.h"
#include "provider/aws/aws_cloudwatch.h"
#include "web/web_internal.h"

#include <cjson/cJSON.h>

/* fuzz_alarm_rules - the document's alarm rules against one CloudWatch alarm */
static void fuzz_alarm_rules(const cJSON *env)
{
    cJSON *fields = cJSON_CreateObject();
    struct web_alarm alarm = { .name = "HighErrorRate", .state = "ALARM",
                               .source = "fuzz", .fields = fields };

    cJSON_AddStringToObject(fields, "alarmName", "HighErrorRate");
    cJSON_AddStringToObject(fields, "dimension:TargetGroup", "targetgroup/shop-green/1");
    web_alarm_matches(&alarm, "shop", cJSON_GetObjectItemCaseSensitive(env, "alarms"));
    cJSON_Delete(fields);
}

/* LLVMFuzzerTestOneInput - one environment document */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *env = cJSON_ParseWithLength((const char *)data, size);
    struct event_error err = { 0 };
    char out[256], why[256];

    if (!env)
        return 0;
    schema_validate(fuzz_schemas(), "environment", env, &err);
    aws_cloudwatch_dimension(env, "TargetGroup", "blue", out, sizeof(out), why, sizeof(why));
    aws_cloudwatch_dimension(env, "LoadBalancer", "green", out, sizeof(out), why, sizeof(why));
    fuzz_alarm_rules(env);
    cJSON_Delete(env);
    return 0;
}
