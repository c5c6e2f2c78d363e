/*
 * test_httpd - the hardened evhttp server (io/httpd.c) with a real client:
 *	the metrics route, unknown paths, methods other than GET and HEAD,
 *	a POST route and its own body cap, over-size headers and bodies, the
 *	cap on open connections, running out of descriptors (RLIMIT_NOFILE
 *	lowered) without spinning, and that the server serves on after each
 *	of them.
 *
 * DESCRIPTION
 *	The server listens on 127.0.0.1:0 in the test process. Each request
 *	is made by libcurl in a forked child, which writes what it got (the
 *	status, Content-Type, Allow, then the body) to a pipe; the test runs
 *	the server's event loop until that pipe reaches end of file, with a
 *	deadline instead of a guessed pause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/metrics.h"
#include "io/httpd.h"

#include <curl/curl.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPLY_DEADLINE_S 10
#define DESCRIPTORS_LIMIT 64      /* RLIMIT_NOFILE while descriptors run out */
#define EXHAUSTED_WINDOW_MS 1000  /* how long the server is watched meanwhile */
#define CAP 4                     /* connections a test server takes */
#define CAP_EXTRA 3               /* idle ones over it, before a request */
#define CAP_WAIT_MS 500           /* how long the request is seen waiting */
#define POST_MAX_BODY    (4 * HTTPD_MAX_BODY) /* the POST route's cap */

struct server {
    struct event_base *base;
    struct httpd *httpd;
    int port;
};

/* A request the child makes. */
struct request {
    const char *method;
    const char *path;
    const char *header; /* one extra "Name: value", or NULL */
    size_t body_len;    /* a body of that many 'b' bytes, or 0 */
};

/* What came back: the child's report, parsed. */
struct reply {
    long code; /* 0: the transfer failed */
    char content_type[128];
    char allow[64];
    char *body;
};

/* hello_cb - a route with a body of its own */
static void hello_cb(struct evhttp_request *req, const char *path, void *arg)
{
    (void)arg;
    httpd_reply(req, 200, "text/plain", path, strlen(path));
}

/* echo_cb - a POST route: answers the length of the body it got */
static void echo_cb(struct evhttp_request *req, const char *path, void *arg)
{
    char text[32];

    (void)path;
    (void)arg;
    snprintf(text, sizeof(text), "%zu", evbuffer_get_length(evhttp_request_get_input_buffer(req)));
    httpd_reply(req, 200, "text/plain", text, strlen(text));
}

/* server_up - a server on a port the kernel picks, and a family to scrape */
static int server_up(void **state)
{
    static const struct httpd_route routes[] = {
        {"/metrics", httpd_metrics_cb, 0, HTTPD_GET},
        {"/hello/", hello_cb, 1, HTTPD_GET},
        {"/echo", echo_cb, 0, HTTPD_POST},
    };
    static struct server s;
    char err[256] = "";

    metrics_reset();
    metrics_add(metrics_counter("cutover_test_requests_total", "Test counter.", NULL, 0), 7, NULL);
    s.base = event_base_new();
    assert_non_null(s.base);
    s.httpd = httpd_create(s.base, "127.0.0.1:0", routes, 3, NULL, err, sizeof(err));
    assert_non_null(s.httpd);
    httpd_set_max_body(s.httpd, POST_MAX_BODY);
    s.port = httpd_port(s.httpd);
    assert_true(s.port > 0);
    *state = &s;
    return 0;
}

/* server_down - free the server and the registry */
static int server_down(void **state)
{
    struct server *s = *state;

    httpd_free(s->httpd);
    event_base_free(s->base);
    metrics_reset();
    return 0;
}

/* child_header - curl's last value of a response header, or "" */
static const char *child_header(CURL *curl, const char *name)
{
    struct curl_header *h;

    if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return "";
    return h->value;
}

