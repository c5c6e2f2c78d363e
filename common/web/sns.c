/*
 * sns - Amazon SNS HTTP(S) messages: parse, verify, read a CloudWatch
 *	 alarm, confirm a subscription (see sns.h).
 *
 * DESCRIPTION
 *	The string to sign is the one SNS documents: for a Notification
 *	the keys Message, MessageId, Subject (only when present), Timestamp,
 *	TopicArn and Type; for a SubscriptionConfirmation or an
 *	UnsubscribeConfirmation Message, MessageId, SubscribeURL, Timestamp,
 *	Token, TopicArn and Type; each key as "Key\nValue\n", in that order.
 *	The fetches and the crypto are in sns_cert.c.
 */
#include "web/sns.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/sns_cert.h"

#define SNS_MAX_BODY (256u * 1024) /* SNS messages are at most 256 KiB */
#define SNS_CONFIRM_MAX_BYTES (64u * 1024)
#define SNS_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One signed key: its name and where the message keeps its value. */
struct sns_signed_key {
    const char *name;
    size_t offset;
    int optional; /* left out of the string when absent */
};

#define SNS_KEY(name, member, optional) { name, offsetof(struct sns_message, member), optional }

static const struct sns_signed_key sns_notification_keys[] = {
    SNS_KEY("Message", message, 0),     SNS_KEY("MessageId", message_id, 0),
    SNS_KEY("Subject", subject, 1),     SNS_KEY("Timestamp", timestamp, 0),
    SNS_KEY("TopicArn", topic_arn, 0),  SNS_KEY("Type", type_name, 0),
};

static const struct sns_signed_key sns_confirmation_keys[] = {
    SNS_KEY("Message", message, 0),         SNS_KEY("MessageId", message_id, 0),
    SNS_KEY("SubscribeURL", subscribe_url, 0), SNS_KEY("Timestamp", timestamp, 0),
    SNS_KEY("Token", token, 0),             SNS_KEY("TopicArn", topic_arn, 0),
    SNS_KEY("Type", type_name, 0),
};

static const char *const sns_type_names[] = {
    [SNS_NOTIFICATION] = "Notification",
    [SNS_SUBSCRIPTION_CONFIRMATION] = "SubscriptionConfirmation",
    [SNS_UNSUBSCRIBE_CONFIRMATION] = "UnsubscribeConfirmation",
};

static const char *const sns_signature_versions[] = { [1] = "1", [2] = "2" };

static const char *const sns_alarm_state_names[] = {
    [SNS_ALARM_ALARM] = "ALARM",
    [SNS_ALARM_OK] = "OK",
    [SNS_ALARM_INSUFFICIENT_DATA] = "INSUFFICIENT_DATA",
};

static const char *const sns_outcome_names[] = {
    [SNS_OK] = "ok",
    [SNS_BAD_JSON] = "bad-json",
    [SNS_BAD_FIELD] = "bad-field",
    [SNS_TOPIC_NOT_ALLOWED] = "topic-not-allowed",
    [SNS_CERT_URL_REFUSED] = "cert-url-refused",
    [SNS_CERT_FETCH_FAILED] = "cert-fetch-failed",
    [SNS_BAD_SIGNATURE] = "bad-signature",
    [SNS_EXPIRED] = "expired",
};

/* sns_outcome_name - the outcome's label for logs and metrics */
const char *sns_outcome_name(enum sns_outcome o)
{
    if ((unsigned)o >= SNS_COUNT(sns_outcome_names))
        return "unknown";
    return sns_outcome_names[o];
}

/* sns_name_index - the index of name in names[0..n), or 0 when absent (0 is never a name) */
static int sns_name_index(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 1; name && i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return (int)i;
    return 0;
}

#define SNS_NAME_INDEX(names, name) sns_name_index(names, SNS_COUNT(names), name)

