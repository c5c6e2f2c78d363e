/*
 * bench_rollback - how long an instant rollback takes on the local stack,
 *                  against its floor measured in the same run.
 *
 * usage: bench_rollback ENV ARTIFACT_URI SHA256 [ROUNDS]
 *	(ROUNDS: default BENCH_ROUNDS, else 100; CUTOVER_* from ops/devstack env;
 *	 the environment seeded and its workers running: bench_rollback.sh)
 *
 * DESCRIPTION
 *	Each round publishes a build-ready for a canary whose first step (50 %)
 *	waits for an operator, waits until HAProxy applies that step and no
 *	effect of the deployment is open, then publishes alarm-fired from one
 *	long-lived producer and reads the new color's weights through
 *	HAProxy's Runtime API socket ("show servers state" of the backend,
 *	every BENCH_POLL_US) until they are all 0 and the old color has all
 *	the traffic: "alarm published -> old color at 100 %". The probe
 *	yields between reads: on two cores a probe that never sleeps (it
 *	once opened a connection per server, back to back) keeps a core and
 *	HAProxy busy and slows the path it measures; a read every 100 us
 *	adds at most that much to a figure. The round ends when the
 *	deployment is rolled back. A first round warms up and is printed
 *	apart, not counted (see bench_rounds).
 *
 *	The floor, with the workers' own client code and settings (io/kafka.c,
 *	io/db.c, provider/local/haproxy.c): a Kafka produce -> consume round
 *	trip on a topic of its own, one PostgreSQL commit of the rollback's
 *	shape (inbox insert, deployment row locked and updated, history row,
 *	effect row, outbox row) on copies of those tables in a scratch schema
 *	dropped afterwards, and one HAProxy "set weight". It prints p50, p99
 *	and max of each, the floor (the sum of the parts' medians) and the
 *	ratio p99 / floor (the goal: at most 2); and, since the parts have
 *	tails of their own on a shared machine, the sum of the parts' p99s
 *	and the rollback's p99 against it. Beside the floor, not added to it:
 *	Kafka round trips each after BENCH_IDLE_MS without a record, as an
 *	alarm meets the rollbacker (the floor's round trips run back to back,
 *	on threads that never sleep). Numbers, never pass/fail.
 */
#include "base/config.h"
#include "base/log.h"
#include "io/db.h"
#include "io/event.h"
#include "io/kafka.h"
#include "provider/local/haproxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_FLOOR_SAMPLES 200
#define BENCH_IDLE_SAMPLES 40 /* Kafka round trips after an idle pause ... */
#define BENCH_IDLE_MS 250     /* ... of this long, as an alarm meets the rollbacker */
#define BENCH_POLL_US 100 /* between two reads of the weights (see the top) */
#define BENCH_WAIT_SECONDS 600
#define BENCH_SERVERS_MAX 16
#define BENCH_SCHEMA "bench_rollback"
#define BENCH_SOURCE "bench/rollback"
#define BENCH_TOPIC "bench-roundtrip"

struct bench {
    const char *env;
    const char *artifact_uri;
    const char *artifact_sha;
    const char *sock;
    struct event_base *base;
    struct kafka_producer *producer;
    struct db *db;
    char servers[BENCH_SERVERS_MAX][HAPROXY_NAME_MAX + 1];
    size_t server_count;
};

/* A round's total and its parts (the parts from the database's clock). */
#define BENCH_PARTS 3
static const char *const bench_part_names[BENCH_PARTS] = {
    "alarm published -> old color 100 %",
    "  part: -> rollbacker's transaction",
    "  part: -> weights restored in HAProxy",
};

/* A deployment as the rounds watch it. */
struct bench_deployment {
    char id[37];
    char state[32];
    int new_color; /* 0 blue, 1 green, -1 unknown */
    int weight_new;
    int open_effects;
};

/* bench_ms - monotonic milliseconds, with a fraction */
static double bench_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* bench_cmp - qsort order of doubles */
static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* bench_percentile - the nearest-rank percentile p of n sorted values */
static double bench_percentile(const double *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

    return sorted[rank == 0 ? 0 : rank - 1];
}