/* child_body_cb - the response body straight to the pipe */
static size_t child_body_cb(char *data, size_t size, size_t n, void *arg)
{
    int fd = *(int *)arg;

    return write(fd, data, size * n) == (ssize_t)(size * n) ? size * n : 0;
}

/* child_request - in the child: make the request; write the body, a NUL
 * and "code\ncontent-type\nallow\n" to fd; exit */
static void child_request(int port, const struct request *rq, int fd)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = rq->header ? curl_slist_append(NULL, rq->header) : NULL;
    char url[256], trailer[256], *body = NULL;
    long code = 0;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, rq->path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, rq->method);
    curl_easy_setopt(curl, CURLOPT_NOBODY, (long)(strcmp(rq->method, "HEAD") == 0));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)REPLY_DEADLINE_S);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, child_body_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &fd);
    if (rq->body_len && (body = malloc(rq->body_len)) != NULL) {
        memset(body, 'b', rq->body_len);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
    }
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    snprintf(trailer + 1, sizeof(trailer) - 1, "%ld\n%s\n%s\n", code,
             child_header(curl, "Content-Type"), child_header(curl, "Allow"));
    trailer[0] = '\0';
    if (write(fd, trailer, strlen(trailer + 1) + 1) < 0)
        _exit(1);
    _exit(0);
}

struct collect {
    struct event_base *base;
    struct buf got;
    int done;
};

/* collect_cb - the child's report arrives; at end of file, stop the loop */
static void collect_cb(evutil_socket_t fd, short what, void *arg)
{
    struct collect *c = arg;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));

    (void)what;
    if (n > 0) {
        assert_int_equal(buf_append(&c->got, chunk, (size_t)n), 0);
        return;
    }
    c->done = 1;
    event_base_loopbreak(c->base);
}

/* deadline_cb - no report in time: stop the loop (the test then fails) */
static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* reply_parse - the child's report: body, NUL, "code\ncontent-type\nallow\n" */
static void reply_parse(struct buf *got, struct reply *r)
{
    char *tail = got->data ? memrchr(got->data, '\0', got->len) : NULL;

    assert_non_null(tail);
    assert_true(sscanf(tail + 1, "%ld\n%127[^\n]\n%63[^\n]", &r->code, r->content_type, r->allow)
                >= 1);
    got->len = (size_t)(tail - got->data);
    r->body = buf_steal(got);
}

/* A request under way: the child making it and what it reported so far. */
struct pending {
    pid_t pid;
    int fd;
    struct collect c;
    struct event *ev_read;
};

/* fetch_start - fork a child that makes the request; its report is read
 * while the server's loop runs */
static void fetch_start(struct server *s, const struct request *rq, struct pending *p)
{
    int fds[2];

    memset(p, 0, sizeof(*p));
    p->c.base = s->base;
    buf_init(&p->c.got, 1u << 22);
    assert_int_equal(pipe(fds), 0);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        close(fds[0]);
        child_request(s->port, rq, fds[1]);
    }
    close(fds[1]);
    p->fd = fds[0];
    p->ev_read = event_new(s->base, p->fd, EV_READ | EV_PERSIST, collect_cb, &p->c);
    event_add(p->ev_read, NULL);
}

/* fetch_finish - run the server's loop until the child's report is whole */
static void fetch_finish(struct server *s, struct pending *p, struct reply *r)
{
    struct timeval deadline = {REPLY_DEADLINE_S + 5, 0};
    struct event *ev_deadline = evtimer_new(s->base, deadline_cb, s->base);
    int status;

    memset(r, 0, sizeof(*r));
    evtimer_add(ev_deadline, &deadline);
    while (!p->c.done && evtimer_pending(ev_deadline, NULL))
        event_base_dispatch(s->base);
    event_free(ev_deadline);
    event_free(p->ev_read);
    close(p->fd);
    waitpid(p->pid, &status, 0);
    assert_true(p->c.done); /* else the deadline passed */
    reply_parse(&p->c.got, r);
    buf_free(&p->c.got);
}

