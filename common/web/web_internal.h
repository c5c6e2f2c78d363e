/*
 * web_internal - what the files of web/ share: the state, the database
 *                access at the bottom (web_db.c), the handlers in the
 *                middle (web_api.c, web_page.c, web_metrics.c) and the
 *                embedded assets (web_assets.c, generated).
 *
 * DESCRIPTION
 *	Inside the folder the arrows go web.c -> web_api.c, web_page.c,
 *	web_metrics.c -> web_db.c, web_assets.c; none back.
 */
#ifndef CUTOVER_WEB_INTERNAL_H
#define CUTOVER_WEB_INTERNAL_H

#include "io/httpd.h"
#include "saga/status.h"
#include "web/web.h"

#include <time.h>

#define WEB_STATEMENT_TIMEOUT_MS "5000" /* the longest query a request may wait for */
#define WEB_HISTORY_DEFAULT      20
#define WEB_HISTORY_MAX          100

struct web {
    struct httpd *httpd;
    struct db *db;
    time_t db_reset_at;       /* last reconnection attempt (at most one a second) */
    struct status_mark mark;  /* finished deployments counted so far (metrics) */
    struct status_mark rollbacks_mark; /* rollbacks counted so far (metrics) */
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