/* bench_report - sort v and print "NAME p50 p99 max (n)"; the median */
static double bench_report(const char *name, double *v, size_t n, double *p99)
{
    qsort(v, n, sizeof(*v), bench_cmp);
    *p99 = bench_percentile(v, n, 99);
    printf("  %-40s p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms  (%zu)\n", name,
           bench_percentile(v, n, 50), *p99, v[n - 1], n);
    return bench_percentile(v, n, 50);
}

/* ---- events ------------------------------------------------------------- */

/* bench_publish - one structured-mode event about the environment; its
 * id into id (37 bytes) when id is not NULL */
static int bench_publish(struct bench *b, const char *topic, cJSON *data, char *id)
{
    struct cloud_event ev;
    char *value;
    int rc;

    if (event_create(&ev, topic, BENCH_SOURCE, b->env, data) != 0)
        return -1;
    if (id)
        snprintf(id, 37, "%s", ev.id);
    value = event_encode(&ev);
    cloudevent_free(&ev);
    if (value == NULL)
        return -1;
    rc = kafka_producer_send(b->producer, topic, b->env, value, strlen(value), NULL);
    free(value);
    return rc;
}

/* bench_canary_strategy - 50 % until an operator says more, then 100 % */
static cJSON *bench_canary_strategy(void)
{
    cJSON *strategy = cJSON_CreateObject(), *steps = cJSON_AddArrayToObject(strategy, "steps");
    cJSON *held = cJSON_CreateObject(), *last = cJSON_CreateObject();

    cJSON_AddStringToObject(strategy, "kind", "canary");
    cJSON_AddNumberToObject(held, "weight", 50);
    cJSON_AddNullToObject(held, "pause_seconds");
    cJSON_AddNumberToObject(last, "weight", 100);
    cJSON_AddNumberToObject(last, "pause_seconds", 1);
    cJSON_AddItemToArray(steps, held);
    cJSON_AddItemToArray(steps, last);
    cJSON_AddBoolToObject(strategy, "auto_promote", 1);
    return strategy;
}

/* bench_build_ready - a canary of the release for build */
static int bench_build_ready(struct bench *b, const char *build)
{
    cJSON *data = cJSON_CreateObject(), *artifact = cJSON_CreateObject();

    cJSON_AddStringToObject(data, "environment", b->env);
    cJSON_AddStringToObject(data, "build_id", build);
    cJSON_AddStringToObject(data, "version", "2.0");
    cJSON_AddStringToObject(artifact, "uri", b->artifact_uri);
    cJSON_AddStringToObject(artifact, "sha256", b->artifact_sha);
    cJSON_AddItemToObject(data, "artifact", artifact);
    cJSON_AddItemToObject(data, "strategy", bench_canary_strategy());
    return bench_publish(b, "build-ready", data, NULL);
}

/* bench_alarm - monitoring says ALARM; the event's id into id */
static int bench_alarm(struct bench *b, char *id)
{
    cJSON *data = cJSON_CreateObject();

    cJSON_AddStringToObject(data, "environment", b->env);
    cJSON_AddStringToObject(data, "alarm", "5xx-rate");
    cJSON_AddStringToObject(data, "state", "ALARM");
    cJSON_AddStringToObject(data, "severity", "critical");
    cJSON_AddStringToObject(data, "reason", "benchmark");
    cJSON_AddStringToObject(data, "source", BENCH_SOURCE);
    return bench_publish(b, "alarm-fired", data, id);
}

/* ---- HAProxy ------------------------------------------------------------ */

/* bench_servers_read - the main backend's servers, from one "show servers
 * state" (one connection for all of them); NULL with the error printed */
static const struct haproxy_server *bench_servers_read(const struct bench *b, size_t *n)
{
    static struct haproxy_server sv[HAPROXY_SERVERS_MAX];
    char err[256];

    *n = 0;
    if (haproxy_servers_state(b->sock, b->env, sv, HAPROXY_SERVERS_MAX, n, err,
                              sizeof(err)) != 0) {
        fprintf(stderr, "bench_rollback: servers of %s: %s\n", b->env, err);
        return NULL;
    }
    return sv;
}