/* fetch - make one request with a real client while the server's loop runs */
static void fetch(struct server *s, const struct request *rq, struct reply *r)
{
    struct pending p;

    fetch_start(s, rq, &p);
    fetch_finish(s, &p, r);
}

/* fetch_get - GET path; the reply's status */
static long fetch_get(struct server *s, const char *path, struct reply *r)
{
    const struct request rq = {"GET", path, NULL, 0};

    fetch(s, &rq, r);
    return r->code;
}

/* fetch_status - make one request; its status only */
static long fetch_status(struct server *s, const struct request *rq)
{
    struct reply r;

    fetch(s, rq, &r);
    free(r.body);
    return r.code;
}

/* assert_reply - one request answers code with body */
static void assert_reply(struct server *s, const struct request *rq, long code, const char *body)
{
    struct reply r;

    fetch(s, rq, &r);
    assert_int_equal(r.code, code);
    assert_string_equal(r.body, body);
    free(r.body);
}

/* assert_serves - the server still answers /metrics */
static void assert_serves(struct server *s)
{
    struct reply r;

    assert_int_equal(fetch_get(s, "/metrics", &r), 200);
    assert_non_null(strstr(r.body, "cutover_test_requests_total 7\n"));
    free(r.body);
}

/* scraped - the value of one sample of the server's /metrics, -1 when absent */
static double scraped(struct server *s, const char *sample)
{
    struct reply r;
    const char *line;
    double value = -1;

    assert_int_equal(fetch_get(s, "/metrics", &r), 200);
    if ((line = strstr(r.body, sample)) != NULL)
        sscanf(line + strlen(sample), " %lf", &value);
    free(r.body);
    return value;
}

/* test_metrics_route - 200, the exposition format's content type, the
 * registry (with the scrape's own connection counted) */
static void test_metrics_route(void **state)
{
    struct server *s = *state;
    struct reply r;

    assert_int_equal(fetch_get(s, "/metrics", &r), 200);
    assert_string_equal(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(strstr(r.body, "# HELP cutover_test_requests_total Test counter.\n"
                                   "# TYPE cutover_test_requests_total counter\n"
                                   "cutover_test_requests_total 7\n"));
    assert_non_null(strstr(r.body, "# TYPE cutover_http_connections gauge\n"
                                   "cutover_http_connections 1\n"));
    assert_non_null(strstr(r.body, "# TYPE cutover_http_accept_pauses_total counter\n"));
    free(r.body);
}

/* test_head - HEAD reaches the route and gets no body */
static void test_head(void **state)
{
    assert_reply(*state, &(struct request){"HEAD", "/metrics", NULL, 0}, 200, "");
}

/* test_prefix_route - a prefix route gets the decoded path */
static void test_prefix_route(void **state)
{
    assert_reply(*state, &(struct request){"GET", "/hello/w%6Frld", NULL, 0}, 200,
                 "/hello/world");
}

/* test_unknown_path - 404 with a JSON error; a NUL in the path is a 400 */
static void test_unknown_path(void **state)
{
    struct server *s = *state;
    struct reply r;

    assert_int_equal(fetch_get(s, "/nope", &r), 404);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body, "{\"error\":\"no such path\"}");
    free(r.body);
    assert_int_equal(fetch_status(s, &(struct request){"GET", "/metrics%00x", NULL, 0}), 400);
    assert_serves(s);
}

/* test_post - 405 with Allow, for a known path too */
static void test_post(void **state)
{
    const struct request rq = {"POST", "/metrics", NULL, 10};
    const struct request del = {"DELETE", "/nope", NULL, 0};
    struct server *s = *state;
    struct reply r;

    fetch(s, &rq, &r);
    assert_int_equal(r.code, 405);
    assert_string_equal(r.allow, "GET, HEAD");
    free(r.body);
    assert_int_equal(fetch_status(s, &del), 405);
    assert_serves(s);
}

/* test_post_route - a POST route takes bodies up to its cap (past
 * HTTPD_MAX_BODY), refuses GET with Allow: POST, and a larger body 413 */
