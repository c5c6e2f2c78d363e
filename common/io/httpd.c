/*
 * httpd - a small HTTP server on evhttp with hard limits, a cap
 *         on open connections and a route table (see httpd.h).
 *
 * How connections are counted: libevent 2.1's evhttp has no
 * evhttp_set_max_connections (2.2 has) and no hook between accept() and a
 * whole request; its listener calls only evhttp's own accept callback. So
 * the bufferevent callback (evhttp_set_bevcb), which evhttp calls for each
 * accepted socket, counts the connection and remembers its bufferevent;
 * once evhttp has wrapped it (at the next accept, or in the same loop
 * pass), the bufferevent's callback argument is its evhttp_connection
 * (evhttp sets it so), which gets a close callback that uncounts it. At
 * the cap the listener is disabled: new connections wait in the kernel's
 * backlog, costing no descriptor, until one closes. An accept() that fails
 * (EMFILE, ENFILE, ENOBUFS: evconnlistener would otherwise warn and retry
 * at once, forever, at 100 % CPU) disables the listener for
 * HTTPD_ACCEPT_RETRY_MS.
 */
#include "io/httpd.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/metrics.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define HTTPD_ROUTES_MAX 16
#define HTTPD_ACCEPT_WARN_S 60 /* at most one warning this often while accept() fails */

struct httpd {
    struct evhttp *http;
    struct evhttp_bound_socket *socket;
    struct evconnlistener *listener; /* the bound socket's */
    struct httpd_route routes[HTTPD_ROUTES_MAX];
    size_t route_count;
    void *arg;
    int connections;              /* open now */
    int max_connections;          /* the listener pauses at this many */
    int accepting;                /* the listener is enabled */
    int accept_failures;          /* failed accept()s not yet logged */
    int64_t accept_warned_ms;     /* when they were last logged (clock_mono_ms) */
    int closing;                  /* httpd_free: the listener is gone */
    struct bufferevent *unwatched; /* counted, its close callback not yet set */
    struct event *watch;          /* sets it, later in the loop pass */
    struct event *retry;          /* after a failed accept(): accept again */
    struct httpd *next;           /* httpd_servers */
};

/* Every server of the process: a listener's error callback gets evhttp's
 * argument, not ours, and finds its server here. */
static struct httpd *httpd_servers;
/* Open connections of all of them (cutover_http_connections). */
static int httpd_open_total;

/* httpd_addr_split - "host:port" or "[v6]:port" into host and port; 0 or -1 */
static int httpd_addr_split(const char *addr, char *host, size_t host_len, int *port)
{
    const char *colon = strrchr(addr, ':');
    const char *start = addr, *end = colon;
    char *rest;
    long p;

    if (colon == NULL)
        return -1;
    if (*addr == '[') {
        start = addr + 1;
        if (colon == addr || colon[-1] != ']')
            return -1;
        end = colon - 1;
    }
    if (end <= start || (size_t)(end - start) >= host_len)
        return -1;
    p = strtol(colon + 1, &rest, 10);
    if (colon[1] == '\0' || *rest != '\0' || p < 0 || p > 65535)
        return -1;
    snprintf(host, host_len, "%.*s", (int)(end - start), start);
    *port = (int)p;
    return 0;
}

/* httpd_reply - answer with code, a content type and a body */
void httpd_reply(struct evhttp_request *req, int code, const char *content_type,
                 const void *body, size_t len)
{
    struct evbuffer *out = evbuffer_new();
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);

    evhttp_add_header(headers, "Content-Type", content_type);
    evhttp_add_header(headers, "Cache-Control", "no-store");
    evhttp_add_header(headers, "X-Content-Type-Options", "nosniff");
    if (out && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
        evbuffer_add(out, body, len);
    evhttp_send_reply(req, code, NULL, out);
    if (out)
        evbuffer_free(out);
}

/* httpd_reply_json - answer with code and json */
void httpd_reply_json(struct evhttp_request *req, int code, const cJSON *json)
{
    char *text = cJSON_PrintUnformatted(json);

    if (text == NULL) {
        httpd_reply_error(req, 500, "out of memory");
        return;
    }
    httpd_reply(req, code, "application/json", text, strlen(text));
    free(text);
}

/* httpd_reply_error - answer code with {"error": message} */
void httpd_reply_error(struct evhttp_request *req, int code, const char *message)
{
    char body[512];
    cJSON *json = cJSON_CreateObject();
    char *text;

    cJSON_AddStringToObject(json, "error", message);
    text = cJSON_PrintUnformatted(json);
    snprintf(body, sizeof(body), "%s", text ? text : "{}");
    free(text);
    cJSON_Delete(json);
    httpd_reply(req, code, "application/json", body, strlen(body));
}

