/*
 * cutover-loadgen - a small HTTP load generator for demos and tests: does a
 *                   deployment lose requests?
 *
 * SYNOPSIS
 *	cutover-loadgen --url URL --rate N (--duration S | --until-file F)
 *	                [--connections C] [--timeout-ms T] [--max-duration S]
 *	                [--report FILE] [--latency-log FILE]
 *
 * DESCRIPTION
 *	Sends GET URL at a steady rate of N requests per second, spread over C
 *	keep-alive connections (libevent's evhttp client, default 4). Each
 *	response is counted as ok (2xx) or failed (any other status, a
 *	connection error, or no answer within T ms, default 2000); the first
 *	line of each ok body is counted too (the demo application answers
 *	"version V color C", so the counts show which release served how
 *	much). It stops sending after S seconds, or as soon as file F exists
 *	(checked every tick), and in any case after --max-duration seconds
 *	(default 900) or on SIGINT/SIGTERM; then it waits for the requests in
 *	flight (at most T ms) and prints a summary. --report writes the same
 *	summary as JSON: {"url", "rate", "elapsed_s", "sent", "ok", "failed",
 *	"errors": {"timeout", "connection", "status"}, "statuses": {"503": n},
 *	"responses": {"version 1 color blue": n, ...}, "latency_ms": {"p50", "p99",
 *	"max"}} (latency: from sending a request to its end, answered or not).
 *	--latency-log writes one line per finished request: the wall clock
 *	when it was sent (milliseconds since the epoch), its latency in
 *	microseconds and its status (0: no answer), so that a caller can cut
 *	the run into time windows of its own.
 *
 *	Exit status: 0 when every request succeeded, 1 when any failed, 2 for
 *	bad usage or a setup failure.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LG_MAX_CONNS     64
#define LG_MAX_LINES     32   /* distinct body first lines counted; the rest is "other" */
#define LG_MAX_STATUSES  16
#define LG_LINE_LEN      128
#define LG_TICK_MS       10
#define LG_FINE_US       10       /* histogram: 10 us buckets below LG_FINE_MAX_US */
#define LG_FINE_MAX_US   100000
#define LG_COARSE_US     1000     /* then 1 ms buckets up to LG_COARSE_MAX_US */
#define LG_COARSE_MAX_US 60000000
#define LG_BUCKETS       (LG_FINE_MAX_US / LG_FINE_US + LG_COARSE_MAX_US / LG_COARSE_US + 1)

struct lg_options {
    const char *url;
    long rate;          /* requests per second */
    long duration_s;    /* 0: until the file appears */
    const char *until_file;
    long max_duration_s;
    long connections;
    long timeout_ms;
    const char *report;
    const char *latency_log;
};

struct lg_count {
    char key[LG_LINE_LEN];
    long n;
};

struct lg_stats {
    long sent, ok, failed, in_flight;
    long timeouts, conn_errors, bad_status;
    struct lg_count lines[LG_MAX_LINES + 1]; /* the last one is "other" */
    int line_count;
    struct lg_count statuses[LG_MAX_STATUSES + 1];
    int status_count;
    long latency[LG_BUCKETS]; /* requests finished, by latency bucket */
    long latency_max_us;
};

/* One request in flight: when it was sent. */
struct lg_req {
    struct lg *lg;
    double sent_mono; /* monotonic seconds */
    double sent_wall; /* seconds since the epoch */
};

struct lg {
    struct lg_options opt;
    struct event_base *base;
    struct evhttp_uri *uri;
    char host_header[300];
    char path[1024];
    struct evhttp_connection *conns[LG_MAX_CONNS];
    long next_conn;
    struct event *tick, *sigint, *sigterm;
    double started, stopped; /* seconds on the monotonic clock; stopped 0 while sending */
    struct lg_stats stats;
    FILE *latency_log;
};

