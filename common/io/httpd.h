/*
 * httpd - a small HTTP server on libevent's evhttp, for the metrics
 *         scrape, health checks, the status page and the alarm receivers,
 *         hardened for an open network.
 *
 * SYNOPSIS
 *	static const struct httpd_route routes[] = {
 *		{ "/metrics", httpd_metrics_cb, 0 },
 *		{ "/api/v1/environments/", api_environment_cb, 1 },	(a prefix)
 *		{ "/v1/alarms/alertmanager", alertmanager_cb, 0, HTTPD_POST },
 *	};
 *	struct httpd *h = httpd_create(base, "127.0.0.1:9464", routes, 3, arg,
 *	                               err, sizeof(err));
 *	httpd_set_max_body(h, 1 << 20);		(POST routes' bodies)
 *	printf("serving on port %d\n", httpd_port(h));
 *	...
 *	httpd_free(h);
 *
 * DESCRIPTION
 *	The address is "host:port" ("[::1]:port" for IPv6); port 0 asks the
 *	kernel for a free one (httpd_port tells which). Limits against
 *	hostile or broken clients: headers at most HTTPD_MAX_HEADERS bytes,
 *	a body at most HTTPD_MAX_BODY (evhttp answers 413 or 400 and closes),
 *	a connection idle or half-sent for HTTPD_TIMEOUT_S seconds is closed
 *	(slowloris). A route takes GET and HEAD unless it says otherwise in
 *	methods (HTTPD_GET, HTTPD_POST, or both); a method the route does
 *	not take gets 405 with an Allow header (an unknown path: 405 for
 *	anything but GET and HEAD, else 404). POST routes may take bodies up
 *	to httpd_set_max_body's cap (evhttp answers 413 above it and
 *	closes); a body past HTTPD_MAX_BODY on a GET or HEAD route is 413
 *	still. The handler gets the request's decoded path and the arg given
 *	at creation; it must answer the request before it returns.
 *
 *	At most HTTPD_MAX_CONNECTIONS connections are open at once (idle,
 *	half-sent or being answered); further ones wait in the kernel's
 *	listen backlog, without a descriptor, until one closes. When accept()
 *	fails (out of descriptors: EMFILE, ENFILE) the server stops accepting
 *	for HTTPD_ACCEPT_RETRY_MS and tries again, instead of spinning (a
 *	warning at most once a minute). The process's metrics registry gets
 *	cutover_http_connections (open now, all servers) and
 *	cutover_http_accept_pauses_total{reason} (max_connections, accept_error).
 */
#ifndef CUTOVER_HTTPD_H
#define CUTOVER_HTTPD_H

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stddef.h>

#define HTTPD_MAX_HEADERS 8192
#define HTTPD_MAX_BODY    4096
#define HTTPD_TIMEOUT_S   10
#define HTTPD_MAX_CONNECTIONS 256 /* open at once, per server */
#define HTTPD_ACCEPT_RETRY_MS 100 /* pause after a failed accept() */

#define HTTPD_GET  1u /* GET and HEAD (the default: methods 0) */
#define HTTPD_POST 2u

struct httpd;

typedef void (*httpd_handler_fn)(struct evhttp_request *req, const char *path, void *arg);

struct httpd_route {
    const char *path;
    httpd_handler_fn handle;
    int prefix; /* 1: path is a prefix ("/api/v1/environments/") */
    unsigned methods; /* HTTPD_GET | HTTPD_POST; 0: HTTPD_GET */
};

struct httpd *httpd_create(struct event_base *base, const char *addr,
                           const struct httpd_route *routes, size_t route_count, void *arg,
                           char *err, size_t err_len);
void httpd_free(struct httpd *h);
/* httpd_set_max_body - the largest body a POST route takes (at least
 * HTTPD_MAX_BODY); GET and HEAD routes keep HTTPD_MAX_BODY */
void httpd_set_max_body(struct httpd *h, size_t bytes);
/* httpd_port - the port the server listens on */
int httpd_port(const struct httpd *h);
/* httpd_set_max_connections - accept at most max open connections (>= 1;
 * HTTPD_MAX_CONNECTIONS unless set) */
void httpd_set_max_connections(struct httpd *h, int max);
/* httpd_connections - how many connections are open */
int httpd_connections(const struct httpd *h);

/* httpd_reply - answer with code, a content type and a body */
void httpd_reply(struct evhttp_request *req, int code, const char *content_type,
                 const void *body, size_t len);
/* httpd_reply_json - answer with code and json (printed, not taken) */
void httpd_reply_json(struct evhttp_request *req, int code, const cJSON *json);
/* httpd_reply_error - answer code with {"error": message} */
void httpd_reply_error(struct evhttp_request *req, int code, const char *message);

/* httpd_metrics_cb - a route that serves the process's metrics registry
 * in the Prometheus text format 0.0.4 */
void httpd_metrics_cb(struct evhttp_request *req, const char *path, void *arg);

/* httpd_metrics_serve - a process's own server: GET /metrics and /healthz
 * (healthz answers it; NULL: always 200 "ok") on addr, for the process's
 * life. NULL when addr is NULL or empty (none asked for); an address it
 * cannot listen on is fatal (configuration). */
struct httpd *httpd_metrics_serve(struct event_base *base, const char *addr,
                                  httpd_handler_fn healthz, void *arg);

#endif