/* bench_server_color - 0 for a blueN server, 1 for greenN, -1 for another */
static int bench_server_color(const char *name)
{
    return strncmp(name, "green", 5) == 0 ? 1 : strncmp(name, "blue", 4) == 0 ? 0 : -1;
}

/* bench_servers_find - the main backend's blueN and greenN servers */
static int bench_servers_find(struct bench *b)
{
    size_t n;
    const struct haproxy_server *sv = bench_servers_read(b, &n);

    for (size_t i = 0; sv && i < n && b->server_count < BENCH_SERVERS_MAX; i++)
        if (bench_server_color(sv[i].name) >= 0)
            snprintf(b->servers[b->server_count++], sizeof(b->servers[0]), "%s", sv[i].name);
    return b->server_count > 0 ? 0 : -1;
}

/* bench_weights - each color's summed weight, in one read */
static int bench_weights(struct bench *b, long total[2])
{
    size_t n;
    const struct haproxy_server *sv = bench_servers_read(b, &n);

    total[0] = total[1] = 0;
    if (sv == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int color = bench_server_color(sv[i].name);

        if (color >= 0)
            total[color] += sv[i].weight;
    }
    return 0;
}

/* bench_until_restored - read the weights until old_color has them all;
 * the milliseconds since t0, or -1 after BENCH_WAIT_SECONDS */
static double bench_until_restored(struct bench *b, int old_color, double t0)
{
    long total[2];

    do {
        if (bench_weights(b, total) == 0 && total[!old_color] == 0 && total[old_color] > 0)
            return bench_ms() - t0;
        usleep(BENCH_POLL_US);
    } while (bench_ms() < t0 + BENCH_WAIT_SECONDS * 1e3);
    fprintf(stderr, "bench_rollback: the weights were never restored\n");
    return -1;
}

/* ---- the rounds ---------------------------------------------------------- */

/* bench_deployment_read - the build's deployment; 1 found, 0 not yet, -1 error */
static int bench_deployment_read(struct bench *b, const char *build, struct bench_deployment *d)
{
    const char *params[] = {b->env, build};
    PGresult *res = db_query(b->db,
                             "SELECT d.id, d.state, coalesce(d.new_color, ''), d.weight_new,"
                             " (SELECT count(*) FROM effects e WHERE e.deployment_id = d.id"
                             "  AND e.status IN ('pending', 'running'))"
                             " FROM deployments d WHERE d.environment = $1 AND d.build_id = $2",
                             2, params);
    int found;

    if (res == NULL)
        return -1;
    if ((found = PQntuples(res) == 1)) {
        snprintf(d->id, sizeof(d->id), "%s", PQgetvalue(res, 0, 0));
        snprintf(d->state, sizeof(d->state), "%s", PQgetvalue(res, 0, 1));
        d->new_color = strcmp(PQgetvalue(res, 0, 2), "green") == 0  ? 1
                       : strcmp(PQgetvalue(res, 0, 2), "blue") == 0 ? 0
                                                                     : -1;
        d->weight_new = atoi(PQgetvalue(res, 0, 3));
        d->open_effects = atoi(PQgetvalue(res, 0, 4));
    }
    PQclear(res);
    return found;
}

/* bench_at_step - the canary holds 50 %: in the database, with nothing in
 * flight, and in HAProxy */
static int bench_at_step(struct bench *b, const struct bench_deployment *d)
{
    long total[2];

    return (strcmp(d->state, "shifting") == 0 || strcmp(d->state, "paused") == 0)
           && d->weight_new == 50 && d->open_effects == 0
           && d->new_color >= 0 && bench_weights(b, total) == 0 && total[d->new_color] > 0
           && haproxy_share_from_totals(total[0], total[1]) == 50;
}

/* bench_rolled_back - the rollback is over, nothing left open */
static int bench_rolled_back(struct bench *b, const struct bench_deployment *d)
{
    (void)b;
    return strcmp(d->state, "rolled-back") == 0 && d->open_effects == 0;
}

/* bench_wait - poll the build's deployment until done(); 0, or -1 after
 * BENCH_WAIT_SECONDS (a condition with a generous deadline, not a guess) */