static void test_post_route(void **state)
{
    const struct request post = {"POST", "/echo", NULL, 2 * HTTPD_MAX_BODY};
    const struct request get = {"GET", "/echo", NULL, 0};
    const struct request huge = {"POST", "/echo", "Expect: 100-continue", POST_MAX_BODY + 1};
    struct server *s = *state;
    struct reply r;
    char expected[32];

    fetch(s, &post, &r);
    assert_int_equal(r.code, 200);
    snprintf(expected, sizeof(expected), "%d", 2 * HTTPD_MAX_BODY);
    assert_string_equal(r.body, expected);
    free(r.body);
    fetch(s, &get, &r);
    assert_int_equal(r.code, 405);
    assert_string_equal(r.allow, "POST");
    free(r.body);
    assert_int_equal(fetch_status(s, &huge), 413);
    assert_serves(s);
}

/* test_get_body_cap - a GET route keeps HTTPD_MAX_BODY while the server
 * takes larger POST bodies: 413 with a JSON error */
static void test_get_body_cap(void **state)
{
    const struct request get = {"GET", "/metrics", NULL, 2 * HTTPD_MAX_BODY};
    struct server *s = *state;
    struct reply r;

    fetch(s, &get, &r);
    assert_int_equal(r.code, 413);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body, "{\"error\":\"body too large\"}");
    free(r.body);
    assert_serves(s);
}

/* test_oversize_header - headers past HTTPD_MAX_HEADERS: 413 or 400, then on */
static void test_oversize_header(void **state)
{
    struct server *s = *state;
    char header[HTTPD_MAX_HEADERS + 64];
    const struct request rq = {"GET", "/metrics", header, 0};
    struct reply r;

    snprintf(header, sizeof(header), "X-Big: %0*d", HTTPD_MAX_HEADERS, 0);
    fetch(s, &rq, &r);
    assert_true(r.code == 413 || r.code == 400);
    assert_null(strstr(r.body, "cutover_test_requests_total"));
    free(r.body);
    assert_serves(s);
}

/* test_oversize_body - a body past HTTPD_MAX_BODY is refused with 413
 * before it is sent (Expect: 100-continue), whatever the method */
static void test_oversize_body(void **state)
{
    const struct request get = {"GET", "/metrics", "Expect: 100-continue", HTTPD_MAX_BODY + 1};
    const struct request post = {"POST", "/metrics", "Expect: 100-continue", 1u << 20};
    struct server *s = *state;

    assert_int_equal(fetch_status(s, &get), 413);
    assert_int_equal(fetch_status(s, &post), 413);
    assert_serves(s);
}

/* run_loop_ms - run the server's loop for ms milliseconds (less if a
 * request under way ends) */
static void run_loop_ms(struct server *s, long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    event_base_loopexit(s->base, &tv);
    event_base_dispatch(s->base);
}

/* connect_idle - a connection to the server that sends nothing */
static int connect_idle(struct server *s)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return fd;
}

/* connections_open - n idle connections into fds */
static void connections_open(struct server *s, int *fds, int n)
{
    for (int i = 0; i < n; i++)
        fds[i] = connect_idle(s);
}