/* httpd_route_find - the route that serves path, or NULL */
static const struct httpd_route *httpd_route_find(const struct httpd *h, const char *path)
{
    for (size_t i = 0; i < h->route_count; i++) {
        const struct httpd_route *r = &h->routes[i];

        if (r->prefix ? strncmp(path, r->path, strlen(r->path)) == 0 : strcmp(path, r->path) == 0)
            return r;
    }
    return NULL;
}

/* httpd_route_methods - the methods a route takes (an unknown path: GET's) */
static unsigned httpd_route_methods(const struct httpd_route *route)
{
    return route && route->methods ? route->methods : HTTPD_GET;
}

/* httpd_method_allowed - whether route (NULL: unknown path) takes method */
static int httpd_method_allowed(const struct httpd_route *route, enum evhttp_cmd_type method)
{
    unsigned methods = httpd_route_methods(route);

    if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD)
        return (methods & HTTPD_GET) != 0;
    return method == EVHTTP_REQ_POST && (methods & HTTPD_POST) != 0;
}

/* httpd_refuse_method - 405 with the route's Allow header */
static void httpd_refuse_method(struct evhttp_request *req, const struct httpd_route *route)
{
    unsigned methods = httpd_route_methods(route);
    const char *allow = methods == HTTPD_POST ? "POST"
                        : methods & HTTPD_POST ? "GET, HEAD, POST" : "GET, HEAD";
    char message[64];

    snprintf(message, sizeof(message), "only %s", methods == HTTPD_GET ? "GET and HEAD" : allow);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
    httpd_reply_error(req, 405, message);
}

/* httpd_body_too_large - a GET or HEAD body past HTTPD_MAX_BODY (evhttp
 * lets POST routes' larger cap through for every method) */
static int httpd_body_too_large(struct evhttp_request *req)
{
    enum evhttp_cmd_type method = evhttp_request_get_command(req);

    return method != EVHTTP_REQ_POST
           && evbuffer_get_length(evhttp_request_get_input_buffer(req)) > HTTPD_MAX_BODY;
}

/* httpd_request_cb - path decoding, the route, its methods, then its handler */
static void httpd_request_cb(struct evhttp_request *req, void *arg)
{
    struct httpd *h = arg;
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
    size_t path_len = 0;
    char *path = raw ? evhttp_uridecode(raw, 0, &path_len) : NULL;
    /* none, relative, or with a NUL byte */
    int path_ok = path != NULL && *path == '/' && strlen(path) == path_len;
    const struct httpd_route *route = path_ok ? httpd_route_find(h, path) : NULL;

    if (!httpd_method_allowed(route, method))
        httpd_refuse_method(req, route);
    else if (!path_ok)
        httpd_reply_error(req, 400, "bad path");
    else if (route == NULL)
        httpd_reply_error(req, 404, "no such path");
    else if (httpd_body_too_large(req))
        httpd_reply_error(req, 413, "body too large");
    else
        route->handle(req, path, h->arg);
    free(path);
}

/* httpd_metric_connections - cutover_http_connections */
static struct metric_family *httpd_metric_connections(void)
{
    return metrics_gauge("cutover_http_connections",
                         "HTTP connections open in this process's servers.", NULL, 0);
}

/* httpd_metric_pauses - cutover_http_accept_pauses_total{reason} */
static struct metric_family *httpd_metric_pauses(void)
{
    static const char *const reason[] = {"reason"};

    return metrics_counter("cutover_http_accept_pauses_total",
                           "Times an HTTP server stopped accepting connections: at its cap "
                           "(max_connections) or after accept() failed (accept_error).",
                           reason, 1);
}

/* httpd_pause_count - one pause for reason */
static void httpd_pause_count(const char *reason)
{
    metrics_add(httpd_metric_pauses(), 1, (const char *[]){reason});
}

/* httpd_metrics_register - the connection metrics, shown from the start */
static void httpd_metrics_register(void)
{
    metrics_set(httpd_metric_connections(), httpd_open_total, NULL);
    httpd_metric_pauses();
}

/* httpd_accepting_update - enable the listener while under the cap and not
 * waiting after a failed accept(), else disable it */
static void httpd_accepting_update(struct httpd *h)
{
    int full = h->connections >= h->max_connections;
    int want = !full && !evtimer_pending(h->retry, NULL);

    if (h->closing || want == h->accepting)
        return;
    h->accepting = want;
    if (want) {
        evconnlistener_enable(h->listener);
        return;
    }
    evconnlistener_disable(h->listener);
    if (full)
        httpd_pause_count("max_connections");
}

/* httpd_connections_add - delta connections opened (1) or closed (-1) */
static void httpd_connections_add(struct httpd *h, int delta)
{
    h->connections += delta;
    httpd_open_total += delta;
    metrics_set(httpd_metric_connections(), httpd_open_total, NULL);
    httpd_accepting_update(h);
}

