/*
 * web_api - the JSON API (the documents of saga/status.h, byte for byte
 *           what cutover status --json and history --json print, without
 *           the indentation) and the health checks.
 *
 * DESCRIPTION
 *	An environment name that cannot exist (environments.name's pattern)
 *	is 404 without a query; an unknown one is 404 after it; a database
 *	that does not answer is 503. Nothing here writes.
 */
#include "web/web_internal.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEB_API_PREFIX "/api/v1/environments/"
#define WEB_ENV_MAX    63 /* environments.name: ^[a-z0-9][a-z0-9-]{0,62}$ */

/* web_reply_status - the answer for a status query's outcome */
static void web_reply_status(struct evhttp_request *req, enum status_rc rc, const cJSON *doc)
{
    if (rc == STATUS_OK)
        httpd_reply_json(req, 200, doc);
    else if (rc == STATUS_NO_ENVIRONMENT)
        httpd_reply_error(req, 404, "no such environment");
    else
        httpd_reply_error(req, 503, status_strerror(rc));
}

/* web_environments_cb - GET /api/v1/environments: every status document */
void web_environments_cb(struct evhttp_request *req, const char *path, void *arg)
{
    struct db *db = web_db(arg);
    cJSON *list = NULL, *doc = NULL;
    enum status_rc rc = db ? status_environments(db, &list) : STATUS_DB_FAILED;

    (void)path;
    if (rc == STATUS_OK) {
        doc = cJSON_CreateObject();
        cJSON_AddItemToObject(doc, "environments", list);
    }
    web_reply_status(req, rc, doc);
    cJSON_Delete(doc);
}

/* web_name_ok - whether name could be an environment's (its table's pattern) */
static int web_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > WEB_ENV_MAX || name[0] == '-')
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')
              || name[i] == '-'))
            return 0;
    }
    return 1;
}

/* web_history_limit - ?limit=N (1..WEB_HISTORY_MAX), default WEB_HISTORY_DEFAULT; -1 when bad */
static long web_history_limit(struct evhttp_request *req)
{
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq args;
    const char *text;
    char *end;
    long limit = WEB_HISTORY_DEFAULT;

    if (query == NULL)
        return limit;
    if (evhttp_parse_query_str(query, &args) != 0)
        return -1;
    if ((text = evhttp_find_header(&args, "limit")) != NULL) {
        limit = strtol(text, &end, 10);
        if (*text == '\0' || *end != '\0' || limit < 1 || limit > WEB_HISTORY_MAX)
            limit = -1;
    }
    evhttp_clear_headers(&args);
    return limit;
}

/* web_environment_cb - GET /api/v1/environments/NAME[/history] */
void web_environment_cb(struct evhttp_request *req, const char *path, void *arg)
{
    const char *name = path + strlen(WEB_API_PREFIX);
    size_t len = strcspn(name, "/");
    const char *rest = name + len;
    int history = strcmp(rest, "/history") == 0;
    char env[WEB_ENV_MAX + 1];
    long limit = history ? web_history_limit(req) : 0;
    struct db *db;
    cJSON *doc = NULL;
    enum status_rc rc;

    if (!web_name_ok(name, len) || (*rest != '\0' && !history)) {
        httpd_reply_error(req, 404, "no such path");
        return;
    }
    if (limit < 0) {
        httpd_reply_error(req, 400, "limit wants a number 1..100");
        return;
    }
    snprintf(env, sizeof(env), "%.*s", (int)len, name);
    if ((db = web_db(arg)) == NULL)
        rc = STATUS_DB_FAILED;
    else
        rc = history ? status_history(db, env, limit, &doc) : status_environment(db, env, &doc);
    web_reply_status(req, rc, doc);
    cJSON_Delete(doc);
}

/* web_healthz_cb - GET /healthz: the process runs and its loop answers */
void web_healthz_cb(struct evhttp_request *req, const char *path, void *arg)
{
    (void)path;
    (void)arg;
    httpd_reply(req, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

/* web_readyz_cb - GET /readyz: the database answers */
void web_readyz_cb(struct evhttp_request *req, const char *path, void *arg)
{
    struct db *db = web_db(arg);

    (void)path;
    if (db == NULL || db_exec(db, "SELECT 1", 0, NULL) != 0)
        httpd_reply_error(req, 503, "database unreachable");
    else
        httpd_reply(req, 200, "text/plain; charset=utf-8", "ready\n", 6);
}