static int bench_wait(struct bench *b, const char *build, struct bench_deployment *d,
                      int (*done)(struct bench *, const struct bench_deployment *))
{
    double deadline = bench_ms() + BENCH_WAIT_SECONDS * 1e3;

    while (bench_ms() < deadline) {
        if (bench_deployment_read(b, build, d) == 1 && done(b, d))
            return 0;
        kafka_producer_flush(b->producer, 0); /* serve delivery reports */
        usleep(20000);
    }
    fprintf(stderr, "bench_rollback: %s stuck in %s\n", build, d->state[0] ? d->state : "?");
    return -1;
}

/* bench_wall_ms - wall clock milliseconds (PostgreSQL's clock on this host) */
static double bench_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* bench_split - where a round's time went, from the database's clock: up
 * to the start of the rollbacker's transaction (its inbox row: Kafka,
 * decoding, checks), then the transaction, the effect's pick-up and the
 * provider call */
static int bench_split(struct bench *b, const char *alarm_id, double wall0, double wall1,
                       double part[BENCH_PARTS])
{
    const char *params[] = {alarm_id};
    PGresult *res = db_query(b->db,
                             "SELECT extract(epoch FROM received_at) * 1000 FROM inbox"
                             " WHERE source = '" BENCH_SOURCE "' AND id = $1"
                             " AND consumer = 'rollbacker'",
                             1, params);
    int found = res && PQntuples(res) == 1;

    if (found) {
        double begun = strtod(PQgetvalue(res, 0, 0), NULL);

        part[1] = begun - wall0;
        part[2] = wall1 - begun;
    }
    PQclear(res);
    return found ? 0 : -1;
}

/* bench_round - one canary held at its step, then an alarm; its total
 * latency and parts (bench_part_names) */
static int bench_round(struct bench *b, int round, double part[BENCH_PARTS])
{
    struct bench_deployment d;
    char build[64], alarm_id[37];
    double t0, wall0;

    memset(&d, 0, sizeof(d));
    snprintf(build, sizeof(build), "rb-%ld-%d", (long)getpid(), round);
    if (bench_build_ready(b, build) != 0 || bench_wait(b, build, &d, bench_at_step) != 0)
        return -1;
    wall0 = bench_wall_ms();
    t0 = bench_ms();
    if (bench_alarm(b, alarm_id) != 0)
        return -1;
    if ((part[0] = bench_until_restored(b, !d.new_color, t0)) < 0)
        return -1;
    return bench_wait(b, build, &d, bench_rolled_back) == 0
                   && bench_split(b, alarm_id, wall0, wall0 + part[0], part) == 0
               ? 0
               : -1;
}

/* ---- the floor ----------------------------------------------------------- */

struct bench_roundtrip {
    struct kafka_consumer *consumer;
    char want[64];
    int got;
};

/* bench_roundtrip_cb - a record of the round-trip topic came back */
static int bench_roundtrip_cb(rd_kafka_message_t *msg, void *arg)
{
    struct bench_roundtrip *rt = arg;

    if (msg->len == strlen(rt->want) && memcmp(msg->payload, rt->want, msg->len) == 0)
        rt->got = 1;
    kafka_consumer_store(rt->consumer, msg);
    return 0;
}

/* bench_roundtrip_one - produce want, run the loop until it is consumed */
static int bench_roundtrip_one(struct bench *b, struct bench_roundtrip *rt, double timeout_ms)
{
    double deadline = bench_ms() + timeout_ms;

    rt->got = 0;
    if (kafka_producer_send(b->producer, BENCH_TOPIC, b->env, rt->want, strlen(rt->want), NULL)
        != 0)
        return -1;
    while (!rt->got && bench_ms() < deadline)
        event_base_loop(b->base, EVLOOP_ONCE);
    return rt->got ? 0 : -1;
}

/* bench_roundtrip_open - the topic, a consumer of its own group, and one
 * record seen (the group's join takes seconds) */
