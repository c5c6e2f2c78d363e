/*
 * web_alarms - what the alarm receivers share (web_alertmanager.c,
 *              web_eventbridge.c): their credentials, the request's path
 *              from body to answer, which environments an alarm concerns,
 *              and the one transaction that records each alarm once and
 *              writes its alarm-fired event to the outbox.
 *
 * DESCRIPTION
 *	A request is answered 2xx only once its events are committed: one
 *	transaction inserts a row into alarm_receipts per (receiver, the
 *	sender's key of the alarm, environment) and, when the row is new,
 *	adds the alarm-fired event to the outbox; a row already there is a
 *	repeat and publishes nothing. The event's id is derived from that
 *	key, so that consumers, who dedupe by (source, id), see one event
 *	even if a receipt were lost. Its source is cutover-web/RECEIVER;
 *	an environment whose senders do not allow that source for
 *	alarm-fired gets nothing (logged and counted as not-allowed). The
 *	events go out at once through cutover-web's own producer and outbox
 *	publisher, and its sweeper sends again what a crash left unsent.
 *
 *	With CUTOVER_WEB_SIGN_KEY (an OpenSSH private key file, read once at
 *	start; a key that cannot be used stops cutover-web there) each event
 *	is signed when it is written to the outbox (io/event_sign.h: the
 *	"cutoversig" attribute): the outbox keeps the value as text and
 *	publishes it byte for byte, so what goes out is what was signed.
 *
 *	Answers: 401 without or with wrong credentials, 403 when the
 *	receiver has none configured, 400 for a body that is not UTF-8 JSON
 *	or that its receiver refuses, 503 while the database fails (senders
 *	retry 5xx), else 200 with {"published", "duplicates", "unmatched",
 *	"not_allowed", "ignored"}. Secrets are compared in constant time, as
 *	SHA-256 digests, and never logged.
 *
 *	Metrics: cutover_alarm_receiver_requests_total{receiver,outcome}
 *	(accepted, unauthorized, not-configured, bad-request, unavailable)
 *	and cutover_alarm_receiver_alerts_total{receiver,outcome} (published,
 *	duplicate, unmatched, not-allowed, ignored).
 */
#include "web/web_internal.h"

#include "base/log.h"
#include "base/metrics.h"
#include "io/event.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WEB_ALARM_TOPIC      "alarm-fired"
#define WEB_ALARM_REASON_MAX 4096 /* alarm-fired's reason: at most this many characters */
#define WEB_ALARM_NAME_MAX   256
#define WEB_SEVERITY_MAX     32

/* What one request's alarms came to. */
struct web_tally {
    size_t published, duplicates, unmatched, not_allowed, ignored;
};

/* An environment an alarm may concern, as read in the transaction. */
struct web_alarm_env {
    const char *name;
    cJSON *rules;        /* its "alarms" member */
    const char *senders; /* senders of alarm-fired, JSON text ("null": anyone) */
};

static const char *const web_receiver_outcome[] = {"receiver", "outcome"};
static const char *const web_request_outcomes[] = {"accepted", "unauthorized", "not-configured",
                                                   "bad-request", "refused", "unavailable"};
static const char *const web_alert_outcomes[] = {"published", "duplicate", "unmatched",
                                                 "not-allowed", "ignored"};

