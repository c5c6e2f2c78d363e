/*
 * web_alertmanager - POST /v1/alarms/alertmanager: Prometheus
 *                    Alertmanager's webhook (payload version "4") read
 *                    into alarms for web_alarms.c.
 *
 * DESCRIPTION
 *	One alarm per alert: alarm = its alertname label, state ALARM when
 *	firing and OK when resolved, severity = its severity label (none:
 *	WEB_SEVERITY_DEFAULT, "critical": an alert routed to cutover is
 *	one to roll back for), reason = its summary annotation, else its
 *	description, source = the payload's receiver. Its environment label
 *	names an environment; its labels are what the environments' match
 *	rules compare. The key that makes a repeat publish nothing is
 *	"fingerprint/startsAt/status": Alertmanager sends a firing alert
 *	again at each repeat_interval, and after a failed delivery.
 *
 *	Refused (400) as a whole: a payload that is not an object, of
 *	another version, without receiver or alerts, or with an alert that
 *	lacks status (firing or resolved), labels, alertname, fingerprint or
 *	startsAt. Credentials: a bearer token (CUTOVER_ALERTMANAGER_TOKEN or
 *	_TOKEN_FILE) or basic auth (CUTOVER_ALERTMANAGER_USERNAME and
 *	_PASSWORD or _PASSWORD_FILE), either or both.
 */
#include "web/web_internal.h"

#include "base/log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEB_AM_VERSION "4"

/* web_am_first - the first of two string members present (b may be NULL), or fallback */
static const char *web_am_first(const cJSON *obj, const char *a, const char *b,
                                const char *fallback)
{
    const char *v = web_json_string(obj, a);

    if (v == NULL && b != NULL)
        v = web_json_string(obj, b);
    return v ? v : fallback;
}

/* web_am_alert - one alert into the batch */
static int web_am_alert(const cJSON *alert, const char *receiver, struct web_alarm_batch *b,
                        char *err, size_t err_len)
{
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(alert, "labels");
    const cJSON *annotations = cJSON_GetObjectItemCaseSensitive(alert, "annotations");
    const char *status = web_json_string(alert, "status");
    const char *fingerprint = web_json_string(alert, "fingerprint");
    const char *starts = web_json_string(alert, "startsAt");
    size_t index = b->count;
    struct web_alarm *a;

    if (!cJSON_IsObject(labels) || status == NULL || fingerprint == NULL || starts == NULL)
        return web_fail(err, err_len, "alert %zu: status, labels, fingerprint and startsAt wanted",
                        index);
    if (strcmp(status, "firing") != 0 && strcmp(status, "resolved") != 0)
        return web_fail(err, err_len, "alert %zu: status is neither firing nor resolved", index);
    if ((a = web_alarm_add(b, err, err_len)) == NULL)
        return -1;
    a->name = web_json_string(labels, "alertname");
    a->state = strcmp(status, "firing") == 0 ? "ALARM" : "OK";
    a->severity = web_am_first(labels, "severity", NULL, WEB_SEVERITY_DEFAULT);
    a->reason = web_am_first(annotations, "summary", "description", "");
    a->source = receiver;
    a->environment = web_json_string(labels, "environment");
    a->fields = labels;
    if ((size_t)snprintf(a->key, sizeof(a->key), "%s/%s/%s", fingerprint, starts, status)
        >= sizeof(a->key))
        return web_fail(err, err_len, "alert %zu: fingerprint and startsAt too long", index);
    if (web_alarm_check(a, err, err_len) != 0)
        return web_fail(err + strlen(err), err_len - strlen(err), " (alert %zu)", index);
    return 0;
}

/* web_alertmanager_parse - a version 4 webhook payload: one alarm per alert */
int web_alertmanager_parse(const cJSON *doc, struct web_alarm_batch *batch, char *err,
                           size_t err_len)
{
    const char *version = web_json_string(doc, "version");
    const char *receiver = web_json_string(doc, "receiver");
    const cJSON *alerts = cJSON_GetObjectItemCaseSensitive(doc, "alerts"), *alert;

    if (!cJSON_IsObject(doc))
        return web_fail(err, err_len, "the payload is not a JSON object");
    if (version == NULL || strcmp(version, WEB_AM_VERSION) != 0)
        return web_fail(err, err_len, "version \"%.16s\" is not Alertmanager's webhook version "
                        WEB_AM_VERSION, version ? version : "");
    if (receiver == NULL || *receiver == '\0' || !cJSON_IsArray(alerts))
        return web_fail(err, err_len, "receiver and alerts wanted");
    cJSON_ArrayForEach(alert, alerts)
    {
        if (web_am_alert(alert, receiver, batch, err, err_len) != 0)
            return -1;
    }
    return 0;
}

/* web_am_basic - take basic auth of user and password: "Basic " base64(user:password) */
static void web_am_basic(struct web_receiver *r, const char *user, const char *password)
{
    size_t plain_len = strlen(user) + 1 + strlen(password);
    char *plain = malloc(plain_len + 1);
    unsigned char *encoded = malloc(4 * (plain_len / 3 + 1) + 1);

    if (plain == NULL || encoded == NULL)
        log_fatal("out of memory");
    snprintf(plain, plain_len + 1, "%s:%s", user, password);
    EVP_EncodeBlock(encoded, (const unsigned char *)plain, (int)plain_len);
    web_receiver_credential(r, "Authorization", "Basic", (const char *)encoded);
    OPENSSL_cleanse(plain, plain_len);
    OPENSSL_cleanse(encoded, strlen((char *)encoded));
    free(plain);
    free(encoded);
}

/* web_alertmanager_setup - the receiver's parser and credentials from the
 * configuration; -1 with err when a secret cannot be read */
int web_alertmanager_setup(struct web *w, char *err, size_t err_len)
{
    struct web_receiver *r = &w->alertmanager;
    const char *user = config_get("CUTOVER_ALERTMANAGER_USERNAME");
    char secret[CONFIG_SECRET_MAX];
    int found, rc = 0;

    r->parse = web_alertmanager_parse;
    found = config_get_secret("CUTOVER_ALERTMANAGER_TOKEN", secret, sizeof(secret), err, err_len);
    if (found == 0)
        web_receiver_credential(r, "Authorization", "Bearer", secret);
    if (found >= 0)
        found = config_get_secret("CUTOVER_ALERTMANAGER_PASSWORD", secret, sizeof(secret), err,
                                  err_len);
    if (found < 0)
        rc = -1;
    else if ((found == 0) != (user != NULL))
        rc = web_fail(err, err_len, "set CUTOVER_ALERTMANAGER_USERNAME and _PASSWORD together");
    else if (found == 0)
        web_am_basic(r, user, secret);
    OPENSSL_cleanse(secret, sizeof(secret));
    return rc;
}

/* web_alertmanager_cb - POST /v1/alarms/alertmanager */
void web_alertmanager_cb(struct evhttp_request *req, const char *path, void *arg)
{
    struct web *w = arg;

    (void)path;
    web_alarms_receive(w, req, &w->alertmanager);
}