static int bench_roundtrip_open(struct bench *b, struct bench_roundtrip *rt)
{
    const char *topics[] = {BENCH_TOPIC};
    char group[128], err[512];

    if (kafka_topics_create(topics, 1, 1, (int)config_get_int("CUTOVER_TOPIC_REPLICATION"), err,
                            sizeof(err)) < 0) {
        fprintf(stderr, "bench_rollback: %s\n", err);
        return -1;
    }
    snprintf(group, sizeof(group), "%s-bench-%ld", config_get("CUTOVER_GROUP_PREFIX"),
             (long)getpid());
    rt->consumer = kafka_consumer_create(b->base, group, topics, 1, bench_roundtrip_cb, rt, err,
                                         sizeof(err));
    if (rt->consumer == NULL) {
        fprintf(stderr, "bench_rollback: consumer: %s\n", err);
        return -1;
    }
    for (int i = 0; i < BENCH_WAIT_SECONDS; i++) {
        snprintf(rt->want, sizeof(rt->want), "warm-up %ld %d", (long)getpid(), i);
        if (bench_roundtrip_one(b, rt, 1000) == 0)
            return 0;
    }
    return -1;
}

/* bench_idle - serve the loop for ms, producing and consuming nothing */
static void bench_idle(struct bench *b, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    event_base_loopexit(b->base, &tv);
    event_base_dispatch(b->base);
}

/* bench_floor_kafka - produce -> consume round trips, each after idle_ms
 * without a record (0: back to back) */
static int bench_floor_kafka(struct bench *b, double *v, size_t n, int idle_ms)
{
    struct bench_roundtrip rt = {0};
    int rc = bench_roundtrip_open(b, &rt);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        double t0;

        if (idle_ms > 0)
            bench_idle(b, idle_ms);
        t0 = bench_ms();
        snprintf(rt.want, sizeof(rt.want), "round trip %ld %d %zu", (long)getpid(), idle_ms, i);
        rc = bench_roundtrip_one(b, &rt, BENCH_WAIT_SECONDS * 1e3);
        v[i] = bench_ms() - t0;
    }
    kafka_consumer_free(rt.consumer);
    return rc;
}

/* The scratch copies of the tables a rollback's transaction writes. */
static const char *const bench_tables[] = {"inbox", "deployments", "transitions", "effects",
                                           "outbox"};

/* bench_scratch_create - the scratch schema, and a deployment row to lock */
static int bench_scratch_create(struct bench *b, const char *deployment_id)
{
    const char *params[] = {deployment_id};
    char sql[256];

    if (db_exec(b->db, "DROP SCHEMA IF EXISTS " BENCH_SCHEMA " CASCADE", 0, NULL) != 0
        || db_exec(b->db, "CREATE SCHEMA " BENCH_SCHEMA, 0, NULL) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(bench_tables) / sizeof(bench_tables[0]); i++) {
        snprintf(sql, sizeof(sql), "CREATE TABLE " BENCH_SCHEMA ".%s (LIKE public.%s INCLUDING ALL)",
                 bench_tables[i], bench_tables[i]);
        if (db_exec(b->db, sql, 0, NULL) != 0)
            return -1;
    }
    return db_exec(b->db,
                   "INSERT INTO " BENCH_SCHEMA ".deployments SELECT * FROM public.deployments"
                   " WHERE id = $1::uuid",
                   1, params);
}