/* httpd_close_cb - evhttp frees a connection we counted */
static void httpd_close_cb(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    httpd_connections_add(arg, -1);
}

/* httpd_watch_unwatched - give the connection counted last its close
 * callback; one evhttp freed already (it failed to set it up) is uncounted */
static void httpd_watch_unwatched(struct httpd *h)
{
    struct bufferevent *bev = h->unwatched;
    bufferevent_data_cb readcb;
    void *evcon;

    if (bev == NULL)
        return;
    h->unwatched = NULL;
    bufferevent_getcb(bev, &readcb, NULL, NULL, &evcon);
    if (readcb == NULL || evcon == NULL || evhttp_connection_get_bufferevent(evcon) != bev) {
        httpd_connections_add(h, -1);
        return;
    }
    evhttp_connection_set_closecb(evcon, httpd_close_cb, h);
}

/* httpd_watch_cb - later in the loop pass of an accept: evhttp has wrapped it */
static void httpd_watch_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    httpd_watch_unwatched(arg);
}

/* httpd_bev_cb - evhttp accepted a connection: count it, hand it its
 * bufferevent (the one evhttp would make) */
static struct bufferevent *httpd_bev_cb(struct event_base *base, void *arg)
{
    struct httpd *h = arg;
    struct bufferevent *bev;

    httpd_watch_unwatched(h);
    if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
        return NULL; /* evhttp tries its own, uncounted */
    h->unwatched = bev;
    event_active(h->watch, 0, 0);
    httpd_connections_add(h, 1);
    return bev;
}

/* httpd_of_listener - the server whose listener lev is, or NULL */
static struct httpd *httpd_of_listener(const struct evconnlistener *lev)
{
    struct httpd *h = httpd_servers;

    while (h != NULL && h->listener != lev)
        h = h->next;
    return h;
}

/* httpd_accept_failure_log - a warning at most every HTTPD_ACCEPT_WARN_S
 * while accept() keeps failing */
static void httpd_accept_failure_log(struct httpd *h, int err)
{
    int64_t now = clock_mono_ms();

    h->accept_failures++;
    if (h->accept_warned_ms != 0 && now - h->accept_warned_ms < HTTPD_ACCEPT_WARN_S * 1000)
        return;
    log_warn("http: port %d cannot accept connections: %s (%d failure(s) since the last such "
             "warning); trying again every %d ms",
             httpd_port(h), strerror(err), h->accept_failures, HTTPD_ACCEPT_RETRY_MS);
    h->accept_failures = 0;
    h->accept_warned_ms = now;
}

/* httpd_accept_error_cb - accept() failed (out of descriptors, of kernel
 * memory): stop accepting for HTTPD_ACCEPT_RETRY_MS */
static void httpd_accept_error_cb(struct evconnlistener *lev, void *arg)
{
    static const struct timeval retry = {HTTPD_ACCEPT_RETRY_MS / 1000,
                                         HTTPD_ACCEPT_RETRY_MS % 1000 * 1000};
    int err = errno;
    struct httpd *h = httpd_of_listener(lev);

    (void)arg;
    if (h == NULL)
        return;
    httpd_accept_failure_log(h, err);
    httpd_pause_count("accept_error");
    evtimer_add(h->retry, &retry);
    httpd_accepting_update(h);
}

/* httpd_retry_cb - the pause after a failed accept() is over */
static void httpd_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    httpd_accepting_update(arg);
}

/* httpd_listen - bind the server to addr */
static int httpd_listen(struct httpd *h, const char *addr, char *err, size_t err_len)
{
    char host[256];
    int port;

    if (httpd_addr_split(addr, host, sizeof(host), &port) != 0) {
        snprintf(err, err_len, "bad listen address \"%s\" (want host:port)", addr);
        return -1;
    }
    h->socket = evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port);
    if (h->socket == NULL) {
        snprintf(err, err_len, "cannot listen on %s", addr);
        return -1;
    }
    h->listener = evhttp_bound_socket_get_listener(h->socket);
    evconnlistener_set_error_cb(h->listener, httpd_accept_error_cb);
    h->accepting = 1;
    return 0;
}

/* httpd_limit_connections - count connections, pause at the cap */
static int httpd_limit_connections(struct httpd *h, struct event_base *base)
{
    h->max_connections = HTTPD_MAX_CONNECTIONS;
    h->watch = event_new(base, -1, 0, httpd_watch_cb, h);
    h->retry = evtimer_new(base, httpd_retry_cb, h);
    if (h->watch == NULL || h->retry == NULL)
        return -1;
    event_priority_set(h->watch, 0); /* before evhttp's own callbacks of the pass */
    evhttp_set_bevcb(h->http, httpd_bev_cb, h);
    httpd_metrics_register();
    h->next = httpd_servers;
    httpd_servers = h;
    return 0;
}