/* connections_close - close n connections of fds */
static void connections_close(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

/* wait_connections - run the loop until the server counts n open connections */
static void wait_connections(struct server *s, int n)
{
    for (int waited = 0; httpd_connections(s->httpd) != n && waited < 5000; waited += 20)
        run_loop_ms(s, 20);
    assert_int_equal(httpd_connections(s->httpd), n);
}

/* test_connection_cap - at the cap, further connections (a request among
 * them) wait unserved; closing the held ones lets them in, served */
static void test_connection_cap(void **state)
{
    struct server *s = *state;
    int held[CAP], extra[CAP_EXTRA];
    struct pending p;
    struct reply r;

    httpd_set_max_connections(s->httpd, CAP);
    wait_connections(s, 0);
    connections_open(s, held, CAP);
    wait_connections(s, CAP);
    connections_open(s, extra, CAP_EXTRA);
    fetch_start(s, &(struct request){"GET", "/hello/capped", NULL, 0}, &p);
    run_loop_ms(s, CAP_WAIT_MS);
    assert_false(p.c.done);
    assert_int_equal(p.c.got.len, 0);
    assert_int_equal(httpd_connections(s->httpd), CAP);
    connections_close(held, CAP);
    fetch_finish(s, &p, &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "/hello/capped");
    free(r.body);
    connections_close(extra, CAP_EXTRA);
    wait_connections(s, 0);
    httpd_set_max_connections(s->httpd, HTTPD_MAX_CONNECTIONS);
    assert_true(scraped(s, "cutover_http_accept_pauses_total{reason=\"max_connections\"}") >= 1);
    assert_serves(s);
}

/* cpu_seconds - user and system time this process has used */
static double cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* descriptors_take - lower RLIMIT_NOFILE to DESCRIPTORS_LIMIT and take
 * every descriptor left below it (dups of fd 0 into held); how many */
static int descriptors_take(int *held, struct rlimit *saved)
{
    struct rlimit low;
    int n = 0, fd;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, saved), 0);
    low = *saved;
    low.rlim_cur = DESCRIPTORS_LIMIT;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    while (n < DESCRIPTORS_LIMIT && (fd = dup(0)) >= 0)
        held[n++] = fd;
    assert_int_equal(errno, EMFILE);
    return n;
}

/* descriptors_give_back - close what descriptors_take held, restore the limit */
static void descriptors_give_back(const int *held, int n, const struct rlimit *saved)
{
    for (int i = 0; i < n; i++)
        close(held[i]);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, saved), 0);
}

/* test_descriptors_exhausted - out of descriptors, accept() fails on a
 * waiting connection: the server pauses instead of spinning, and serves
 * again once descriptors are back */
static void test_descriptors_exhausted(void **state)
{
    struct server *s = *state;
    int held[DESCRIPTORS_LIMIT], n, waiting = connect_idle(s);
    struct rlimit saved;
    double cpu;

    n = descriptors_take(held, &saved);
    cpu = cpu_seconds();
    run_loop_ms(s, EXHAUSTED_WINDOW_MS);
    cpu = cpu_seconds() - cpu;
    descriptors_give_back(held, n, &saved);
    close(waiting);
    print_message("CPU while out of descriptors: %.3f s in %d ms\n", cpu, EXHAUSTED_WINDOW_MS);
    assert_true(cpu < EXHAUSTED_WINDOW_MS / 1000.0 / 4); /* a spinning loop takes it all */
    assert_true(scraped(s, "cutover_http_accept_pauses_total{reason=\"accept_error\"}") >= 1);
    assert_serves(s);
}

/* test_bad_address - a listen address without a port, or a port in use, is refused */
static void test_bad_address(void **state)
{
    static const struct httpd_route routes[] = {{"/metrics", httpd_metrics_cb, 0, HTTPD_GET}};
    struct server *s = *state;
    char addr[64], err[256] = "";

    assert_null(httpd_create(s->base, "127.0.0.1", routes, 1, NULL, err, sizeof(err)));
    assert_string_equal(err, "bad listen address \"127.0.0.1\" (want host:port)");
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", s->port);
    assert_null(httpd_create(s->base, addr, routes, 1, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot listen on"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_route),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_prefix_route),
        cmocka_unit_test(test_unknown_path),
        cmocka_unit_test(test_post),
        cmocka_unit_test(test_post_route),
        cmocka_unit_test(test_get_body_cap),
        cmocka_unit_test(test_oversize_header),
        cmocka_unit_test(test_oversize_body),
        cmocka_unit_test(test_connection_cap),
        cmocka_unit_test(test_descriptors_exhausted),
        cmocka_unit_test(test_bad_address),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, server_up, server_down);
}
