/*
 * web_eventbridge - POST /v1/alarms/eventbridge: Amazon EventBridge's
 *                   "CloudWatch Alarm State Change" event, as an API
 *                   destination sends it, read into an alarm for
 *                   web_alarms.c.
 *
 * DESCRIPTION
 *	alarm = detail.alarmName, state = detail.state.value (ALARM or OK;
 *	INSUFFICIENT_DATA publishes nothing and is counted as ignored),
 *	severity WEB_SEVERITY_DEFAULT (CloudWatch has none), reason =
 *	detail.state.reason with the previous state, source = the event's
 *	source (aws.cloudwatch). What the environments' match rules compare:
 *	alarmName, and dimension:NAME for every dimension of the alarm's
 *	metrics (detail.configuration.metrics[].metricStat.metric.dimensions).
 *	The key that makes a repeat publish nothing is the event's id, which
 *	EventBridge keeps across its retries.
 *
 *	Refused (400): not an object, another detail-type or source, no id,
 *	alarmName or state value, or a state CloudWatch does not have.
 *	Credentials: the API key an API destination's connection sends, in
 *	the header CUTOVER_EVENTBRIDGE_API_KEY_HEADER (default x-api-key),
 *	equal to CUTOVER_EVENTBRIDGE_API_KEY (or _FILE).
 */
#include "web/web_internal.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEB_EB_DETAIL_TYPE "CloudWatch Alarm State Change"
#define WEB_EB_SOURCE      "aws.cloudwatch"

/* web_eb_dimensions - dimension:NAME fields of one metric of the alarm */
static void web_eb_dimensions(const cJSON *metric, cJSON *fields)
{
    const cJSON *stat = cJSON_GetObjectItemCaseSensitive(metric, "metricStat");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(stat, "metric");
    const cJSON *dimensions = cJSON_GetObjectItemCaseSensitive(m, "dimensions"), *d;
    char name[300];

    cJSON_ArrayForEach(d, dimensions)
    {
        if (!cJSON_IsString(d) || d->string == NULL)
            continue;
        snprintf(name, sizeof(name), "dimension:%s", d->string);
        cJSON_AddStringToObject(fields, name, d->valuestring);
    }
}

/* web_eb_fields - what match rules compare: alarmName and the dimensions */
static cJSON *web_eb_fields(const cJSON *detail, const char *alarm_name,
                            struct web_alarm_batch *b)
{
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(detail, "configuration");
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(config, "metrics"), *metric;
    cJSON *fields = cJSON_CreateObject();

    if (web_alarm_own(b, fields) != 0)
        return NULL;
    cJSON_AddStringToObject(fields, "alarmName", alarm_name);
    cJSON_ArrayForEach(metric, metrics)
        web_eb_dimensions(metric, fields);
    return fields;
}

/* web_eb_reason - the state's reason and the state before it, owned by the batch */
static const char *web_eb_reason(const cJSON *detail, struct web_alarm_batch *b)
{
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(detail, "state");
    const cJSON *previous = cJSON_GetObjectItemCaseSensitive(detail, "previousState");
    const char *reason = web_json_string(state, "reason"), *was = web_json_string(previous, "value");
    char *text = NULL;
    const char *owned;

    if (asprintf(&text, "%s%s%s%s", reason ? reason : "", was ? " (was " : "", was ? was : "",
                 was ? ")" : "")
        < 0)
        return NULL;
    owned = web_alarm_owned_string(b, text);
    free(text);
    return owned;
}

/* web_eb_event - the event's envelope: an object of the right type and source, with an id */
static int web_eb_event(const cJSON *doc, char *err, size_t err_len)
{
    const char *type = web_json_string(doc, "detail-type"), *source = web_json_string(doc, "source");
    const char *id = web_json_string(doc, "id");

    if (!cJSON_IsObject(doc))
        return web_fail(err, err_len, "the payload is not a JSON object");
    if (type == NULL || strcmp(type, WEB_EB_DETAIL_TYPE) != 0)
        return web_fail(err, err_len, "detail-type \"" WEB_EB_DETAIL_TYPE "\" wanted");
    if (source == NULL || strcmp(source, WEB_EB_SOURCE) != 0)
        return web_fail(err, err_len, "source \"" WEB_EB_SOURCE "\" wanted");
    if (id == NULL || *id == '\0' || strlen(id) >= WEB_ALARM_KEY_MAX)
        return web_fail(err, err_len, "an id of 1 to %d bytes wanted", WEB_ALARM_KEY_MAX - 1);
    return 0;
}

/* web_eb_state - ALARM or OK, NULL for INSUFFICIENT_DATA; -1 with err for anything else */
static int web_eb_state(const char *value, const char **state, char *err, size_t err_len)
{
    *state = NULL;
    if (value != NULL && (strcmp(value, "ALARM") == 0 || strcmp(value, "OK") == 0))
        *state = value;
    else if (value == NULL || strcmp(value, "INSUFFICIENT_DATA") != 0)
        return web_fail(err, err_len, "detail.state.value ALARM, OK or INSUFFICIENT_DATA wanted");
    return 0;
}

/* web_eventbridge_parse - one CloudWatch alarm state change: one alarm, or none */
int web_eventbridge_parse(const cJSON *doc, struct web_alarm_batch *batch, char *err,
                          size_t err_len)
{
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(doc, "detail");
    const char *name = web_json_string(detail, "alarmName"), *state;
    struct web_alarm *a;

    if (web_eb_event(doc, err, err_len) != 0
        || web_eb_state(web_json_string(cJSON_GetObjectItemCaseSensitive(detail, "state"), "value"),
                        &state, err, err_len)
               != 0)
        return -1;
    if (name == NULL)
        return web_fail(err, err_len, "detail.alarmName wanted");
    if (state == NULL) {
        batch->ignored++;
        return 0;
    }
    if ((a = web_alarm_add(batch, err, err_len)) == NULL)
        return -1;
    snprintf(a->key, sizeof(a->key), "%s", web_json_string(doc, "id"));
    a->name = name;
    a->state = state;
    a->severity = WEB_SEVERITY_DEFAULT;
    a->source = WEB_EB_SOURCE;
    a->reason = web_eb_reason(detail, batch);
    a->fields = web_eb_fields(detail, name, batch);
    if (a->reason == NULL || a->fields == NULL)
        return web_fail(err, err_len, "out of memory");
    return web_alarm_check(a, err, err_len);
}

/* web_eventbridge_setup - the receiver's parser and API key from the configuration */
int web_eventbridge_setup(struct web *w, char *err, size_t err_len)
{
    struct web_receiver *r = &w->eventbridge;
    char secret[CONFIG_SECRET_MAX];
    int found;

    r->parse = web_eventbridge_parse;
    found = config_get_secret("CUTOVER_EVENTBRIDGE_API_KEY", secret, sizeof(secret), err,
                              err_len);
    if (found == 0)
        web_receiver_credential(r, config_get("CUTOVER_EVENTBRIDGE_API_KEY_HEADER"), NULL,
                                secret);
    OPENSSL_cleanse(secret, sizeof(secret));
    return found < 0 ? -1 : 0;
}

/* web_eventbridge_cb - POST /v1/alarms/eventbridge */
void web_eventbridge_cb(struct evhttp_request *req, const char *path, void *arg)
{
    struct web *w = arg;

    (void)path;
    web_alarms_receive(w, req, &w->eventbridge);
}
