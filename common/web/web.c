/*
 * web - cutover-web's server: the route table on io/httpd.h, and the
 *       set-up and teardown (see web.h).
 */
#include "web/web_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* The routes, in the order they are tried. */
static const struct httpd_route web_routes[] = {
    {"/", web_page_cb, 0, HTTPD_GET},
    {"/index.html", web_page_cb, 0, HTTPD_GET},
    {"/app.js", web_page_cb, 0, HTTPD_GET},
    {"/app.css", web_page_cb, 0, HTTPD_GET},
    {"/healthz", web_healthz_cb, 0, HTTPD_GET},
    {"/readyz", web_readyz_cb, 0, HTTPD_GET},
    {"/metrics", httpd_metrics_cb, 0, HTTPD_GET},
    {"/api/v1/environments", web_environments_cb, 0, HTTPD_GET},
    {"/api/v1/environments/", web_environment_cb, 1, HTTPD_GET},
    {"/v1/alarms/alertmanager", web_alertmanager_cb, 0, HTTPD_POST},
    {"/v1/alarms/eventbridge", web_eventbridge_cb, 0, HTTPD_POST},
    {"/v1/alarms/sns", web_sns_cb, 0, HTTPD_POST},
};

/* web_create - serve on addr with db */
struct web *web_create(struct event_base *base, struct db *db, const char *addr, char *err,
                       size_t err_len)
{
    struct web *w = calloc(1, sizeof(*w));

    if (w == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    w->db = db;
    if (web_db_prepare(db) != 0) {
        snprintf(err, err_len, "database: %s", db_last_error(db));
        goto fail;
    }
    if (web_alarms_start(w, base, err, err_len) != 0 || web_alertmanager_setup(w, err, err_len) != 0
        || web_eventbridge_setup(w, err, err_len) != 0 || web_sns_setup(w, err, err_len) != 0)
        goto fail;
    web_alarms_announce(w);
    w->httpd = httpd_create(base, addr, web_routes, sizeof(web_routes) / sizeof(web_routes[0]), w,
                            err, err_len);
    if (w->httpd == NULL)
        goto fail;
    httpd_set_max_body(w->httpd, (size_t)config_get_int("CUTOVER_WEB_MAX_BODY"));
    web_metrics_start(w);
    return w;
fail:
    web_free(w);
    return NULL;
}

/* web_free - stop serving (the database is the caller's) */
void web_free(struct web *w)
{
    if (w == NULL)
        return;
    httpd_free(w->httpd);
    web_alarms_stop(w);
    web_sns_stop(w);
    free(w);
}

/* web_port - the port the web listens on */
int web_port(const struct web *w)
{
    return httpd_port(w->httpd);
}
