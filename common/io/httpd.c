/*
 * httpd - a small read-only HTTP server on evhttp with hard limits and a
 *         route table (see httpd.h).
 */
#include "io/httpd.h"

#include "base/log.h"
#include "base/metrics.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define HTTPD_ROUTES_MAX 16

struct httpd {
    struct evhttp *http;
    struct evhttp_bound_socket *socket;
    struct httpd_route routes[HTTPD_ROUTES_MAX];
    size_t route_count;
    void *arg;
};

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

/* httpd_request_cb - method check, path decoding, then the route */
static void httpd_request_cb(struct evhttp_request *req, void *arg)
{
    struct httpd *h = arg;
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
    size_t path_len = 0;
    char *path = raw ? evhttp_uridecode(raw, 0, &path_len) : NULL;
    const struct httpd_route *route;

    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        httpd_reply_error(req, 405, "only GET and HEAD");
    } else if (path == NULL || *path != '/' || strlen(path) != path_len) {
        httpd_reply_error(req, 400, "bad path"); /* none, relative, or with a NUL byte */
    } else if ((route = httpd_route_find(h, path)) == NULL) {
        httpd_reply_error(req, 404, "no such path");
    } else {
        route->handle(req, path, h->arg);
    }
    free(path);
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
    return 0;
}

/* httpd_create - a server on addr with routes */
struct httpd *httpd_create(struct event_base *base, const char *addr,
                           const struct httpd_route *routes, size_t route_count, void *arg,
                           char *err, size_t err_len)
{
    struct httpd *h = calloc(1, sizeof(*h));

    if (h == NULL || route_count > HTTPD_ROUTES_MAX || (h->http = evhttp_new(base)) == NULL) {
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

/* httpd_free - stop listening, close connections, free */
void httpd_free(struct httpd *h)
{
    if (h == NULL)
        return;
    if (h->http)
        evhttp_free(h->http);
    free(h);
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
        {"/metrics", httpd_metrics_cb, 0},
        {"/healthz", healthz ? healthz : httpd_healthz_cb, 0},
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
