/*
 * worker - the skeleton every worker process runs (see worker.h): options,
 *          configuration, set-up and teardown, signals, the outbox sweeper
 *          and the workers' periodic ticks.
 */
#include "worker/worker_internal.h"

#include "base/config.h"
#include "base/lean.h"
#include "base/log.h"
#include "base/share.h"
#include "io/loop.h"
#include "io/migrate.h"
#include "worker/worker_audit.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* worker_usage - --help */
static void worker_usage(const struct worker_spec *spec, FILE *out)
{
    fprintf(out,
            "usage: cutover-%s [--check] [--help]\n\n%s\n\n"
            "  -n, --check   validate the configuration, print it (secrets masked), exit\n"
            "  -h, --help    this text\n\n"
            "Configuration comes from the environment:\n",
            spec->name, spec->summary);
    config_usage(out);
}

/* worker_options - parse the command line; -1 to exit with the returned status */
static int worker_options(int argc, char **argv, const struct worker_spec *spec, int *check)
{
    static const struct option options[] = {
        {"check", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "nh", options, NULL)) != -1) {
        if (c == 'n') {
            *check = 1;
        } else {
            worker_usage(spec, c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cutover-%s: unexpected argument \"%s\"\n", spec->name, argv[optind]);
        return 2;
    }
    return -1;
}

/* worker_configure - load and check the configuration; exit status or -1 to go on */
static int worker_configure(struct worker *w, int check)
{
    char program[64];
    const char *source;
    int status;

    snprintf(program, sizeof(program), "cutover-%s", w->spec->name);
    if ((status = config_start(program, check)) >= 0)
        return status;
    source = config_get("CUTOVER_SOURCE");
    if (source && *source)
        snprintf(w->source, sizeof(w->source), "%s", source);
    else
        snprintf(w->source, sizeof(w->source), "cutover/%s", w->spec->name);
    w->max_event_bytes = config_get_int("CUTOVER_MAX_EVENT_BYTES");
    w->retry_delay_ms = 100;
    return -1;
}

/* worker_signal_cb - SIGTERM or SIGINT: drain and leave the loop */
static void worker_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct worker *w = arg;

    (void)what;
    log_info("signal %d: draining", (int)sig);
    w->stopping = 1;
    event_base_loopexit(w->base, NULL);
}

/* worker_wake_cb - the listener's socket is readable: kick the ticks when
 * a notification names this worker and another process sent it (this
 * one's own transactions are each followed by a tick of its own: after a
 * record, in the effect loop, after a periodic job); a broken listener
 * waits for the sweeper */
static void worker_wake_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    int named = db_notified(w->listener, w->spec->name, PQbackendPID(db_conn(w->db)));

    (void)fd;
    (void)what;
    if (named < 0)
        event_del(w->ev_wake);
    else if (named > 0)
        worker_kick(w);
}

/* worker_wake_arm - watch the listener's current socket */
static void worker_wake_arm(struct worker *w)
{
    if (w->ev_wake)
        event_free(w->ev_wake);
    w->ev_wake = event_new(w->base, db_socket(w->listener), EV_READ | EV_PERSIST, worker_wake_cb, w);
    if (w->ev_wake == NULL || event_add(w->ev_wake, NULL) != 0)
        log_fatal("wake-up set-up failed");
}

/* worker_wake_on - LISTEN on channel on a connection of its own; a
 * notification naming this worker kicks its ticks */
void worker_wake_on(struct worker *w, const char *channel)
{
    w->listener = db_connect(config_get("CUTOVER_DATABASE_URL"));
    if (w->listener == NULL || db_listen(w->listener, channel) != 0)
        log_fatal("database: cannot listen on %s", channel);
    worker_wake_arm(w);
}

/* worker_db_recover - reconnect what broke: the database connection (exits
 * after the configured attempts, so that the supervisor restarts us) and
 * the listener, whose missed notifications one kick makes up for */