/* bench_commit_body - the statements of a rollback's transaction */
static int bench_commit_body(struct bench *b, const char *deployment_id, size_t i)
{
    char id[32];
    const char *inbox[] = {BENCH_SOURCE, id, "cutover.alarm-fired", b->env, "alarm-fired", "0",
                           id, "rollbacker"};
    const char *dep[] = {deployment_id};
    const char *out[] = {"deployment-status", b->env, "{\"state\":\"rolling-back\"}"};

    snprintf(id, sizeof(id), "%zu", i);
    return db_exec(b->db,
                   "INSERT INTO " BENCH_SCHEMA ".inbox (source, id, type, subject, topic,"
                   " partition, \"offset\", consumer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                   " ON CONFLICT DO NOTHING", 8, inbox) != 0
        || db_exec(b->db, "SELECT * FROM " BENCH_SCHEMA ".deployments WHERE id = $1::uuid"
                   " FOR UPDATE", 1, dep) != 0
        || db_exec(b->db, "UPDATE " BENCH_SCHEMA ".deployments SET epoch = epoch + 1,"
                   " updated_at = now() WHERE id = $1::uuid", 1, dep) != 0
        || db_exec(b->db, "INSERT INTO " BENCH_SCHEMA ".transitions (deployment_id, from_state,"
                   " to_state, event_type, epoch) VALUES ($1, 'shifting', 'rolling-back',"
                   " 'cutover.alarm-fired', 1)", 1, dep) != 0
        || db_exec(b->db, "INSERT INTO " BENCH_SCHEMA ".effects (deployment_id, environment,"
                   " epoch, kind, arg, owner) SELECT id, environment, epoch, 'restore-weights',"
                   " 0, 'rollbacker' FROM " BENCH_SCHEMA ".deployments WHERE id = $1::uuid",
                   1, dep) != 0
        || db_exec(b->db, "INSERT INTO " BENCH_SCHEMA ".outbox (topic, key, value)"
                   " VALUES ($1, $2, $3)", 3, out) != 0
        ? -1 : 0;
}

/* bench_floor_commit - commits of the rollback's shape, on the scratch schema */
static int bench_floor_commit(struct bench *b, const char *deployment_id, double *v, size_t n)
{
    int rc = bench_scratch_create(b, deployment_id);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        double t0 = bench_ms();

        rc = db_begin(b->db) == 0 && bench_commit_body(b, deployment_id, i) == 0
                     && db_commit(b->db) == 0
                 ? 0
                 : -1;
        v[i] = bench_ms() - t0;
    }
    if (rc != 0)
        db_rollback(b->db);
    db_exec(b->db, "DROP SCHEMA IF EXISTS " BENCH_SCHEMA " CASCADE", 0, NULL);
    return rc;
}

/* bench_floor_set_weight - one "set weight" to the weight the server has */
static int bench_floor_set_weight(struct bench *b, double *v, size_t n)
{
    char err[256];
    int weight;

    if (haproxy_get_weight(b->sock, b->env, b->servers[0], &weight, err, sizeof(err)) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        double t0 = bench_ms();

        if (haproxy_set_weight(b->sock, b->env, b->servers[0], weight, err, sizeof(err)) != 0)
            return -1;
        v[i] = bench_ms() - t0;
    }
    return 0;
}

/* bench_floor - the floor's three parts; the sums of their medians and
 * of their p99s */
static int bench_floor(struct bench *b, const char *deployment_id, double *floor_ms,
                       double *floor_p99_ms)
{
    double v[BENCH_FLOOR_SAMPLES], p99, ignored;
    size_t n = BENCH_FLOOR_SAMPLES;
    char name[64];

    *floor_ms = *floor_p99_ms = 0;
    printf("floor, the workers' client code and settings (%zu samples each):\n", n);
    if (bench_floor_kafka(b, v, n, 0) != 0)
        return -1;
    *floor_ms += bench_report("kafka produce -> consume", v, n, &p99);
    *floor_p99_ms += p99;
    if (bench_floor_kafka(b, v, BENCH_IDLE_SAMPLES, BENCH_IDLE_MS) != 0)
        return -1;
    snprintf(name, sizeof(name), "kafka, each after %d ms idle (not added)", BENCH_IDLE_MS);
    bench_report(name, v, BENCH_IDLE_SAMPLES, &ignored);
    if (bench_floor_commit(b, deployment_id, v, n) != 0)
        return -1;
    *floor_ms += bench_report("postgresql commit, the rollback's shape", v, n, &p99);
    *floor_p99_ms += p99;
    if (bench_floor_set_weight(b, v, n) != 0)
        return -1;
    *floor_ms += bench_report("haproxy set weight", v, n, &p99);
    *floor_p99_ms += p99;
    return 0;
}

/* ---- main ---------------------------------------------------------------- */

/* bench_open - configuration, event loop, producer, database, servers */
static int bench_open(struct bench *b)
{
    char err[512];

    if (config_start("bench_rollback", 0) >= 0)
        return -1;
    b->sock = config_get("CUTOVER_HAPROXY_SOCKET");
    b->base = event_base_new();
    b->producer = b->base ? kafka_producer_create(b->base, NULL, NULL, 0, err, sizeof(err)) : NULL;
    if (b->producer == NULL || b->sock == NULL) {
        fprintf(stderr, "bench_rollback: %s\n", b->sock ? err : "CUTOVER_HAPROXY_SOCKET unset");
        return -1;
    }
    b->db = db_connect(config_get("CUTOVER_DATABASE_URL"));
    return b->db && bench_servers_find(b) == 0 ? 0 : -1;
}