/* lg_now - monotonic seconds */
static double lg_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* lg_wall - seconds since the epoch */
static double lg_wall(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* lg_usage - the command line, on stderr; returns 2 */
static int lg_usage(const char *why)
{
    if (why)
        fprintf(stderr, "cutover-loadgen: %s\n", why);
    fprintf(stderr, "usage: cutover-loadgen --url URL --rate N (--duration S | --until-file F)\n"
                    "       [--connections C] [--timeout-ms T] [--max-duration S] [--report FILE]\n"
                    "       [--latency-log FILE]\n");
    return 2;
}

/* lg_long - a whole number within [lo, hi]; 0 or -1 */
static int lg_long(const char *s, long lo, long hi, long *out)
{
    char *end;

    *out = strtol(s, &end, 10);
    return *s && *end == '\0' && *out >= lo && *out <= hi ? 0 : -1;
}

/* lg_parse_args - the command line into o; 0 or 2 (reported) */
static int lg_parse_args(int argc, char **argv, struct lg_options *o)
{
    *o = (struct lg_options){.connections = 4, .timeout_ms = 2000, .max_duration_s = 900};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;

        if (strcmp(a, "--help") == 0 || v == NULL)
            return lg_usage(strcmp(a, "--help") == 0 ? NULL : "an option lacks its value");
        if (strcmp(a, "--url") == 0)
            o->url = v;
        else if (strcmp(a, "--until-file") == 0)
            o->until_file = v;
        else if (strcmp(a, "--report") == 0)
            o->report = v;
        else if (strcmp(a, "--latency-log") == 0)
            o->latency_log = v;
        else if (strcmp(a, "--rate") == 0)
            bad = lg_long(v, 1, 10000, &o->rate);
        else if (strcmp(a, "--duration") == 0)
            bad = lg_long(v, 1, 86400, &o->duration_s);
        else if (strcmp(a, "--max-duration") == 0)
            bad = lg_long(v, 1, 86400, &o->max_duration_s);
        else if (strcmp(a, "--connections") == 0)
            bad = lg_long(v, 1, LG_MAX_CONNS, &o->connections);
        else if (strcmp(a, "--timeout-ms") == 0)
            bad = lg_long(v, 1, 600000, &o->timeout_ms);
        else
            return lg_usage("unknown option");
        if (bad)
            return lg_usage("a number is out of range");
        i++;
    }
    if (o->url == NULL || o->rate == 0 || (o->duration_s == 0) == (o->until_file == NULL))
        return lg_usage("--url, --rate and one of --duration or --until-file are required");
    return 0;
}

/* lg_count_key - add one to the counter named key (the last slot takes the overflow) */
static void lg_count_key(struct lg_count *table, int *count, int max, const char *key)
{
    int i;

    for (i = 0; i < *count; i++)
        if (strcmp(table[i].key, key) == 0)
            break;
    if (i == *count && *count < max)
        snprintf(table[(*count)++].key, LG_LINE_LEN, "%s", key);
    else if (i == *count) {
        i = max;
        snprintf(table[i].key, LG_LINE_LEN, "other");
    }
    table[i].n++;
}

/* lg_first_line - the first line of the body (at most LG_LINE_LEN - 1 bytes) */
static void lg_first_line(struct evhttp_request *req, char *out)
{
    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_copyout(body, out, LG_LINE_LEN - 1);

    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
}

/* lg_bucket - the histogram bucket of a latency */
static long lg_bucket(long us)
{
    if (us < LG_FINE_MAX_US)
        return us / LG_FINE_US;
    if (us >= LG_COARSE_MAX_US)
        return LG_BUCKETS - 1;
    return LG_FINE_MAX_US / LG_FINE_US + (us - LG_FINE_MAX_US) / LG_COARSE_US;
}

/* lg_bucket_ms - the upper bound of a bucket, in milliseconds */
static double lg_bucket_ms(long b)
{
    long fine = LG_FINE_MAX_US / LG_FINE_US;

    if (b < fine)
        return (double)((b + 1) * LG_FINE_US) / 1000.0;
    return (double)(LG_FINE_MAX_US + (b - fine + 1) * LG_COARSE_US) / 1000.0;
}