void worker_db_recover(struct worker *w)
{
    if (!db_ok(w->db) && db_reconnect(w->db) != 0)
        log_fatal("database unreachable: giving up so that the supervisor restarts us");
    if (w->listener && !db_ok(w->listener) && db_reconnect(w->listener) == 0) {
        worker_wake_arm(w);
        worker_kick(w);
    }
}

/* worker_sweep_cb - republish what is committed and unsent */
static void worker_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    (void)fd;
    (void)what;
    worker_db_recover(w);
    outbox_publish(w->outbox);
}

/* worker_retry_cb - deliver the kept record again */
static void worker_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    (void)fd;
    (void)what;
    kafka_consumer_retry(w->consumer);
}

/* worker_delivery_cb - the producer's delivery report */
static void worker_delivery_cb(rd_kafka_resp_err_t err, void *opaque, void *arg)
{
    struct worker *w = arg;

    outbox_delivered(w->outbox, err, opaque);
}

/* worker_every - a persistent timer */
static struct event *worker_every(struct worker *w, long ms, event_callback_fn cb, void *arg)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    struct event *ev = event_new(w->base, -1, EV_PERSIST, cb, arg);

    if (ev == NULL || event_add(ev, &tv) != 0)
        log_fatal("timer set-up failed");
    (void)w;
    return ev;
}

struct worker_tick_arg {
    struct worker *w;
    const struct worker_tick *tick;
};

static struct worker_tick_arg worker_tick_args[WORKER_MAX_TICKS];

/* worker_run_tick_cb - call one periodic job outside any transaction; a
 * job that does not run after each record is followed by those that do,
 * which take up what its transactions left for this process (its
 * notifications to itself do not wake it: worker_wake_cb) */
static void worker_run_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker_tick_arg *t = arg;

    (void)fd;
    (void)what;
    if (t->w->stopping)
        return;
    t->tick->fire(t->w, t->tick->arg);
    if (!t->tick->after_each_record)
        worker_kick(t->w);
}

/* worker_kick - fire the ticks that run after each handled record now,
 * through their one-shot events: activating the persistent timer itself
 * would move its next deadline one interval further on each kick, and a
 * burst of records would silence the periodic tick for as long */
void worker_kick(struct worker *w)
{
    for (size_t i = 0; i < w->spec->tick_count; i++) {
        if (w->ev_kicks[i])
            event_active(w->ev_kicks[i], EV_TIMEOUT, 0);
    }
}

/* worker_ticks_committed - the ticks' committed hooks, after a record's commit */
void worker_ticks_committed(struct worker *w)
{
    for (size_t i = 0; i < w->spec->tick_count; i++) {
        if (w->spec->ticks[i].committed)
            w->spec->ticks[i].committed(w, w->spec->ticks[i].arg);
    }
}

/* worker_kick_later_cb - worker_kick_after's time has come */
static void worker_kick_later_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    worker_kick(arg);
}

/* worker_kick_after - kick the after-record ticks in ms milliseconds */
void worker_kick_after(struct worker *w, long ms)
{
    struct timeval delay = {ms / 1000, (ms % 1000) * 1000};

    event_add(w->ev_kick_later, &delay);
}

/* worker_ticks_start - the ticks' start hooks, before the loop */
static void worker_ticks_start(struct worker *w)
{
    for (size_t i = 0; i < w->spec->tick_count; i++) {
        const struct worker_tick *tick = &w->spec->ticks[i];

        if (tick->start)
            tick->start(w, tick->arg);
    }
}

/* worker_ticks_stop - free the ticks, calling their stop hooks */
static void worker_ticks_stop(struct worker *w)
{
    for (size_t i = 0; i < w->spec->tick_count; i++) {
        const struct worker_tick *tick = &w->spec->ticks[i];

        if (w->ev_ticks[i] == NULL)
            continue;
        if (tick->stop)
            tick->stop(w, tick->arg);
        event_free(w->ev_ticks[i]);
        w->ev_ticks[i] = NULL;
        if (w->ev_kicks[i])
            event_free(w->ev_kicks[i]);
        w->ev_kicks[i] = NULL;
    }
}