/* web_fail - format err; returns -1 */
int web_fail(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* web_metric_requests - cutover_alarm_receiver_requests_total */
static struct metric_family *web_metric_requests(void)
{
    return metrics_counter("cutover_alarm_receiver_requests_total",
                           "Requests to the alarm receivers, by receiver and outcome.",
                           web_receiver_outcome, 2);
}

/* web_metric_alerts - cutover_alarm_receiver_alerts_total */
static struct metric_family *web_metric_alerts(void)
{
    return metrics_counter("cutover_alarm_receiver_alerts_total",
                           "Alarms the receivers read, by receiver and outcome (one per"
                           " environment an alarm concerns when it concerns any).",
                           web_receiver_outcome, 2);
}

/* web_count - add n to family's series (receiver, outcome) */
static void web_count(struct metric_family *family, const char *receiver, const char *outcome,
                      size_t n)
{
    metrics_add(family, (double)n, (const char *[]){receiver, outcome});
}

/* web_metrics_zero - every series of both families from 0, so that a rate works from the start */
static void web_metrics_zero(const char *receiver)
{
    for (size_t i = 0; i < sizeof(web_request_outcomes) / sizeof(web_request_outcomes[0]); i++)
        web_count(web_metric_requests(), receiver, web_request_outcomes[i], 0);
    for (size_t i = 0; i < sizeof(web_alert_outcomes) / sizeof(web_alert_outcomes[0]); i++)
        web_count(web_metric_alerts(), receiver, web_alert_outcomes[i], 0);
}

/* web_sweep_cb - republish what is committed and unsent (also other processes' rows) */
static void web_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    struct web *w = arg;

    (void)fd;
    (void)what;
    if (web_db(w) != NULL)
        outbox_publish(w->outbox);
}

/* web_delivery_cb - the producer's delivery report */
static void web_delivery_cb(rd_kafka_resp_err_t err, void *opaque, void *arg)
{
    struct web *w = arg;

    outbox_delivered(w->outbox, err, opaque);
}

/* web_alarms_signer - the receivers' key (CUTOVER_WEB_SIGN_KEY), read once; 0 or -1 */
static int web_alarms_signer(struct web *w, char *err, size_t err_len)
{
    const char *path = config_get("CUTOVER_WEB_SIGN_KEY");
    char why[400];

    if (path == NULL || *path == '\0') {
        log_info("receivers: CUTOVER_WEB_SIGN_KEY is unset: alarm-fired events go out unsigned");
        return 0;
    }
    if ((w->signer = event_signer_file(path, why, sizeof(why))) == NULL)
        return web_fail(err, err_len, "CUTOVER_WEB_SIGN_KEY: cannot sign with the key file %s: %s",
                        path, why);
    w->alertmanager.signer = w->eventbridge.signer = w->sns.signer = w->signer;
    log_info("receivers: alarm-fired events are signed with the key %s",
             event_signer_fingerprint(w->signer));
    return 0;
}

/* web_alarms_start - the receivers' key, the producer, the outbox publisher and its sweeper */
int web_alarms_start(struct web *w, struct event_base *base, char *err, size_t err_len)
{
    long ms = config_get_int("CUTOVER_OUTBOX_SWEEP_MS");
    struct timeval every = {ms / 1000, (ms % 1000) * 1000};

    w->alertmanager.name = "alertmanager";
    w->eventbridge.name = "eventbridge";
    w->sns.name = "sns";
    if (web_alarms_signer(w, err, err_len) != 0)
        return -1;
    web_metrics_zero(w->alertmanager.name);
    web_metrics_zero(w->eventbridge.name);
    web_metrics_zero(w->sns.name);
    w->producer = kafka_producer_create(base, web_delivery_cb, w, 0, err, err_len);
    if (w->producer == NULL)
        return -1;
    kafka_producer_warm(w->producer, event_topics, event_topic_count());
    w->outbox = outbox_create(w->db, w->producer, base);
    w->ev_sweep = event_new(base, -1, EV_PERSIST, web_sweep_cb, w);
    if (w->outbox == NULL || w->ev_sweep == NULL ||
        event_add(w->ev_sweep, &every) != 0)
        return web_fail(err, err_len, "outbox publisher set-up failed");
    return 0;
}

/* web_alarms_announce - log which receivers take requests (after their set-up) */
void web_alarms_announce(const struct web *w)
{
    const struct web_receiver *receivers[] = {&w->alertmanager, &w->eventbridge};

    for (size_t i = 0; i < sizeof(receivers) / sizeof(receivers[0]); i++)
        log_info("%s receiver: %s", receivers[i]->name,
                 receivers[i]->credential_count
                     ? "takes requests with its credentials"
                     : "no credentials configured: every request is refused (403)");
    if (w->sns_policy.policy.topic_count > 0)
        log_info("sns receiver: takes signed messages of %zu topic(s)",
                 w->sns_policy.policy.topic_count);
    else
        log_info("sns receiver: no topics configured: every message is refused (403)");
}

