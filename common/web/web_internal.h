/*
 * web_internal - what the files of web/ share: the state, the database
 *                access at the bottom (web_db.c), the handlers in the
 *                middle (web_api.c, web_page.c, web_metrics.c, and the
 *                alarm receivers web_alertmanager.c, web_eventbridge.c
 *                and web_sns.c on their shared part, web_alarms.c) and
 *                the embedded assets (web_assets.c, generated).
 *
 * DESCRIPTION
 *	Inside the folder the arrows go web.c -> web_api.c, web_page.c,
 *	web_metrics.c, web_alertmanager.c, web_eventbridge.c, web_sns.c;
 *	the three receivers -> web_alarms.c (credentials, the receipts and
 *	outbox transaction, environment matching, the Kafka producer and
 *	outbox publisher); web_sns.c -> sns.c (verification) -> sns_cert.c;
 *	all -> web_db.c, web_assets.c; none back.
 */
#ifndef CUTOVER_WEB_INTERNAL_H
#define CUTOVER_WEB_INTERNAL_H

#include "base/config.h"
#include "io/httpd.h"
#include "web/sns.h"
#include "io/event_sign.h"
#include "io/kafka.h"
#include "io/outbox.h"
#include "saga/status.h"
#include "web/web.h"

#include <time.h>

#define WEB_STATEMENT_TIMEOUT_MS "5000" /* the longest query a request may wait for */
#define WEB_HISTORY_DEFAULT      20
#define WEB_HISTORY_MAX          100

#define WEB_ALARM_KEY_MAX        512  /* a sender's key of one alarm */
#define WEB_ALARMS_MAX           1000 /* alarms in one request */
#define WEB_CREDENTIALS_MAX      2    /* credentials one receiver accepts */
#define WEB_SEVERITY_DEFAULT     "critical" /* an alarm that names no severity */

/* One alarm as a receiver read it; the strings point into the request's
 * JSON or into its batch's owned items. */
struct web_alarm {
    char key[WEB_ALARM_KEY_MAX]; /* the sender's key of the alarm (dedupe) */
    const char *name;            /* alarm-fired: alarm */
    const char *state;           /* "ALARM" or "OK" */
    const char *severity;
    const char *reason;
    const char *source;          /* alarm-fired: source (the sender's name for itself) */
    const char *environment;     /* named by the alarm itself, or NULL */
    const cJSON *fields;         /* what match rules compare: an object of strings */
};

/* What a receiver read from one request. */
struct web_alarm_batch {
    struct web_alarm *alarms;
    size_t count;
    size_t ignored; /* alarms in a state that publishes nothing (INSUFFICIENT_DATA) */
    cJSON *owned;   /* items the parser built, freed with the batch */
};

/* web_alarm_parse_fn - a sender's payload into alarms; 0, or -1 with err
 * (the request is then answered 400 with it) */
typedef int (*web_alarm_parse_fn)(const cJSON *doc, struct web_alarm_batch *batch, char *err,
                                  size_t err_len);

/* A credential a receiver takes: the header's value is "SCHEME secret",
 * or only the secret when scheme is NULL. */
struct web_credential {
    const char *header;
    const char *scheme;
    char *secret;
};

struct web_receiver {
    const char *name; /* "alertmanager": the metrics label; source cutover-web/NAME */
    web_alarm_parse_fn parse;
    struct web_credential credentials[WEB_CREDENTIALS_MAX];
    size_t credential_count; /* 0: not configured, every request refused */
    struct event_signer *signer; /* signs its events (struct web's); NULL: unsigned */
};

/* The SNS receiver's policy (web_sns.c): the topics it takes, and where
 * signing certificates may come from. */
struct web_sns {
    char *topics_text;        /* CUTOVER_SNS_TOPICS, split in place */
    const char **topics;
    struct sns_policy policy; /* topic_count 0: every message refused */
};

struct web {
    struct httpd *httpd;
    struct db *db;
    time_t db_reset_at;       /* last reconnection attempt (at most one a second) */
    struct status_mark mark;  /* finished deployments counted so far (metrics) */
    struct status_mark rollbacks_mark; /* rollbacks counted so far (metrics) */
    struct kafka_producer *producer;   /* the alarms' events, through the outbox */
    struct outbox *outbox;
    struct event *ev_sweep;            /* republishes what is committed and unsent */
    struct web_receiver alertmanager, eventbridge, sns;
    struct web_sns sns_policy;
    struct event_signer *signer;       /* CUTOVER_WEB_SIGN_KEY, read once; NULL: unsigned */
};

/* web_db - the database, reconnected (one attempt a second at most) when
 * the connection broke; NULL while it cannot be had */
struct db *web_db(struct web *w);
/* web_db_prepare - session settings of a fresh connection; 0 or -1 */
int web_db_prepare(struct db *db);