/* worker_events - signals, sweeper, retry timer and ticks */
static void worker_events(struct worker *w)
{
    w->ev_sigterm = evsignal_new(w->base, SIGTERM, worker_signal_cb, w);
    w->ev_sigint = evsignal_new(w->base, SIGINT, worker_signal_cb, w);
    if (w->ev_sigterm == NULL || w->ev_sigint == NULL || evsignal_add(w->ev_sigterm, NULL) != 0
        || evsignal_add(w->ev_sigint, NULL) != 0)
        log_fatal("signal set-up failed");
    w->ev_sweep = worker_every(w, config_get_int("CUTOVER_OUTBOX_SWEEP_MS"), worker_sweep_cb, w);
    w->ev_retry = evtimer_new(w->base, worker_retry_cb, w);
    w->ev_kick_later = evtimer_new(w->base, worker_kick_later_cb, w);
    if (w->ev_retry == NULL || w->ev_kick_later == NULL)
        log_fatal("timer set-up failed");
    if (w->spec->tick_count > WORKER_MAX_TICKS)
        log_panic("worker_events: %zu ticks, at most %d", w->spec->tick_count, WORKER_MAX_TICKS);
    for (size_t i = 0; i < w->spec->tick_count; i++) {
        worker_tick_args[i].w = w;
        worker_tick_args[i].tick = &w->spec->ticks[i];
        w->ev_ticks[i] = worker_every(w, config_get_int(w->spec->ticks[i].interval_var),
                                      worker_run_tick_cb, &worker_tick_args[i]);
        if (w->spec->ticks[i].after_each_record
            && (w->ev_kicks[i] = event_new(w->base, -1, 0, worker_run_tick_cb,
                                           &worker_tick_args[i])) == NULL)
            log_fatal("tick set-up failed");
    }
}

/* worker_topics - the topics the worker consumes */
static size_t worker_topics(const struct worker_spec *spec, const char **topics, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < spec->handler_count && n < cap; i++)
        topics[n++] = spec->handlers[i].topic;
    return n;
}

/* worker_open - database, migrations, schemas, topics, Kafka clients */
static void worker_open(struct worker *w)
{
    char err[512], group[256], dir[4096];
    const char *topics[32];
    size_t topic_count = worker_topics(w->spec, topics, 32);
    int rc;

    w->db = db_connect(config_get("CUTOVER_DATABASE_URL"));
    if (w->db == NULL)
        log_fatal("database unreachable");
    if (share_path("migrations", dir, sizeof(dir)) != 0
        || migrate_run(w->db, dir, err, sizeof(err)) != 0)
        log_fatal("migrations: %s", dir);
    worker_audit_warn_unsigned(w->db);
    if (share_path("schemas", dir, sizeof(dir)) != 0
        || (w->schemas = schema_registry_load(dir, err, sizeof(err))) == NULL)
        log_fatal("schemas: %s", err);
    rc = kafka_topics_create(event_topics, event_topic_count(),
                             (int)config_get_int("CUTOVER_TOPIC_PARTITIONS"),
                             (int)config_get_int("CUTOVER_TOPIC_REPLICATION"), err, sizeof(err));
    if (rc < 0)
        log_fatal("%s", err);
    if (rc > 0)
        log_info("not allowed to create topics (%s): using them as an administrator created them"
                 " (cutover topics create)", err);
    w->producer = kafka_producer_create(w->base, worker_delivery_cb, w,
                                        (int)config_get_int("CUTOVER_KAFKA_LINGER_MS"), err,
                                        sizeof(err));
    if (w->producer == NULL)
        log_fatal("kafka producer: %s", err);
    kafka_producer_warm(w->producer, event_topics, event_topic_count());
    w->outbox = outbox_create(w->db, w->producer, w->base);
    if (w->outbox == NULL)
        log_fatal("outbox publisher set-up failed");
    if (topic_count == 0)
        return; /* a worker of ticks alone (the migrator's effects): nothing to consume */
    snprintf(group, sizeof(group), "%s-%s", config_get("CUTOVER_GROUP_PREFIX"), w->spec->name);
    w->consumer = kafka_consumer_create(w->base, group, topics, topic_count, worker_record_cb, w,
                                        err, sizeof(err));
    if (w->consumer == NULL)
        log_fatal("kafka consumer: %s", err);
}