/* web_receiver_free - forget a receiver's secrets */
static void web_receiver_free(struct web_receiver *r)
{
    for (size_t i = 0; i < r->credential_count; i++) {
        OPENSSL_cleanse(r->credentials[i].secret, strlen(r->credentials[i].secret));
        free(r->credentials[i].secret);
    }
    r->credential_count = 0;
}

/* web_alarms_stop - flush, then free in reverse order of creation */
void web_alarms_stop(struct web *w)
{
    long grace = config_get_int("CUTOVER_SHUTDOWN_GRACE_MS");

    if (w->producer && kafka_producer_flush(w->producer, (int)grace) != 0)
        log_warn("shutdown: alarm deliveries still pending; a sweeper sends them");
    if (w->ev_sweep)
        event_free(w->ev_sweep);
    outbox_free(w->outbox);
    kafka_producer_free(w->producer);
    web_receiver_free(&w->alertmanager);
    web_receiver_free(&w->eventbridge);
    event_signer_free(w->signer);
}

/* web_receiver_credential - let r take header "SCHEME secret" */
void web_receiver_credential(struct web_receiver *r, const char *header, const char *scheme,
                             const char *secret)
{
    struct web_credential *c = &r->credentials[r->credential_count];

    if (r->credential_count >= WEB_CREDENTIALS_MAX)
        log_panic("web_receiver_credential: %s takes at most %d", r->name, WEB_CREDENTIALS_MAX);
    if ((c->secret = strdup(secret)) == NULL)
        log_fatal("out of memory");
    c->header = header;
    c->scheme = scheme;
    r->credential_count++;
}

/* web_digest - SHA-256 of text */
static void web_digest(const char *text, unsigned char out[32])
{
    unsigned int len = 32;

    if (EVP_Digest(text, strlen(text), out, &len, EVP_sha256(), NULL) != 1)
        log_panic("web_digest: SHA-256 failed");
}

/* web_secret_equal - given equals expected, in time independent of both */
static int web_secret_equal(const char *given, const char *expected)
{
    unsigned char a[32], b[32];

    web_digest(given, a);
    web_digest(expected, b);
    return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

/* web_credential_value - the credential's part of the request's header, or NULL */
static const char *web_credential_value(struct evhttp_request *req, const struct web_credential *c)
{
    const char *value = evhttp_find_header(evhttp_request_get_input_headers(req), c->header);
    size_t scheme_len = c->scheme ? strlen(c->scheme) : 0;

    if (value == NULL || c->scheme == NULL)
        return value;
    if (strncasecmp(value, c->scheme, scheme_len) != 0 || value[scheme_len] != ' ')
        return NULL;
    return value + scheme_len + 1;
}

/* web_receiver_admit - 0 when the request carries one of r's credentials,
 * else the status to answer with and why in why */
static int web_receiver_admit(struct evhttp_request *req, const struct web_receiver *r,
                              const char **why)
{
    int presented = 0;

    if (r->credential_count == 0) {
        *why = "no credentials are configured for this receiver";
        return 403;
    }
    for (size_t i = 0; i < r->credential_count; i++) {
        const char *given = web_credential_value(req, &r->credentials[i]);

        presented |= given != NULL;
        if (given && web_secret_equal(given, r->credentials[i].secret))
            return 0;
    }
    *why = presented ? "wrong credentials" : "no credentials";
    return 401;
}

/* web_peer - the client's address, for a log line */
static const char *web_peer(struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    const char *address = NULL;
    ev_uint16_t port = 0;

    if (conn)
        evhttp_connection_get_peer(conn, (char **)&address, &port);
    return address ? address : "?";
}

/* web_refuse - answer code with message: logged (never a secret) and counted */
void web_refuse(struct evhttp_request *req, const struct web_receiver *r, int code,
                       const char *outcome, const char *message)
{
    log_warn("%s receiver: %d %s (from %s)", r->name, code, message, web_peer(req));
    web_count(web_metric_requests(), r->name, outcome, 1);
    if (code == 401 && r->credentials[0].scheme)
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                          strcmp(r->credentials[0].scheme, "Basic") == 0
                              ? "Basic realm=\"cutover-web\""
                              : "Bearer realm=\"cutover-web\"");
    httpd_reply_error(req, code, message);
}

