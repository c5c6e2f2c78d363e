/*
 * cutover-demo-app - the application the local provider deploys in demos
 *                    and tests.
 *
 * SYNOPSIS
 *	cutover-demo-app --port P --version V --color C [--broken] [--error-rate PCT]
 *	                 [--pid-file PATH]
 *
 * DESCRIPTION
 *	A small HTTP server on 127.0.0.1:P (libevent's evhttp).
 *	GET / answers 200 "version V color C\n", so a client sees which
 *	release and which color served it. GET /health answers 200 "ok", or
 *	503 "broken" with --broken (a release that must fail its checks).
 *	--error-rate PCT makes GET / answer 500 to PCT of every 100 requests
 *	(spread evenly) while /health stays 200: a bad release that passes
 *	its checks, for monitoring (alarms, analysis gates) to catch.
 *	GET /metrics serves the requests to / in the Prometheus text format:
 *	demo_http_requests_total{code,version,color}. Anything else is 404. SIGTERM or SIGINT stop it gracefully: it stops
 *	accepting, lets requests in flight finish, and exits 0.
 *
 *	--pid-file PATH: once it listens, it writes its pid to PATH (a rename,
 *	so a reader never sees half a file). The process that holds the port
 *	is therefore always the one the file names: a start whose hook was
 *	killed right after it launched the application still leaves the file,
 *	and a second start that finds the port taken exits without touching
 *	it.
 */
#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct app {
    int port;
    const char *version;
    const char *color;
    int broken;
    int error_rate;     /* percent of GET / answered 500 */
    const char *pid_file; /* written once listening; NULL: none */
    unsigned long served; /* GET / so far: picks which ones fail */
    unsigned long ok_count, error_count;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *listener;
};

/* app_usage - the command line, on stderr */
static void app_usage(void)
{
    fprintf(stderr, "usage: cutover-demo-app --port P --version V --color C [--broken]"
                    " [--error-rate PCT] [--pid-file PATH]\n");
}

/* app_parse_args - the command line into app; -1 on a bad one */
static int app_parse_args(int argc, char **argv, struct app *app)
{
    for (int i = 1; i < argc; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--broken") == 0)
            app->broken = 1;
        else if (strcmp(argv[i], "--port") == 0 && next)
            app->port = atoi(argv[++i]);
        else if (strcmp(argv[i], "--version") == 0 && next)
            app->version = argv[++i];
        else if (strcmp(argv[i], "--color") == 0 && next)
            app->color = argv[++i];
        else if (strcmp(argv[i], "--error-rate") == 0 && next)
            app->error_rate = atoi(argv[++i]);
        else if (strcmp(argv[i], "--pid-file") == 0 && next)
            app->pid_file = argv[++i];
        else
            return -1;
    }
    if (app->port < 1 || app->port > 65535 || app->version == NULL || app->color == NULL ||
        app->error_rate < 0 || app->error_rate > 100)
        return -1;
    return 0;
}

/* app_reply - send status and a text body */
static void app_reply(struct evhttp_request *req, int status, const char *reason,
                      const char *body)
{
    struct evbuffer *buf = evbuffer_new();

    if (buf == NULL) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
    evbuffer_add_printf(buf, "%s", body);
    evhttp_send_reply(req, status, reason, buf);
    evbuffer_free(buf);
}

/* app_metrics - the request counters in the Prometheus text format */
static void app_metrics(struct evhttp_request *req, const struct app *app)
{
    char body[1024];

    snprintf(body, sizeof(body),
             "# HELP demo_http_requests_total Requests to / by status code.\n"
             "# TYPE demo_http_requests_total counter\n"
             "demo_http_requests_total{code=\"200\",version=\"%s\",color=\"%s\"} %lu\n"
             "demo_http_requests_total{code=\"500\",version=\"%s\",color=\"%s\"} %lu\n",
             app->version, app->color, app->ok_count, app->version, app->color,
             app->error_count);
    app_reply(req, 200, "OK", body);
}