/* worker_close - drain and tear down in reverse order of creation */
static void worker_close(struct worker *w)
{
    long grace = config_get_int("CUTOVER_SHUTDOWN_GRACE_MS");

    worker_metrics_stop(w);
    kafka_consumer_free(w->consumer);
    if (w->producer && kafka_producer_flush(w->producer, (int)grace) != 0)
        log_warn("shutdown: deliveries still pending; the sweeper of the next start sends them");
    worker_ticks_stop(w);
    if (w->ev_wake)
        event_free(w->ev_wake);
    db_close(w->listener);
    if (w->ev_retry)
        event_free(w->ev_retry);
    if (w->ev_kick_later)
        event_free(w->ev_kick_later);
    if (w->ev_sweep)
        event_free(w->ev_sweep);
    if (w->ev_sigint)
        event_free(w->ev_sigint);
    if (w->ev_sigterm)
        event_free(w->ev_sigterm);
    outbox_free(w->outbox);
    kafka_producer_free(w->producer);
    schema_registry_free(w->schemas);
    db_close(w->db);
    event_base_free(w->base);
}

/* worker_main - run a worker until SIGTERM */
int worker_main(int argc, char **argv, const struct worker_spec *spec)
{
    struct worker w;
    int check = 0, status;

    lean_exec(argv); /* fewer resident pages: see base/lean.h */
    memset(&w, 0, sizeof(w));
    w.spec = spec;
    log_init(spec->name);
    if ((status = worker_options(argc, argv, spec, &check)) >= 0
        || (status = worker_configure(&w, check)) >= 0) {
        config_free();
        return status;
    }
    w.base = loop_new();
    if (w.base == NULL)
        log_fatal("loop_new failed");
    worker_events(&w);
    worker_open(&w);
    worker_metrics_start(&w);
    worker_ticks_start(&w);
    malloc_trim(0); /* what the start-up freed (schemas checked, patterns compiled) goes back */
    log_info("started: source %s", w.source);
    if (event_base_dispatch(w.base) != 0 || !w.stopping)
        log_fatal("left the event loop unexpectedly");
    worker_close(&w);
    log_info("stopped: %lu handled, %lu dead-lettered, %lu skipped, %lu retries", w.handled,
             w.dead_lettered, w.skipped, w.retried);
    config_free();
    return 0;
}

/* worker_db - the worker's database connection */
struct db *worker_db(struct worker *w)
{
    return w->db;
}

/* worker_base - the worker's event loop */
struct event_base *worker_base(struct worker *w)
{
    return w->base;
}

/* worker_name - "scaler", ... */
const char *worker_name(const struct worker *w)
{
    return w->spec->name;
}

/* worker_emit - an event into the outbox, inside the current transaction */
int worker_emit(struct worker *w, const char *topic, const char *environment, cJSON *data)
{
    struct cloud_event ev;
    char *value;
    int rc;

    if (event_create(&ev, topic, w->source, environment, data) != 0)
        return -1;
    value = event_encode(&ev);
    cloudevent_free(&ev);
    if (value == NULL)
        return -1;
    rc = outbox_add(w->db, topic, environment, value);
    free(value);
    if (rc == 0)
        w->emitted++;
    return rc;
}

/* worker_publish - after a commit: publish the rows it wrote now */
void worker_publish(struct worker *w)
{
    if (w->emitted == 0)
        return;
    w->emitted = 0;
    outbox_publish_soon(w->outbox);
}