/* web_alarms_raw_body - the request's body, UTF-8; NULL with err */
const char *web_alarms_raw_body(struct evhttp_request *req, size_t *len, char *err,
                                size_t err_len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    const char *body;

    *len = evbuffer_get_length(in);
    body = *len ? (const char *)evbuffer_pullup(in, -1) : NULL;
    if (body == NULL || !event_utf8_valid(body, *len)) {
        web_fail(err, err_len, body ? "the body is not UTF-8" : "the body is empty");
        return NULL;
    }
    return body;
}

/* web_alarms_body - the request's body as JSON; NULL with err */
static cJSON *web_alarms_body(struct evhttp_request *req, char *err, size_t err_len)
{
    size_t len;
    const char *body = web_alarms_raw_body(req, &len, err, err_len);
    cJSON *doc;

    if (body == NULL)
        return NULL;
    if ((doc = cJSON_ParseWithLength(body, len)) == NULL)
        web_fail(err, err_len, "the body is not JSON");
    return doc;
}

/* web_alarm_add - the batch's next alarm, zeroed */
struct web_alarm *web_alarm_add(struct web_alarm_batch *batch, char *err, size_t err_len)
{
    struct web_alarm *grown;

    if (batch->count >= WEB_ALARMS_MAX) {
        web_fail(err, err_len, "more than %d alarms in one request", WEB_ALARMS_MAX);
        return NULL;
    }
    grown = realloc(batch->alarms, (batch->count + 1) * sizeof(*grown));
    if (grown == NULL) {
        web_fail(err, err_len, "out of memory");
        return NULL;
    }
    batch->alarms = grown;
    memset(&grown[batch->count], 0, sizeof(*grown));
    return &grown[batch->count++];
}

/* web_alarm_own - the batch takes item (freed with it); 0, or -1 with item freed */
int web_alarm_own(struct web_alarm_batch *batch, cJSON *item)
{
    if (item == NULL || (batch->owned == NULL && (batch->owned = cJSON_CreateArray()) == NULL)) {
        cJSON_Delete(item);
        return -1;
    }
    cJSON_AddItemToArray(batch->owned, item);
    return 0;
}

/* web_alarm_owned_string - a copy of text that lives as long as the batch */
const char *web_alarm_owned_string(struct web_alarm_batch *batch, const char *text)
{
    cJSON *item = cJSON_CreateString(text);

    return web_alarm_own(batch, item) == 0 ? item->valuestring : NULL;
}

