/*
 * cutover-web - the HTTP process: the status page, the JSON API, health
 *               checks, the environments' metrics and the alarm receivers
 *               (common/web/web.h).
 *
 * SYNOPSIS
 *	cutover-web [--check] [--help]
 *
 * DESCRIPTION
 *	Listens on CUTOVER_WEB_ADDR (default 127.0.0.1:8080; port 0 takes a
 *	free one, which the "started" line tells) and reads PostgreSQL
 *	(CUTOVER_DATABASE_URL). It applies the migrations at start, as the
 *	workers do, and writes only what the alarm receivers received
 *	(alarm_receipts and the outbox), which its own Kafka producer
 *	publishes. cutoverd runs it as the worker "web". SIGTERM or SIGINT: stop listening and exit 0. A database
 *	unreachable at start is fatal after the configured attempts (the
 *	supervisor starts it again); one lost later makes the API answer 503
 *	until it is back. Like every process, it also serves its own
 *	/metrics and /healthz on CUTOVER_METRICS_ADDR when that is set (as
 *	cutoverd does for its children with CUTOVER_METRICS_PORT_BASE).
 */
#include "base/config.h"
#include "base/lean.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/share.h"
#include "io/db.h"
#include "io/httpd.h"
#include "io/loop.h"
#include "io/migrate.h"
#include "web/web.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

struct web_main {
    struct event_base *base;
    struct event *ev_sigterm, *ev_sigint;
    struct db *db;
    struct web *web;
    struct httpd *metrics; /* CUTOVER_METRICS_ADDR; NULL when unset */
};

/* web_usage - --help */
static void web_usage(FILE *out)
{
    fprintf(out, "usage: cutover-web [--check] [--help]\n\n"
                 "Serves the status page, the JSON API (/api/v1/environments), /healthz,\n"
                 "/readyz and /metrics on CUTOVER_WEB_ADDR, and the alarm receivers\n"
                 "(POST /v1/alarms/alertmanager, /v1/alarms/eventbridge).\n\n"
                 "  -n, --check   validate the configuration, print it (secrets masked), exit\n"
                 "  -h, --help    this text\n\n"
                 "Configuration comes from the environment:\n");
    config_usage(out);
}

/* web_arguments - the command line: -1 to run, else the exit status */
static int web_arguments(int argc, char **argv, int *check)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--check") == 0) {
            *check = 1;
            continue;
        }
        int help = strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0;

        if (!help)
            fprintf(stderr, "cutover-web: unexpected argument \"%s\"\n", argv[i]);
        web_usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    return -1;
}

/* web_signal_cb - SIGTERM or SIGINT: leave the loop (arg: the event base) */
static void web_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    log_info("signal %d: stopping", (int)sig);
    event_base_loopbreak(arg);
}

/* web_open - loop, signals, database and server; fatal when one fails */
static void web_open(struct web_main *m)
{
    char err[512], dir[4096];
    const char *addr = config_get("CUTOVER_WEB_ADDR");

    if ((m->base = loop_new()) == NULL)
        log_fatal("loop_new failed");
    m->ev_sigterm = evsignal_new(m->base, SIGTERM, web_signal_cb, m->base);
    m->ev_sigint = evsignal_new(m->base, SIGINT, web_signal_cb, m->base);
    if (m->ev_sigterm == NULL || m->ev_sigint == NULL || evsignal_add(m->ev_sigterm, NULL) != 0
        || evsignal_add(m->ev_sigint, NULL) != 0)
        log_fatal("signal set-up failed");
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-answer is an error on write, not death */
    if ((m->db = db_connect(config_get("CUTOVER_DATABASE_URL"))) == NULL)
        log_fatal("database unreachable");
    if (share_path("migrations", dir, sizeof(dir)) != 0
        || migrate_run(m->db, dir, err, sizeof(err)) != 0)
        log_fatal("migrations: %s", dir);
    if ((m->web = web_create(m->base, m->db, addr, err, sizeof(err))) == NULL)
        log_fatal("%s", err);
    log_info("started: serving on %s (port %d)", addr, web_port(m->web));
    metrics_process();
    m->metrics = httpd_metrics_serve(m->base, config_get("CUTOVER_METRICS_ADDR"), NULL, NULL);
}

/* web_close - tear down in reverse order of creation */
static void web_close(struct web_main *m)
{
    httpd_free(m->metrics);
    web_free(m->web);
    db_close(m->db);
    event_free(m->ev_sigint);
    event_free(m->ev_sigterm);
    event_base_free(m->base);
}

/* main - cutover-web */
int main(int argc, char **argv)
{
    struct web_main m = {0};
    int check = 0, status;

    lean_exec(argv); /* fewer resident pages: see base/lean.h */
    log_init("web");
    if ((status = web_arguments(argc, argv, &check)) >= 0
        || (status = config_start("cutover-web", check)) >= 0) {
        config_free();
        return status;
    }
    web_open(&m);
    if (event_base_dispatch(m.base) != 0 || !event_base_got_break(m.base))
        log_fatal("left the event loop unexpectedly");
    web_close(&m);
    log_info("stopped");
    config_free();
    return 0;
}