/* lg_latency - count one finished request's latency; log it with --latency-log */
static void lg_latency(struct lg_req *r, int code)
{
    struct lg_stats *s = &r->lg->stats;
    long us = (long)((lg_now() - r->sent_mono) * 1e6);

    s->latency[lg_bucket(us)]++;
    if (us > s->latency_max_us)
        s->latency_max_us = us;
    if (r->lg->latency_log)
        fprintf(r->lg->latency_log, "%.0f %ld %d\n", r->sent_wall * 1000.0, us, code);
}

/* lg_response_cb - one request ended: a response, or NULL/0 for a failure */
static void lg_response_cb(struct evhttp_request *req, void *arg)
{
    struct lg_req *r = arg;
    struct lg *lg = r->lg;
    struct lg_stats *s = &lg->stats;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    char line[LG_LINE_LEN];

    lg_latency(r, code);
    free(r);
    s->in_flight--;
    if (code >= 200 && code < 300) {
        s->ok++;
        lg_first_line(req, line);
        lg_count_key(s->lines, &s->line_count, LG_MAX_LINES, line);
        return;
    }
    s->failed++;
    if (code == 0) /* the error callback counted the kind */
        return;
    s->bad_status++;
    snprintf(line, sizeof(line), "%d", code);
    lg_count_key(s->statuses, &s->status_count, LG_MAX_STATUSES, line);
}

/* lg_error_cb - why a request failed without a response */
static void lg_error_cb(enum evhttp_request_error err, void *arg)
{
    struct lg *lg = ((struct lg_req *)arg)->lg;

    if (err == EVREQ_HTTP_TIMEOUT)
        lg->stats.timeouts++;
    else
        lg->stats.conn_errors++;
}

/* lg_send - one GET on the next connection (evhttp queues it if that one is busy) */
static void lg_send(struct lg *lg)
{
    struct evhttp_connection *c = lg->conns[lg->next_conn++ % lg->opt.connections];
    struct lg_req *r = malloc(sizeof(*r));
    struct evhttp_request *req = r ? evhttp_request_new(lg_response_cb, r) : NULL;

    if (req == NULL) {
        free(r);
        return;
    }
    *r = (struct lg_req){lg, lg_now(), lg_wall()};
    evhttp_request_set_error_cb(req, lg_error_cb);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host", lg->host_header);
    lg->stats.sent++;
    lg->stats.in_flight++;
    if (evhttp_make_request(c, req, EVHTTP_REQ_GET, lg->path) != 0) {
        /* evhttp has freed req and called nothing: count it here */
        free(r);
        lg->stats.in_flight--;
        lg->stats.failed++;
        lg->stats.conn_errors++;
    }
}

/* lg_should_stop - the duration is over, the file appeared, or the cap is reached */
static int lg_should_stop(const struct lg *lg, double elapsed)
{
    struct stat st;

    if (elapsed >= (double)lg->opt.max_duration_s)
        return 1;
    if (lg->opt.duration_s > 0)
        return elapsed >= (double)lg->opt.duration_s;
    return stat(lg->opt.until_file, &st) == 0;
}

/* lg_tick_cb - send what the rate asks for by now; after the end, wait for the rest */
static void lg_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lg *lg = arg;
    double now = lg_now(), elapsed = now - lg->started;

    (void)fd;
    (void)what;
    if (lg->stopped == 0 && lg_should_stop(lg, elapsed))
        lg->stopped = now;
    if (lg->stopped == 0) {
        long due = (long)(elapsed * (double)lg->opt.rate) + 1;

        while (lg->stats.sent < due)
            lg_send(lg);
        return;
    }
    if (lg->stats.in_flight == 0 || now - lg->stopped > (double)lg->opt.timeout_ms / 1000.0 + 1)
        event_base_loopbreak(lg->base);
}

/* lg_signal_cb - SIGINT or SIGTERM: stop sending, finish as usual */
static void lg_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct lg *lg = arg;

    (void)sig;
    (void)what;
    if (lg->stopped == 0)
        lg->stopped = lg_now();
}