/* web_json_string - a string member of obj, or NULL */
const char *web_json_string(const cJSON *obj, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

/* web_alarm_batch_free - the alarms and what the parser built */
void web_alarm_batch_free(struct web_alarm_batch *batch)
{
    free(batch->alarms);
    cJSON_Delete(batch->owned);
    memset(batch, 0, sizeof(*batch));
}

/* web_utf8_chars - the number of characters of a UTF-8 string */
static size_t web_utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* web_alarm_check - the alarm's fields fit alarm-fired's schema */
int web_alarm_check(const struct web_alarm *a, char *err, size_t err_len)
{
    if (a->name == NULL || *a->name == '\0')
        return web_fail(err, err_len, "an alarm without a name");
    if (web_utf8_chars(a->name) > WEB_ALARM_NAME_MAX)
        return web_fail(err, err_len, "an alarm name longer than %d characters", WEB_ALARM_NAME_MAX);
    if (*a->severity == '\0' || web_utf8_chars(a->severity) > WEB_SEVERITY_MAX)
        return web_fail(err, err_len, "alarm %s: a severity of 1 to %d characters wanted", a->name,
                        WEB_SEVERITY_MAX);
    if (*a->source == '\0' || web_utf8_chars(a->source) > WEB_ALARM_NAME_MAX)
        return web_fail(err, err_len, "alarm %s: a source of 1 to %d characters wanted", a->name,
                        WEB_ALARM_NAME_MAX);
    return 0;
}

/* web_alarm_field_is - whether the alarm has field name with value */
static int web_alarm_field_is(const cJSON *fields, const char *name, const char *value)
{
    const cJSON *f;

    cJSON_ArrayForEach(f, fields)
    {
        if (f->string && strcmp(f->string, name) == 0 && cJSON_IsString(f)
            && strcmp(f->valuestring, value) == 0)
            return 1;
    }
    return 0;
}

/* web_alarm_rule_matches - every member of the rule's match (one at least) is the alarm's */
static int web_alarm_rule_matches(const cJSON *fields, const cJSON *rule)
{
    const cJSON *match = cJSON_GetObjectItemCaseSensitive(rule, "match"), *m;
    int members = 0;

    if (!cJSON_IsObject(match))
        return 0;
    cJSON_ArrayForEach(m, match)
    {
        if (!cJSON_IsString(m) || !web_alarm_field_is(fields, m->string, m->valuestring))
            return 0;
        members++;
    }
    return members > 0;
}

/* web_alarm_matches - a names environment, or one of its rules matches */
int web_alarm_matches(const struct web_alarm *a, const char *environment, const cJSON *rules)
{
    const cJSON *rule;

    if (a->environment && strcmp(a->environment, environment) == 0)
        return 1;
    cJSON_ArrayForEach(rule, rules)
    {
        if (web_alarm_rule_matches(a->fields, rule))
            return 1;
    }
    return 0;
}

/* web_alarm_event_id - a name-based id: SHA-256 of the three, as a UUID's shape */
void web_alarm_event_id(const char *receiver, const char *key, const char *environment,
                        char out[37])
{
    char name[WEB_ALARM_KEY_MAX + 160];
    unsigned char d[32];

    snprintf(name, sizeof(name), "%s\n%s\n%s", receiver, key, environment);
    web_digest(name, d);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[0],
             d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13],
             d[14], d[15]);
}

/* web_utf8_cut - the length of s's longest prefix of at most max characters */
static size_t web_utf8_cut(const char *s, size_t max)
{
    size_t chars = 0, i = 0;

    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == max)
            break;
    }
    return i;
}

/* web_alarm_data - alarm-fired's data for a in environment */
cJSON *web_alarm_data(const struct web_alarm *a, const char *environment)
{
    cJSON *data = cJSON_CreateObject();
    char *reason = strndup(a->reason, web_utf8_cut(a->reason, WEB_ALARM_REASON_MAX));

    if (data == NULL || reason == NULL || !cJSON_AddStringToObject(data, "environment", environment)
        || !cJSON_AddStringToObject(data, "alarm", a->name)
        || !cJSON_AddStringToObject(data, "state", a->state)
        || !cJSON_AddStringToObject(data, "severity", a->severity)
        || !cJSON_AddStringToObject(data, "reason", reason)
        || !cJSON_AddStringToObject(data, "source", a->source)) {
        cJSON_Delete(data);
        data = NULL;
    }
    free(reason);
    return data;
}

/* web_alarm_event - the encoded alarm-fired event with its derived id, signed
 * last when the receiver has a key (what goes into the outbox is what was
 * signed); caller frees */
static char *web_alarm_event(const struct web_receiver *r, const struct web_alarm *a,
                             const char *environment, const char *id)
{
    char source[64], why[400];
    struct cloud_event ev;
    char *value = NULL;

    snprintf(source, sizeof(source), "cutover-web/%s", r->name);
    if (event_create(&ev, WEB_ALARM_TOPIC, source, environment, web_alarm_data(a, environment))
            != 0
        || ev.data == NULL)
        goto out;
    free(ev.id);
    if ((ev.id = strdup(id)) == NULL)
        goto out;
    if (r->signer != NULL && event_sign(r->signer, &ev, why, sizeof(why)) != 0)
        log_error("%s receiver: cannot sign event %s: %s", r->name, id, why);
    else
        value = event_encode(&ev);
out:
    cloudevent_free(&ev);
    return value;
}