/* bench_close - in reverse order of bench_open */
static void bench_close(struct bench *b)
{
    if (b->db)
        db_close(b->db);
    if (b->producer) {
        kafka_producer_flush(b->producer, 10000);
        kafka_producer_free(b->producer);
    }
    if (b->base)
        event_base_free(b->base);
    config_free();
}

/* bench_rounds - a warm-up round, printed and not counted (about a
 * second before the rollbacker's transaction that no later alarm pays:
 * this producer's first record to the alarm topic, the rollbacker's first
 * fetch of it), then every round, part k of round i in
 * v[k * rounds + i]; the last round's deployment in last */
static int bench_rounds(struct bench *b, double *v, long rounds, struct bench_deployment *last)
{
    double part[BENCH_PARTS];
    char build[64];

    if (bench_round(b, (int)rounds, part) != 0)
        return -1;
    printf("warm-up round, not counted: %.3f ms (to the transaction %.3f, after it %.3f)\n",
           part[0], part[1], part[2]);
    for (long i = 0; i < rounds; i++) {
        if (bench_round(b, (int)i, part) != 0)
            return -1;
        for (int k = 0; k < BENCH_PARTS; k++)
            v[k * rounds + i] = part[k];
        fprintf(stderr, "round %ld: %.3f ms (to the transaction %.3f, after it %.3f)\n", i,
                part[0], part[1], part[2]);
    }
    snprintf(build, sizeof(build), "rb-%ld-%ld", (long)getpid(), rounds - 1);
    return bench_deployment_read(b, build, last) == 1 ? 0 : -1;
}

/* bench_run - the rounds, then the floor, then the ratio */
static int bench_run(struct bench *b, long rounds)
{
    double *v = calloc((size_t)rounds * BENCH_PARTS, sizeof(*v)), p99, ignored, floor_ms,
           floor_p99_ms;
    struct bench_deployment last;
    int rc = -1;

    if (v == NULL || bench_rounds(b, v, rounds, &last) != 0)
        goto out;
    printf("rollback, %ld canaries held at 50 %% on the local stack:\n", rounds);
    bench_report(bench_part_names[0], v, (size_t)rounds, &p99);
    for (int k = 1; k < BENCH_PARTS; k++)
        bench_report(bench_part_names[k], v + k * rounds, (size_t)rounds, &ignored);
    if (bench_floor(b, last.id, &floor_ms, &floor_p99_ms) != 0)
        goto out;
    printf("  %-40s %8.3f ms (the sum of the parts' p50)\n", "floor", floor_ms);
    printf("  %-40s %8.2f (goal: at most 2)\n", "rollback p99 / floor", p99 / floor_ms);
    printf("  %-40s %8.3f ms (the sum of the parts' p99)\n", "floor's own p99", floor_p99_ms);
    printf("  %-40s %8.2f\n", "rollback p99 / floor's own p99", p99 / floor_p99_ms);
    rc = 0;
out:
    free(v);
    return rc;
}

int main(int argc, char **argv)
{
    struct bench b = {0};
    const char *rounds_env = getenv("BENCH_ROUNDS");
    long rounds = argc > 4 ? atol(argv[4]) : rounds_env ? atol(rounds_env) : 100;
    int rc;

    if (argc < 4 || rounds < 1) {
        fprintf(stderr, "usage: bench_rollback ENV ARTIFACT_URI SHA256 [ROUNDS]\n");
        return 2;
    }
    log_init("bench");
    b.env = argv[1];
    b.artifact_uri = argv[2];
    b.artifact_sha = argv[3];
    rc = bench_open(&b) == 0 && bench_run(&b, rounds) == 0 ? 0 : 1;
    if (rc != 0)
        fprintf(stderr, "bench_rollback: failed\n");
    bench_close(&b);
    return rc;
}
