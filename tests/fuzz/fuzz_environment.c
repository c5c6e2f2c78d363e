/*
 * fuzz_environment - an environment document: its schema and the code that reads it.
 *
 * DESCRIPTION
 *	Input: the document (JSON), as cutover env apply reads it. It is
 *	validated against schemas/environment.json; whatever its outcome,
 *	the readers that take the stored document are run on it: the
 *	CloudWatch dimension of each color, the alarm rules (its "alarms"
 *	member) matched against an alarm, each cache action (its "caches"),
 *	the scheduled work and where each color listens for it ("scheduler",
 *	"local"), and the application database's settings ("database", as
 *	the migrator reads its text).
 */
#include "harness.h"

#include "appdb/appdb.h"
#include "io/event.h"
#include "io/schema.h"
#include "provider/aws/aws_cloudwatch.h"
#include "saga/cache_action.h"
#include "scheduler/scheduler_doc.h"
#include "web/web_internal.h"

#include <stdlib.h>

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

/* fuzz_caches - each member of the document's "caches" as a cache action */
static void fuzz_caches(const cJSON *env)
{
    const cJSON *item;
    struct cache_action action;
    char why[256];

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(env, "caches"))
        cache_action_parse(item, &action, why, sizeof(why));
}

/* fuzz_scheduler - the scheduled work, and where each color listens */
static void fuzz_scheduler(const cJSON *env)
{
    struct scheduler_doc doc;
    struct scheduler_target target;
    char why[256];

    scheduler_doc_parse(env, &doc, why, sizeof(why));
    scheduler_target_of(env, "blue", &target);
    scheduler_target_of(env, "green", &target);
}

/* fuzz_database - the "database" member's text, as the migrator reads it */
static void fuzz_database(const cJSON *env)
{
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(env, "database"));
    struct appdb_config *cfg = NULL;
    char why[256];

    if (text && appdb_config_parse(text, &cfg, why, sizeof(why)) == 0)
        appdb_config_free(cfg);
    free(text);
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
    fuzz_caches(env);
    fuzz_scheduler(env);
    fuzz_database(env);
    cJSON_Delete(env);
    return 0;
}