/* web_alarm_record - the receipt, and the event when the receipt is new:
 * 1 written, 0 a repeat, -1 failed */
static int web_alarm_record(struct db *db, const struct web_receiver *r, const struct web_alarm *a,
                            const char *environment)
{
    char id[37], *value;
    const char *params[] = {r->name, a->key, environment, id, a->name, a->state};
    PGresult *res;
    int inserted, rc;

    web_alarm_event_id(r->name, a->key, environment, id);
    res = db_query(db,
                   "INSERT INTO alarm_receipts (receiver, alarm_key, environment, event_id, alarm,"
                   " state) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
                   6, params);
    if (res == NULL)
        return -1;
    inserted = PQntuples(res) == 1;
    PQclear(res);
    if (!inserted)
        return 0;
    if ((value = web_alarm_event(r, a, environment, id)) == NULL)
        return -1;
    rc = outbox_add(db, WEB_ALARM_TOPIC, environment, value);
    free(value);
    if (rc == 0)
        log_info("%s receiver: alarm %s %s for %s written as event %s", r->name, a->name, a->state,
                 environment, id);
    return rc == 0 ? 1 : -1;
}

/* web_alarm_deliver - a in one matched environment: not allowed, a repeat or written */
static int web_alarm_deliver(struct db *db, const struct web_receiver *r, const struct web_alarm *a,
                             const struct web_alarm_env *env, struct web_tally *t)
{
    char source[64];
    int rc;

    snprintf(source, sizeof(source), "cutover-web/%s", r->name);
    if (!event_source_allowed(env->senders, source)) {
        log_warn("%s receiver: alarm %s concerns %s, whose senders of alarm-fired do not list %s:"
                 " skipped",
                 r->name, a->name, env->name, source);
        t->not_allowed++;
        return 0;
    }
    if ((rc = web_alarm_record(db, r, a, env->name)) < 0)
        return -1;
    *(rc ? &t->published : &t->duplicates) += 1;
    return 0;
}

/* web_alarms_route - each alarm into every environment it concerns */
static int web_alarms_route(struct db *db, const struct web_receiver *r,
                            const struct web_alarm_batch *b, const struct web_alarm_env *envs,
                            size_t env_count, struct web_tally *t)
{
    for (size_t i = 0; i < b->count; i++) {
        const struct web_alarm *a = &b->alarms[i];
        size_t matched = 0;

        for (size_t e = 0; e < env_count; e++) {
            if (!web_alarm_matches(a, envs[e].name, envs[e].rules))
                continue;
            matched++;
            if (web_alarm_deliver(db, r, a, &envs[e], t) != 0)
                return -1;
        }
        if (matched == 0) {
            log_warn("%s receiver: alarm %s (%s) concerns no environment: skipped", r->name,
                     a->name, a->environment ? a->environment : "no environment label");
            t->unmatched++;
        }
    }
    return 0;
}

/* web_alarms_candidates - the environments with alarm rules, and those the alarms name */
static PGresult *web_alarms_candidates(struct db *db, const struct web_alarm_batch *b)
{
    cJSON *names = cJSON_CreateArray();
    char *text;
    PGresult *res = NULL;

    for (size_t i = 0; names && i < b->count; i++) {
        if (b->alarms[i].environment)
            cJSON_AddItemToArray(names, cJSON_CreateString(b->alarms[i].environment));
    }
    if ((text = names ? cJSON_PrintUnformatted(names) : NULL) != NULL) {
        const char *params[] = {text};

        res = db_query(db,
                       "SELECT name, coalesce(config -> 'alarms', '[]')::text,"
                       " coalesce(config -> 'senders' -> 'alarm-fired', 'null')::text"
                       " FROM environments WHERE config ? 'alarms'"
                       " OR name IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY name",
                       1, params);
    }
    free(text);
    cJSON_Delete(names);
    return res;
}