/* lg_target - host header and path from the URL; 0 or -1 */
static int lg_target(struct lg *lg)
{
    const char *host, *path, *query;
    int port;

    lg->uri = evhttp_uri_parse(lg->opt.url);
    if (lg->uri == NULL || (host = evhttp_uri_get_host(lg->uri)) == NULL
        || strcmp(evhttp_uri_get_scheme(lg->uri) ? evhttp_uri_get_scheme(lg->uri) : "", "http")
               != 0)
        return -1;
    port = evhttp_uri_get_port(lg->uri);
    path = evhttp_uri_get_path(lg->uri);
    query = evhttp_uri_get_query(lg->uri);
    snprintf(lg->host_header, sizeof(lg->host_header), "%s:%d", host, port < 0 ? 80 : port);
    snprintf(lg->path, sizeof(lg->path), "%s%s%s", path && *path ? path : "/",
             query ? "?" : "", query ? query : "");
    return 0;
}

/* lg_create - the loop, the connections, the tick and the signals; 0 or -1 */
static int lg_create(struct lg *lg)
{
    struct timeval tick = {0, LG_TICK_MS * 1000};
    int port;

    if (lg_target(lg) != 0) {
        fprintf(stderr, "cutover-loadgen: --url must be http://HOST[:PORT][/PATH]\n");
        return -1;
    }
    port = evhttp_uri_get_port(lg->uri);
    if (lg->opt.latency_log && (lg->latency_log = fopen(lg->opt.latency_log, "w")) == NULL) {
        fprintf(stderr, "cutover-loadgen: cannot write %s\n", lg->opt.latency_log);
        return -1;
    }
    if ((lg->base = event_base_new()) == NULL)
        return -1;
    for (long i = 0; i < lg->opt.connections; i++) {
        lg->conns[i] = evhttp_connection_base_new(lg->base, NULL, evhttp_uri_get_host(lg->uri),
                                                  (unsigned short)(port < 0 ? 80 : port));
        if (lg->conns[i] == NULL)
            return -1;
        evhttp_connection_set_timeout_tv(lg->conns[i], &(struct timeval){
            lg->opt.timeout_ms / 1000, (lg->opt.timeout_ms % 1000) * 1000});
    }
    lg->tick = event_new(lg->base, -1, EV_PERSIST, lg_tick_cb, lg);
    lg->sigint = evsignal_new(lg->base, SIGINT, lg_signal_cb, lg);
    lg->sigterm = evsignal_new(lg->base, SIGTERM, lg_signal_cb, lg);
    if (!lg->tick || !lg->sigint || !lg->sigterm || event_add(lg->tick, &tick) != 0
        || event_add(lg->sigint, NULL) != 0 || event_add(lg->sigterm, NULL) != 0)
        return -1;
    return 0;
}

/* lg_free - everything lg_create made, in reverse order */
static void lg_free(struct lg *lg)
{
    if (lg->sigterm)
        event_free(lg->sigterm);
    if (lg->sigint)
        event_free(lg->sigint);
    if (lg->tick)
        event_free(lg->tick);
    for (long i = 0; i < LG_MAX_CONNS; i++)
        if (lg->conns[i])
            evhttp_connection_free(lg->conns[i]);
    if (lg->base)
        event_base_free(lg->base);
    if (lg->uri)
        evhttp_uri_free(lg->uri);
    if (lg->latency_log)
        fclose(lg->latency_log);
}

/* lg_counts_json - a counter table as a JSON object */
static cJSON *lg_counts_json(const struct lg_count *table, int count, int max)
{
    cJSON *obj = cJSON_CreateObject();

    for (int i = 0; i < count; i++)
        cJSON_AddNumberToObject(obj, table[i].key, (double)table[i].n);
    if (table[max].n > 0)
        cJSON_AddNumberToObject(obj, table[max].key, (double)table[max].n);
    return obj;
}

/* lg_percentile_ms - the latency below which fraction q of the finished requests fell */
static double lg_percentile_ms(const struct lg_stats *s, double q)
{
    long total = 0, seen = 0;

    for (long b = 0; b < LG_BUCKETS; b++)
        total += s->latency[b];
    for (long b = 0; b < LG_BUCKETS; b++) {
        seen += s->latency[b];
        if (total > 0 && (double)seen >= q * (double)total)
            return lg_bucket_ms(b);
    }
    return 0;
}

