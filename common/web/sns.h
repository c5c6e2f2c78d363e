/*
 * sns - Amazon SNS messages delivered over HTTP(S): parse, verify,
 *	 read a CloudWatch alarm, confirm a subscription.
 *
 * SYNOPSIS
 *	static const char *const topics[] = { "arn:aws:sns:eu-west-1:123456789012:alarms" };
 *	struct sns_policy p = { .topic_allow = topics, .topic_count = 1 };
 *	struct sns_message m;
 *	char err[256];
 *
 *	enum sns_outcome o = sns_verify(body, len, &p, &m, err, sizeof(err));
 *	if (o != SNS_OK)
 *	    ... answer 400 or 403, count sns_outcome_name(o) ...
 *	else if (m.type == SNS_SUBSCRIPTION_CONFIRMATION)
 *	    sns_confirm_subscription(&m, &p, err, sizeof(err));
 *	else if (m.alarm.state != SNS_ALARM_NONE)
 *	    ... m.alarm.name, m.alarm.dimensions[i].name / .value ...
 *	sns_message_free(&m);
 *
 * DESCRIPTION
 *	sns_verify() parses the body (JSON whatever the Content-Type says)
 *	and checks, cheapest first, so that junk never makes us fetch:
 *	the fields its Type needs (SNS_BAD_JSON, SNS_BAD_FIELD), the
 *	TopicArn against the allow-list (SNS_TOPIC_NOT_ALLOWED), the
 *	Timestamp against max_age_s (SNS_EXPIRED), the SigningCertURL
 *	(https, host matching cert_host_pattern, path ending in .pem:
 *	SNS_CERT_URL_REFUSED), the certificate (fetched over verified TLS,
 *	no redirects, size-capped and timed; cached by URL; within its
 *	validity period: SNS_CERT_FETCH_FAILED) and last the RSA signature
 *	over sns_string_to_sign(), SHA1 for SignatureVersion 1 and SHA256
 *	for 2 (SNS_BAD_SIGNATURE). A suggested answer: 400 for bad-json and
 *	bad-field, 403 for the refusals, 503 for cert-fetch-failed (SNS
 *	retries, and the fetch may work then).
 *
 *	The default max_age_s is one hour: AWS caps the total retry time of
 *	an HTTP/S delivery policy at 3600 seconds, and a retry keeps the
 *	original Timestamp, so no genuine delivery is older (give or take
 *	clock skew); an older message is a replay. A Timestamp more than
 *	SNS_CLOCK_SKEW_S in the future is refused too.
 *
 *	The message's strings point into the parsed body and live until
 *	sns_message_free(), which is safe on any message sns_verify() or
 *	sns_parse() filled, whatever they returned.
 *
 *	sns_confirm_subscription() GETs the SubscribeURL (https, host
 *	matching the same pattern, verified TLS, no redirects) of a
 *	SubscriptionConfirmation that sns_verify() accepted, and refuses
 *	any other message; 0 when SNS answered 200.
 *
 *	The fetches block for at most timeout_ms each. The certificate
 *	cache (SNS_CERT_CACHE_SLOTS entries, each kept SNS_CERT_TTL_S) is
 *	process-wide and not locked: call from one thread (cutover-web's
 *	event loop).
 */
#ifndef CUTOVER_WEB_SNS_H
#define CUTOVER_WEB_SNS_H

#include <stddef.h>
#include <time.h>

#define SNS_DEFAULT_CERT_HOST_PATTERN "^sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?$"
#define SNS_DEFAULT_MAX_AGE_S 3600L
#define SNS_DEFAULT_TIMEOUT_MS 5000L
#define SNS_CLOCK_SKEW_S 300L
#define SNS_CERT_CACHE_SLOTS 16
#define SNS_CERT_TTL_S 3600L
#define SNS_MAX_DIMENSIONS 32 /* CloudWatch allows 30 */

/* What a receiver allows; zero and NULL members take the defaults. */
struct sns_policy {
    const char *cert_host_pattern; /* POSIX extended regex, anchored; NULL: the default */
    const char *ca_file;           /* CA bundle for the fetches; NULL: the system's */
    const char *const *topic_allow; /* exact TopicArns; none listed: every topic refused */
    size_t topic_count;
    long max_age_s;  /* 0: SNS_DEFAULT_MAX_AGE_S */
    long timeout_ms; /* each fetch; 0: SNS_DEFAULT_TIMEOUT_MS */
};

/* sns_verify's answer; sns_outcome_name() gives its metric label. */
enum sns_outcome {
    SNS_OK,
    SNS_BAD_JSON,
    SNS_BAD_FIELD,
    SNS_TOPIC_NOT_ALLOWED,
    SNS_CERT_URL_REFUSED,
    SNS_CERT_FETCH_FAILED,
    SNS_BAD_SIGNATURE,
    SNS_EXPIRED,
};

enum sns_type {
    SNS_NOTIFICATION = 1,
    SNS_SUBSCRIPTION_CONFIRMATION,
    SNS_UNSUBSCRIBE_CONFIRMATION,
};

enum sns_alarm_state {
    SNS_ALARM_NONE, /* the Message is not a CloudWatch alarm */
    SNS_ALARM_ALARM,
    SNS_ALARM_OK,
    SNS_ALARM_INSUFFICIENT_DATA,
};

struct sns_dimension {
    const char *name, *value;
};

/* A CloudWatch alarm carried by a Notification's Message. */
struct sns_alarm {
    enum sns_alarm_state state;
    const char *name;   /* AlarmName */
    const char *reason; /* NewStateReason; "" when absent */
    struct sns_dimension *dimensions; /* Trigger.Dimensions, string pairs only */
    size_t dimension_count;
};

struct sns_message {
    enum sns_type type;
    const char *type_name; /* Type as sent */
    int signature_version; /* 1: SHA1withRSA, 2: SHA256withRSA */
    const char *message_id, *topic_arn, *message, *timestamp;
    const char *subject; /* NULL when absent */
    const char *signature, *signing_cert_url;
    const char *subscribe_url, *token; /* confirmations; NULL in a Notification */
    const char *unsubscribe_url;       /* a Notification's; NULL when absent */
    time_t time;                       /* Timestamp */
    int verified;                      /* sns_verify() returned SNS_OK */
    struct sns_alarm alarm;
    struct cJSON *json, *alarm_json; /* private: what the strings point into */
};

enum sns_outcome sns_verify(const char *body, size_t len, const struct sns_policy *p,
                            struct sns_message *out, char *err, size_t err_len);
/* sns_parse - the parse and field checks alone: SNS_OK, SNS_BAD_JSON or SNS_BAD_FIELD */
enum sns_outcome sns_parse(const char *body, size_t len, struct sns_message *out, char *err,
                           size_t err_len);
/* sns_string_to_sign - what SNS signed, as a string the caller frees; NULL on no memory */
char *sns_string_to_sign(const struct sns_message *m);
int sns_confirm_subscription(const struct sns_message *m, const struct sns_policy *p,
                             char *err, size_t err_len);
void sns_message_free(struct sns_message *m);
const char *sns_outcome_name(enum sns_outcome o);
/* sns_cert_cache_clear - forget every cached certificate */
void sns_cert_cache_clear(void);

#endif