/* app_root - GET /: the version and color, or a 500 as often as --error-rate asks */
static void app_root(struct evhttp_request *req, struct app *app)
{
    char body[256];

    /* request n fails when the integer part of n * rate / 100 moves: rate in every 100 */
    if ((app->served + 1) * (unsigned long)app->error_rate / 100 >
        app->served * (unsigned long)app->error_rate / 100) {
        app->served++;
        app->error_count++;
        app_reply(req, 500, "Internal Server Error", "injected error\n");
        return;
    }
    app->served++;
    app->ok_count++;
    snprintf(body, sizeof(body), "version %s color %s\n", app->version, app->color);
    app_reply(req, 200, "OK", body);
}

/* app_request_cb - GET /, /health and /metrics */
static void app_request_cb(struct evhttp_request *req, void *arg)
{
    struct app *app = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (path == NULL || (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
                         evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)) {
        app_reply(req, 405, "Method Not Allowed", "method not allowed\n");
    } else if (strcmp(path, "/health") == 0) {
        if (app->broken)
            app_reply(req, 503, "Service Unavailable", "broken");
        else
            app_reply(req, 200, "OK", "ok");
    } else if (strcmp(path, "/") == 0) {
        app_root(req, app);
    } else if (strcmp(path, "/metrics") == 0) {
        app_metrics(req, app);
    } else {
        app_reply(req, 404, "Not Found", "not found\n");
    }
}

/* app_signal_cb - stop gracefully: no new connections, in-flight requests finish */
static void app_signal_cb(evutil_socket_t sig, short events, void *arg)
{
    struct app *app = arg;
    struct timeval grace = { 0, 200000 };

    (void)events;
    fprintf(stderr, "cutover-demo-app: signal %d, stopping\n", (int)sig);
    if (app->listener != NULL) {
        evhttp_del_accept_socket(app->http, app->listener);
        app->listener = NULL;
    }
    event_base_loopexit(app->base, &grace);
}

/* app_write_pid - this process's pid into path, through a rename; 0 or -1 */
static int app_write_pid(const char *path)
{
    char tmp[4096];
    FILE *f;
    int ok;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= sizeof(tmp) ||
        (f = fopen(tmp, "w")) == NULL)
        return -1;
    ok = fprintf(f, "%ld\n", (long)getpid()) > 0;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return 0;
    unlink(tmp);
    return -1;
}

/* app_run - serve until a signal; 0 on a clean stop */
static int app_run(struct app *app)
{
    struct event *sigterm = NULL, *sigint = NULL;
    int rc = 1;

    if ((app->base = event_base_new()) == NULL || (app->http = evhttp_new(app->base)) == NULL)
        goto out;
    evhttp_set_gencb(app->http, app_request_cb, app);
    evhttp_set_timeout(app->http, 30);
    app->listener = evhttp_bind_socket_with_handle(app->http, "127.0.0.1", (ev_uint16_t)app->port);
    if (app->listener == NULL) {
        fprintf(stderr, "cutover-demo-app: cannot listen on 127.0.0.1:%d\n", app->port);
        goto out;
    }
    sigterm = evsignal_new(app->base, SIGTERM, app_signal_cb, app);
    sigint = evsignal_new(app->base, SIGINT, app_signal_cb, app);
    if (sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) != 0 ||
        evsignal_add(sigint, NULL) != 0)
        goto out;
    if (app->pid_file && app_write_pid(app->pid_file) != 0) {
        fprintf(stderr, "cutover-demo-app: cannot write %s\n", app->pid_file);
        goto out;
    }
    fprintf(stderr, "cutover-demo-app: version %s color %s on 127.0.0.1:%d%s, error rate %d %%\n",
            app->version, app->color, app->port, app->broken ? " (broken)" : "", app->error_rate);
    rc = event_base_dispatch(app->base) < 0 ? 1 : 0;
out:
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    if (app->http)
        evhttp_free(app->http);
    if (app->base)
        event_base_free(app->base);
    return rc;
}

int main(int argc, char **argv)
{
    struct app app = { 0 };

    if (app_parse_args(argc, argv, &app) != 0) {
        app_usage();
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    return app_run(&app);
}
