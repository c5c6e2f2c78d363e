/*
 * web_sns - POST /v1/alarms/sns: Amazon SNS's HTTP(S) deliveries, verified
 *           (web/sns.h) before anything else, into alarms for web_alarms.c.
 *
 * DESCRIPTION
 *	There are no credentials to present: a message is admitted by its
 *	signature. With no topic configured (CUTOVER_SNS_TOPICS) every
 *	message is refused (403 not-configured). sns_verify() answers:
 *	bad-json or bad-field 400 bad-request; a topic not allowed, a
 *	refused certificate URL, a bad signature or an expired message 403
 *	refused; a certificate that could not be fetched 503 (SNS retries).
 *	Then by Type:
 *	  SubscriptionConfirmation  confirmed by fetching its SubscribeURL (only
 *	      now that its signature checked out); 200, or 502 when SNS did not
 *	      answer the confirmation with 200.
 *	  UnsubscribeConfirmation   logged; 200.
 *	  Notification              a CloudWatch alarm in its Message: ALARM or
 *	      OK becomes one alarm (alarm = AlarmName, reason = NewStateReason,
 *	      severity WEB_SEVERITY_DEFAULT, source aws.sns, the key that makes a
 *	      repeat publish nothing = MessageId, which SNS keeps across its
 *	      retries); match rules compare alarmName and dimension:NAME for
 *	      each of Trigger.Dimensions. INSUFFICIENT_DATA is ignored, and so is
 *	      a Message that is not a CloudWatch alarm (200, counted ignored).
 *	The certificate fetch and the confirmation block the event loop for
 *	at most the policy's timeout each; certificates are cached.
 */
#include "web/web_internal.h"

#include "base/config.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEB_SNS_SOURCE     "aws.sns"
#define WEB_SNS_TOPICS_MAX 64