/* lg_latency_json - p50, p99 and max of the finished requests, in milliseconds */
static cJSON *lg_latency_json(const struct lg_stats *s)
{
    cJSON *obj = cJSON_CreateObject();

    cJSON_AddNumberToObject(obj, "p50", lg_percentile_ms(s, 0.50));
    cJSON_AddNumberToObject(obj, "p99", lg_percentile_ms(s, 0.99));
    cJSON_AddNumberToObject(obj, "max", (double)s->latency_max_us / 1000.0);
    return obj;
}

/* lg_summary_json - the run's summary */
static cJSON *lg_summary_json(const struct lg *lg)
{
    const struct lg_stats *s = &lg->stats;
    cJSON *root = cJSON_CreateObject(), *errors = cJSON_CreateObject();

    cJSON_AddStringToObject(root, "url", lg->opt.url);
    cJSON_AddNumberToObject(root, "rate", (double)lg->opt.rate);
    cJSON_AddNumberToObject(root, "elapsed_s", (double)(long)((lg->stopped - lg->started) * 1000) / 1000);
    cJSON_AddNumberToObject(root, "sent", (double)s->sent);
    cJSON_AddNumberToObject(root, "ok", (double)s->ok);
    cJSON_AddNumberToObject(root, "failed", (double)(s->failed + s->in_flight));
    cJSON_AddNumberToObject(errors, "timeout", (double)s->timeouts);
    cJSON_AddNumberToObject(errors, "connection", (double)s->conn_errors);
    cJSON_AddNumberToObject(errors, "status", (double)s->bad_status);
    cJSON_AddNumberToObject(errors, "unanswered", (double)s->in_flight);
    cJSON_AddItemToObject(root, "errors", errors);
    cJSON_AddItemToObject(root, "statuses",
                          lg_counts_json(s->statuses, s->status_count, LG_MAX_STATUSES));
    cJSON_AddItemToObject(root, "responses",
                          lg_counts_json(s->lines, s->line_count, LG_MAX_LINES));
    cJSON_AddItemToObject(root, "latency_ms", lg_latency_json(s));
    return root;
}

/* lg_report - the summary on stdout and, with --report, as JSON into the file */
static int lg_report(const struct lg *lg)
{
    cJSON *sum = lg_summary_json(lg), *r;
    char *text = cJSON_PrintUnformatted(sum);
    FILE *f = NULL;
    int rc = 0;

    printf("sent %ld ok %ld failed %.0f in %.1f s\n", lg->stats.sent, lg->stats.ok,
           cJSON_GetObjectItem(sum, "failed")->valuedouble, lg->stopped - lg->started);
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(sum, "responses"))
        printf("  %8.0f  %s\n", r->valuedouble, r->string);
    if (lg->opt.report && (text == NULL || (f = fopen(lg->opt.report, "w")) == NULL
                           || fprintf(f, "%s\n", text) < 0)) {
        fprintf(stderr, "cutover-loadgen: cannot write %s\n", lg->opt.report);
        rc = -1;
    }
    if (f && fclose(f) != 0)
        rc = -1;
    free(text);
    cJSON_Delete(sum);
    return rc;
}

int main(int argc, char **argv)
{
    static struct lg lg;
    int rc = 2;

    if (lg_parse_args(argc, argv, &lg.opt) != 0)
        return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);
    if (lg_create(&lg) != 0) {
        fprintf(stderr, "cutover-loadgen: set-up failed\n");
        goto out;
    }
    lg.started = lg_now();
    if (event_base_dispatch(lg.base) != 0) {
        fprintf(stderr, "cutover-loadgen: event loop failed\n");
        goto out;
    }
    if (lg_report(&lg) == 0)
        rc = lg.stats.failed + lg.stats.in_flight > 0 ? 1 : 0;
out:
    lg_free(&lg);
    return rc;
}