/* web_api.c: the JSON API and the health checks */
void web_environments_cb(struct evhttp_request *req, const char *path, void *arg);
void web_environment_cb(struct evhttp_request *req, const char *path, void *arg);
void web_healthz_cb(struct evhttp_request *req, const char *path, void *arg);
void web_readyz_cb(struct evhttp_request *req, const char *path, void *arg);

/* web_page.c: the embedded status page */
void web_page_cb(struct evhttp_request *req, const char *path, void *arg);

/* web_metrics.c: the per-environment families and their collector */
void web_metrics_start(struct web *w);

/* web_alertmanager.c: POST /v1/alarms/alertmanager */
int web_alertmanager_setup(struct web *w, char *err, size_t err_len);
int web_alertmanager_parse(const cJSON *doc, struct web_alarm_batch *batch, char *err,
                           size_t err_len);
void web_alertmanager_cb(struct evhttp_request *req, const char *path, void *arg);

/* web_eventbridge.c: POST /v1/alarms/eventbridge */
int web_eventbridge_setup(struct web *w, char *err, size_t err_len);
int web_eventbridge_parse(const cJSON *doc, struct web_alarm_batch *batch, char *err,
                          size_t err_len);
void web_eventbridge_cb(struct evhttp_request *req, const char *path, void *arg);

/* web_sns.c: POST /v1/alarms/sns (Amazon SNS, signature-verified) */
int web_sns_setup(struct web *w, char *err, size_t err_len);
void web_sns_stop(struct web *w);
void web_sns_cb(struct evhttp_request *req, const char *path, void *arg);

/* web_alarms.c: what the receivers share */
/* web_alarms_start - the producer, the outbox publisher and its sweeper; 0 or -1 */
int web_alarms_start(struct web *w, struct event_base *base, char *err, size_t err_len);
/* web_alarms_announce - log which receivers take requests (after their set-up) */
void web_alarms_announce(const struct web *w);
/* web_alarms_stop - flush what is in flight, free the receivers and the publisher */
void web_alarms_stop(struct web *w);
/* web_receiver_credential - let r take header "SCHEME secret" (scheme NULL:
 * the secret alone) */
void web_receiver_credential(struct web_receiver *r, const char *header, const char *scheme,
                             const char *secret);
/* web_alarms_receive - one request to receiver r: credentials, body, parse,
 * the receipts and events in one transaction, publish, answer */
void web_alarms_receive(struct web *w, struct evhttp_request *req, const struct web_receiver *r);
/* web_alarms_commit - a batch read from an admitted request: the receipts
 * and events in one transaction, publish, answer (503 while the database fails) */
void web_alarms_commit(struct web *w, struct evhttp_request *req, const struct web_receiver *r,
                       struct web_alarm_batch *batch);
/* web_alarms_raw_body - the request's body, UTF-8 (*len set); NULL with err */
const char *web_alarms_raw_body(struct evhttp_request *req, size_t *len, char *err,
                                size_t err_len);
/* web_refuse - answer code with message: logged (never a secret) and counted
 * under outcome (one of the receivers' request outcomes) */
void web_refuse(struct evhttp_request *req, const struct web_receiver *r, int code,
                const char *outcome, const char *message);
/* web_accept_message - a request that carried no alarm: 200 with a note, counted accepted */
void web_accept_message(struct evhttp_request *req, const struct web_receiver *r,
                        const char *note);
/* web_alarm_add - the batch's next alarm (zeroed); NULL with err past WEB_ALARMS_MAX */
struct web_alarm *web_alarm_add(struct web_alarm_batch *batch, char *err, size_t err_len);
/* web_alarm_own - the batch takes item (freed with it); 0, or -1 with item freed */
int web_alarm_own(struct web_alarm_batch *batch, cJSON *item);
/* web_alarm_owned_string - a copy of text the batch owns (for built strings) */
const char *web_alarm_owned_string(struct web_alarm_batch *batch, const char *text);
/* web_alarm_check - the alarm's fields fit alarm-fired (name present, lengths); 0 or -1 */
int web_alarm_check(const struct web_alarm *a, char *err, size_t err_len);
void web_alarm_batch_free(struct web_alarm_batch *batch);
/* web_alarm_matches - a concerns environment: it names it, or one of the
 * environment's alarm rules (its "alarms" member) matches its fields */
int web_alarm_matches(const struct web_alarm *a, const char *environment, const cJSON *rules);
/* web_alarm_event_id - the alarm-fired id derived from (receiver, key,
 * environment): a repeat after a lost answer is the same event */
void web_alarm_event_id(const char *receiver, const char *key, const char *environment,
                        char out[37]);
/* web_alarm_data - alarm-fired's data for a in environment (reason cut to fit) */
cJSON *web_alarm_data(const struct web_alarm *a, const char *environment);
/* web_json_string - a string member of obj, or NULL */
const char *web_json_string(const cJSON *obj, const char *name);
/* web_fail - format err; returns -1 */
int web_fail(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One embedded file of the page (web_assets.c, generated from assets/). */
struct web_asset {
    const char *path;
    const char *content_type;
    const char *data;
    size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_asset_count;

#endif