/* httpd_create - a server on addr with routes */
struct httpd *httpd_create(struct event_base *base, const char *addr,
                           const struct httpd_route *routes, size_t route_count, void *arg,
                           char *err, size_t err_len)
{
    struct httpd *h = calloc(1, sizeof(*h));

    if (h == NULL || route_count > HTTPD_ROUTES_MAX || (h->http = evhttp_new(base)) == NULL
        || httpd_limit_connections(h, base) != 0) {
        snprintf(err, err_len, "http server set-up failed");
        goto fail;
    }
    memcpy(h->routes, routes, route_count * sizeof(*routes));
    h->route_count = route_count;
    h->arg = arg;
    evhttp_set_max_headers_size(h->http, HTTPD_MAX_HEADERS);
    evhttp_set_max_body_size(h->http, HTTPD_MAX_BODY);
    evhttp_set_timeout(h->http, HTTPD_TIMEOUT_S);
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST
                                            | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE
                                            | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE
                                            | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(h->http, httpd_request_cb, h);
    if (httpd_listen(h, addr, err, err_len) != 0)
        goto fail;
    /* evhttp writes with writev: a client gone mid-answer must be an error
     * on write, not SIGPIPE's death (children reset it: child_setup) */
    signal(SIGPIPE, SIG_IGN);
    return h;
fail:
    httpd_free(h);
    return NULL;
}

/* httpd_set_max_body - the largest body a POST route takes */
void httpd_set_max_body(struct httpd *h, size_t bytes)
{
    evhttp_set_max_body_size(h->http, (ev_ssize_t)(bytes > HTTPD_MAX_BODY ? bytes : HTTPD_MAX_BODY));
}

/* httpd_forget - take h off httpd_servers */
static void httpd_forget(struct httpd *h)
{
    struct httpd **at = &httpd_servers;

    while (*at != NULL && *at != h)
        at = &(*at)->next;
    if (*at != NULL)
        *at = h->next;
}

/* httpd_free - stop listening, close connections (each uncounted), free */
void httpd_free(struct httpd *h)
{
    if (h == NULL)
        return;
    httpd_watch_unwatched(h);
    h->closing = 1;
    if (h->http)
        evhttp_free(h->http);
    if (h->watch)
        event_free(h->watch);
    if (h->retry)
        event_free(h->retry);
    httpd_forget(h);
    free(h);
}

/* httpd_set_max_connections - pause accepting at max open connections */
void httpd_set_max_connections(struct httpd *h, int max)
{
    h->max_connections = max > 0 ? max : 1;
    httpd_accepting_update(h);
}

/* httpd_connections - how many connections are open */
int httpd_connections(const struct httpd *h)
{
    return h->connections;
}

/* httpd_port - the port the server listens on */
int httpd_port(const struct httpd *h)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    evutil_socket_t fd = evhttp_bound_socket_get_fd(h->socket);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* httpd_metrics_cb - the process's metrics in the text format 0.0.4 */
void httpd_metrics_cb(struct evhttp_request *req, const char *path, void *arg)
{
    struct buf out;

    (void)path;
    (void)arg;
    buf_init(&out, METRICS_RENDER_MAX);
    if (metrics_render(&out) != 0) {
        log_error("metrics: the scrape is larger than %u bytes", METRICS_RENDER_MAX);
        httpd_reply_error(req, 500, "metrics too large");
    } else {
        httpd_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data ? out.data : "",
                    out.len);
    }
    buf_free(&out);
}

/* httpd_healthz_cb - alive: 200 "ok" */
static void httpd_healthz_cb(struct evhttp_request *req, const char *path, void *arg)
{
    (void)path;
    (void)arg;
    httpd_reply(req, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

/* httpd_metrics_serve - /metrics and /healthz on addr; NULL when none asked */
struct httpd *httpd_metrics_serve(struct event_base *base, const char *addr,
                                  httpd_handler_fn healthz, void *arg)
{
    const struct httpd_route routes[] = {
        {"/metrics", httpd_metrics_cb, 0, HTTPD_GET},
        {"/healthz", healthz ? healthz : httpd_healthz_cb, 0, HTTPD_GET},
    };
    struct httpd *h;
    char err[256];

    if (addr == NULL || *addr == '\0')
        return NULL;
    if ((h = httpd_create(base, addr, routes, 2, arg, err, sizeof(err))) == NULL)
        log_fatal("metrics: %s", err);
    log_info("metrics: serving /metrics and /healthz on %s (port %d)", addr, httpd_port(h));
    return h;
}