/* web_alarms_apply - read the candidates, then route every alarm */
static int web_alarms_apply(struct db *db, const struct web_receiver *r,
                            const struct web_alarm_batch *b, struct web_tally *t)
{
    PGresult *res = web_alarms_candidates(db, b);
    int n = res ? PQntuples(res) : 0, rc = -1;
    struct web_alarm_env *envs = calloc((size_t)n + 1, sizeof(*envs));

    if (res != NULL && envs != NULL) {
        for (int i = 0; i < n; i++) {
            envs[i].name = PQgetvalue(res, i, 0);
            envs[i].rules = cJSON_Parse(PQgetvalue(res, i, 1));
            envs[i].senders = PQgetvalue(res, i, 2);
        }
        rc = web_alarms_route(db, r, b, envs, (size_t)n, t);
        for (int i = 0; i < n; i++)
            cJSON_Delete(envs[i].rules);
    }
    free(envs);
    PQclear(res);
    return rc;
}

/* web_alarms_write - the batch in one transaction; 0, or -1 rolled back */
static int web_alarms_write(struct db *db, const struct web_receiver *r,
                            const struct web_alarm_batch *b, struct web_tally *t)
{
    if (db_begin(db) != 0)
        return -1;
    if (web_alarms_apply(db, r, b, t) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

/* web_alarms_accept - count what the batch came to and answer 200 with it */
static void web_alarms_accept(struct evhttp_request *req, const struct web_receiver *r,
                              const struct web_tally *t)
{
    const size_t counts[] = {t->published, t->duplicates, t->unmatched, t->not_allowed,
                             t->ignored};
    static const char *const names[] = {"published", "duplicates", "unmatched", "not_allowed",
                                        "ignored"};
    cJSON *doc = cJSON_CreateObject();

    web_count(web_metric_requests(), r->name, "accepted", 1);
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        web_count(web_metric_alerts(), r->name, web_alert_outcomes[i], counts[i]);
        cJSON_AddNumberToObject(doc, names[i], (double)counts[i]);
    }
    httpd_reply_json(req, 200, doc);
    cJSON_Delete(doc);
}

/* web_accept_message - a request that carried no alarm: 200 with a note */
void web_accept_message(struct evhttp_request *req, const struct web_receiver *r,
                        const char *note)
{
    cJSON *doc = cJSON_CreateObject();

    web_count(web_metric_requests(), r->name, "accepted", 1);
    cJSON_AddStringToObject(doc, "note", note);
    httpd_reply_json(req, 200, doc);
    cJSON_Delete(doc);
}

/* web_alarms_commit - write, publish, answer */
void web_alarms_commit(struct web *w, struct evhttp_request *req, const struct web_receiver *r,
                       struct web_alarm_batch *batch)
{
    struct web_tally tally = {0};
    struct db *db;

    if ((db = web_db(w)) == NULL || web_alarms_write(db, r, batch, &tally) != 0) {
        web_refuse(req, r, 503, "unavailable", "database unavailable: try again");
        return;
    }
    tally.ignored = batch->ignored;
    if (tally.published > 0)
        outbox_publish_soon(w->outbox);
    web_alarms_accept(req, r, &tally);
}

/* web_alarms_receive - one request: credentials, body, parse, write, publish, answer */
void web_alarms_receive(struct web *w, struct evhttp_request *req, const struct web_receiver *r)
{
    struct web_alarm_batch batch = {0};
    const char *why = NULL;
    char err[512];
    cJSON *doc = NULL;
    int code = web_receiver_admit(req, r, &why);

    if (code != 0)
        web_refuse(req, r, code, code == 403 ? "not-configured" : "unauthorized", why);
    else if ((doc = web_alarms_body(req, err, sizeof(err))) == NULL
             || r->parse(doc, &batch, err, sizeof(err)) != 0)
        web_refuse(req, r, 400, "bad-request", err);
    else
        web_alarms_commit(w, req, r, &batch);
    web_alarm_batch_free(&batch);
    cJSON_Delete(doc);
}