/* web_sns_topics - CUTOVER_SNS_TOPICS split at commas (empty items skipped); 0 or -1 */
static int web_sns_topics(struct web_sns *s, char *err, size_t err_len)
{
    const char *text = config_get("CUTOVER_SNS_TOPICS");
    char *save = NULL, *item;

    if (text == NULL || *text == '\0')
        return 0;
    if ((s->topics_text = strdup(text)) == NULL ||
        (s->topics = calloc(WEB_SNS_TOPICS_MAX, sizeof(*s->topics))) == NULL)
        return web_fail(err, err_len, "out of memory");
    for (item = strtok_r(s->topics_text, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (s->policy.topic_count == WEB_SNS_TOPICS_MAX)
            return web_fail(err, err_len, "CUTOVER_SNS_TOPICS: more than %d topics",
                            WEB_SNS_TOPICS_MAX);
        s->topics[s->policy.topic_count++] = item;
    }
    s->policy.topic_allow = s->topics;
    return 0;
}

/* web_sns_setup - the policy from the configuration */
int web_sns_setup(struct web *w, char *err, size_t err_len)
{
    struct web_sns *s = &w->sns_policy;

    s->policy.cert_host_pattern = config_get("CUTOVER_SNS_CERT_HOST_PATTERN");
    s->policy.ca_file = config_get("CUTOVER_SNS_CA_FILE");
    s->policy.max_age_s = config_get_int("CUTOVER_SNS_MAX_AGE_S");
    return web_sns_topics(s, err, err_len);
}

/* web_sns_stop - the policy's memory */
void web_sns_stop(struct web *w)
{
    free(w->sns_policy.topics);
    free(w->sns_policy.topics_text);
    memset(&w->sns_policy, 0, sizeof(w->sns_policy));
}

/* web_sns_refusal - the status and outcome of a message sns_verify() refused */
static int web_sns_refusal(enum sns_outcome o, const char **outcome)
{
    switch (o) {
    case SNS_BAD_JSON:
    case SNS_BAD_FIELD:
        *outcome = "bad-request";
        return 400;
    case SNS_CERT_FETCH_FAILED:
        *outcome = "unavailable";
        return 503;
    default:
        *outcome = "refused";
        return 403;
    }
}

/* web_sns_fields - what match rules compare: alarmName and dimension:NAME */
static const cJSON *web_sns_fields(const struct sns_alarm *alarm, struct web_alarm_batch *b)
{
    cJSON *fields = cJSON_CreateObject();
    char name[300];

    if (web_alarm_own(b, fields) != 0)
        return NULL;
    cJSON_AddStringToObject(fields, "alarmName", alarm->name);
    for (size_t i = 0; i < alarm->dimension_count; i++) {
        snprintf(name, sizeof(name), "dimension:%s", alarm->dimensions[i].name);
        cJSON_AddStringToObject(fields, name, alarm->dimensions[i].value);
    }
    return fields;
}

/* web_sns_alarm - the Notification's alarm into batch (none for INSUFFICIENT_DATA or a
 * Message that is no alarm); 0, or -1 with err */
static int web_sns_alarm(const struct sns_message *m, struct web_alarm_batch *batch, char *err,
                         size_t err_len)
{
    struct web_alarm *a;

    if (m->alarm.state != SNS_ALARM_ALARM && m->alarm.state != SNS_ALARM_OK) {
        batch->ignored++;
        return 0;
    }
    if ((a = web_alarm_add(batch, err, err_len)) == NULL)
        return -1;
    snprintf(a->key, sizeof(a->key), "%s", m->message_id);
    a->name = m->alarm.name;
    a->state = m->alarm.state == SNS_ALARM_ALARM ? "ALARM" : "OK";
    a->severity = WEB_SEVERITY_DEFAULT;
    a->reason = m->alarm.reason;
    a->source = WEB_SNS_SOURCE;
    if ((a->fields = web_sns_fields(&m->alarm, batch)) == NULL)
        return web_fail(err, err_len, "out of memory");
    return web_alarm_check(a, err, err_len);
}

/* web_sns_confirm - a verified SubscriptionConfirmation: fetch its SubscribeURL */
static void web_sns_confirm(struct web *w, struct evhttp_request *req, const struct sns_message *m)
{
    char err[512];

    if (sns_confirm_subscription(m, &w->sns_policy.policy, err, sizeof(err)) != 0) {
        web_refuse(req, &w->sns, 502, "unavailable", err);
        return;
    }
    log_info("sns receiver: subscription to %s confirmed", m->topic_arn);
    web_accept_message(req, &w->sns, "subscription confirmed");
}

/* web_sns_notification - a verified Notification: its alarm, recorded and published */
static void web_sns_notification(struct web *w, struct evhttp_request *req,
                                 const struct sns_message *m)
{
    struct web_alarm_batch batch = {0};
    char err[512];

    if (web_sns_alarm(m, &batch, err, sizeof(err)) != 0)
        web_refuse(req, &w->sns, 400, "bad-request", err);
    else
        web_alarms_commit(w, req, &w->sns, &batch);
    web_alarm_batch_free(&batch);
}

/* web_sns_cb - POST /v1/alarms/sns */
void web_sns_cb(struct evhttp_request *req, const char *path, void *arg)
{
    struct web *w = arg;
    struct sns_message m;
    const char *body, *outcome;
    char err[512];
    size_t len;
    enum sns_outcome o;

    (void)path;
    memset(&m, 0, sizeof(m));
    if (w->sns_policy.policy.topic_count == 0) {
        web_refuse(req, &w->sns, 403, "not-configured", "no SNS topic is configured");
        return;
    }
    if ((body = web_alarms_raw_body(req, &len, err, sizeof(err))) == NULL) {
        web_refuse(req, &w->sns, 400, "bad-request", err);
        return;
    }
    if ((o = sns_verify(body, len, &w->sns_policy.policy, &m, err, sizeof(err))) != SNS_OK) {
        int code = web_sns_refusal(o, &outcome);

        web_refuse(req, &w->sns, code, outcome, err);
    } else if (m.type == SNS_SUBSCRIPTION_CONFIRMATION)
        web_sns_confirm(w, req, &m);
    else if (m.type == SNS_NOTIFICATION)
        web_sns_notification(w, req, &m);
    else
        web_accept_message(req, &w->sns, "unsubscribe confirmation noted");
    sns_message_free(&m);
}