/* sns_json_string - member name of j as a string; NULL when absent, null or not a string */
static const char *sns_json_string(const cJSON *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* sns_key_value - the value of one signed key of m */
static const char *sns_key_value(const struct sns_message *m, const struct sns_signed_key *k)
{
    return *(const char *const *)((const char *)m + k->offset);
}

/* sns_signed_keys - the keys SNS signs for m's type, and their count */
static const struct sns_signed_key *sns_signed_keys(const struct sns_message *m, size_t *n)
{
    if (m->type == SNS_NOTIFICATION) {
        *n = SNS_COUNT(sns_notification_keys);
        return sns_notification_keys;
    }
    *n = SNS_COUNT(sns_confirmation_keys);
    return sns_confirmation_keys;
}

/* sns_string_to_sign - "Key\nValue\n" for each signed key, as a string the caller frees */
char *sns_string_to_sign(const struct sns_message *m)
{
    struct buf b;
    size_t n;
    const struct sns_signed_key *keys = sns_signed_keys(m, &n);

    buf_init(&b, 2 * SNS_MAX_BODY);
    for (size_t i = 0; i < n; i++) {
        const char *v = sns_key_value(m, &keys[i]);
        if (!v && keys[i].optional)
            continue;
        if (!v || buf_printf(&b, "%s\n%s\n", keys[i].name, v) != 0) {
            buf_free(&b);
            return NULL;
        }
    }
    return buf_steal(&b);
}

/* sns_parse_time - an ISO 8601 UTC Timestamp ("2026-01-02T03:04:05.678Z"); -1 when malformed */
static time_t sns_parse_time(const char *s)
{
    struct tm tm = { 0 };
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

    if (!rest)
        return -1;
    if (*rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            ;
    if (strcmp(rest, "Z") != 0)
        return -1;
    return timegm(&tm);
}

/* sns_parse_strings - point m's strings into its JSON */
static void sns_parse_strings(struct sns_message *m)
{
    const cJSON *j = m->json;

    m->type_name = sns_json_string(j, "Type");
    m->message_id = sns_json_string(j, "MessageId");
    m->topic_arn = sns_json_string(j, "TopicArn");
    m->subject = sns_json_string(j, "Subject");
    m->message = sns_json_string(j, "Message");
    m->timestamp = sns_json_string(j, "Timestamp");
    m->signature = sns_json_string(j, "Signature");
    m->signing_cert_url = sns_json_string(j, "SigningCertURL");
    m->subscribe_url = sns_json_string(j, "SubscribeURL");
    m->token = sns_json_string(j, "Token");
    m->unsubscribe_url = sns_json_string(j, "UnsubscribeURL");
}

/* sns_check_fields - the fields m's type needs are there and well formed */
static enum sns_outcome sns_check_fields(struct sns_message *m, char *err, size_t err_len)
{
    const char *type = m->type_name;
    const char *version = sns_json_string(m->json, "SignatureVersion");
    size_t n;
    const struct sns_signed_key *keys;

    m->type = (enum sns_type)SNS_NAME_INDEX(sns_type_names, type);
    if (!m->type) {
        snprintf(err, err_len, "sns: unknown Type %.64s", type ? type : "(none)");
        return SNS_BAD_FIELD;
    }
    keys = sns_signed_keys(m, &n);
    for (size_t i = 0; i < n; i++)
        if (!keys[i].optional && !sns_key_value(m, &keys[i])) {
            snprintf(err, err_len, "sns: %s has no %s", type, keys[i].name);
            return SNS_BAD_FIELD;
        }
    m->signature_version = SNS_NAME_INDEX(sns_signature_versions, version);
    if (!m->signature_version || !m->signature || !m->signing_cert_url) {
        snprintf(err, err_len, "sns: no SignatureVersion 1 or 2, Signature or SigningCertURL");
        return SNS_BAD_FIELD;
    }
    if ((m->time = sns_parse_time(m->timestamp)) < 0) {
        snprintf(err, err_len, "sns: Timestamp %.64s is not ISO 8601 UTC", m->timestamp);
        return SNS_BAD_FIELD;
    }
    return SNS_OK;
}

/* sns_alarm_dimensions - Trigger.Dimensions' name/value string pairs into a */
static void sns_alarm_dimensions(struct sns_alarm *a, const cJSON *alarm)
{
    const cJSON *dims = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(alarm, "Trigger"), "Dimensions");
    const cJSON *d;
    size_t n = (size_t)cJSON_GetArraySize(dims);

    if (!cJSON_IsArray(dims) || n == 0)
        return;
    if (!(a->dimensions = calloc(n < SNS_MAX_DIMENSIONS ? n : SNS_MAX_DIMENSIONS,
                                 sizeof(*a->dimensions))))
        return;
    cJSON_ArrayForEach(d, dims)
    {
        const char *name = sns_json_string(d, "name"), *value = sns_json_string(d, "value");
        if (name && value && a->dimension_count < SNS_MAX_DIMENSIONS)
            a->dimensions[a->dimension_count++] = (struct sns_dimension){ name, value };
    }
}

/* sns_parse_alarm - a Notification's Message as a CloudWatch alarm, when it is one */
static void sns_parse_alarm(struct sns_message *m)
{
    struct sns_alarm *a = &m->alarm;
    const char *name, *state;

    if (m->type != SNS_NOTIFICATION || !(m->alarm_json = cJSON_Parse(m->message)))
        return;
    name = sns_json_string(m->alarm_json, "AlarmName");
    state = sns_json_string(m->alarm_json, "NewStateValue");
    a->state = (enum sns_alarm_state)SNS_NAME_INDEX(sns_alarm_state_names, state);
    if (!name || a->state == SNS_ALARM_NONE) {
        a->state = SNS_ALARM_NONE;
        return;
    }
    a->name = name;
    a->reason = sns_json_string(m->alarm_json, "NewStateReason");
    if (!a->reason)
        a->reason = "";
    sns_alarm_dimensions(a, m->alarm_json);
}

/* sns_parse - the body as an SNS message, its fields checked, its alarm read */
enum sns_outcome sns_parse(const char *body, size_t len, struct sns_message *out, char *err,
                           size_t err_len)
{
    enum sns_outcome o;

    memset(out, 0, sizeof(*out));
    if (len > SNS_MAX_BODY || !(out->json = cJSON_ParseWithLength(body, len)) ||
        !cJSON_IsObject(out->json)) {
        snprintf(err, err_len, "sns: the body is not a JSON object of at most %u bytes",
                 SNS_MAX_BODY);
        return SNS_BAD_JSON;
    }
    sns_parse_strings(out);
    if ((o = sns_check_fields(out, err, err_len)) == SNS_OK)
        sns_parse_alarm(out);
    return o;
}

/* sns_topic_allowed - whether the policy lists arn */
static int sns_topic_allowed(const struct sns_policy *p, const char *arn)
{
    for (size_t i = 0; i < p->topic_count; i++)
        if (p->topic_allow[i] && strcmp(p->topic_allow[i], arn) == 0)
            return 1;
    return 0;
}

/* sns_check_age - the Timestamp is neither older than the window nor in the future */
static enum sns_outcome sns_check_age(const struct sns_message *m, const struct sns_policy *p,
                                      char *err, size_t err_len)
{
    long max_age = p->max_age_s > 0 ? p->max_age_s : SNS_DEFAULT_MAX_AGE_S;
    time_t now = time(NULL);

    if (m->time < now - max_age) {
        snprintf(err, err_len, "sns: Timestamp %s is older than %ld s", m->timestamp, max_age);
        return SNS_EXPIRED;
    }
    if (m->time > now + SNS_CLOCK_SKEW_S) {
        snprintf(err, err_len, "sns: Timestamp %s is in the future", m->timestamp);
        return SNS_EXPIRED;
    }
    return SNS_OK;
}

/* sns_check_signature - the certificate at SigningCertURL signed m */
static enum sns_outcome sns_check_signature(const struct sns_message *m,
                                            const struct sns_policy *p, char *err,
                                            size_t err_len)
{
    char why[256] = "out of memory";
    char *text = sns_string_to_sign(m);
    X509 *cert = NULL;
    enum sns_outcome o = sns_cert_get(m->signing_cert_url, p, &cert, why, sizeof(why));

    if (o == SNS_OK && (!text || sns_signature_check(cert, m->signature_version, text,
                                                     m->signature, why, sizeof(why)) != 0))
        o = SNS_BAD_SIGNATURE;
    if (o != SNS_OK)
        snprintf(err, err_len, "sns: %s", why);
    X509_free(cert);
    free(text);
    return o;
}

/* sns_verify - parse body and check it against the policy (see sns.h) */
enum sns_outcome sns_verify(const char *body, size_t len, const struct sns_policy *p,
                            struct sns_message *out, char *err, size_t err_len)
{
    enum sns_outcome o = sns_parse(body, len, out, err, err_len);

    if (o != SNS_OK)
        return o;
    if (!sns_topic_allowed(p, out->topic_arn)) {
        snprintf(err, err_len, "sns: topic %.200s is not allowed", out->topic_arn);
        return SNS_TOPIC_NOT_ALLOWED;
    }
    if ((o = sns_check_age(out, p, err, err_len)) != SNS_OK)
        return o;
    if ((o = sns_check_signature(out, p, err, err_len)) != SNS_OK)
        return o;
    out->verified = 1;
    return SNS_OK;
}

/* sns_confirm_subscription - GET a verified SubscriptionConfirmation's SubscribeURL */
int sns_confirm_subscription(const struct sns_message *m, const struct sns_policy *p,
                             char *err, size_t err_len)
{
    char why[256] = "";
    CURLU *u = NULL;
    struct buf body;
    long status = 0;
    int rc = -1;

    buf_init(&body, SNS_CONFIRM_MAX_BYTES);
    if (!m->verified || m->type != SNS_SUBSCRIPTION_CONFIRMATION)
        snprintf(why, sizeof(why), "not a verified SubscriptionConfirmation");
    else if (!(u = sns_url_check(m->subscribe_url, p, NULL, why, sizeof(why))) ||
             sns_https_get(u, p, &body, &status, why, sizeof(why)) != 0)
        ; /* why says */
    else if (status != 200)
        snprintf(why, sizeof(why), "SubscribeURL answered HTTP %ld", status);
    else
        rc = 0;
    if (rc != 0)
        snprintf(err, err_len, "sns: confirm: %s", why);
    curl_url_cleanup(u);
    buf_free(&body);
    return rc;
}

/* sns_message_free - release what sns_parse() or sns_verify() filled */
void sns_message_free(struct sns_message *m)
{
    free(m->alarm.dimensions);
    cJSON_Delete(m->alarm_json);
    cJSON_Delete(m->json);
    memset(m, 0, sizeof(*m));
}
