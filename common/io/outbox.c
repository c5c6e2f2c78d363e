/*
 * outbox - events written in a transaction, published after it commits
 *          (see outbox.h).
 */
#include "io/outbox.h"

#include "base/log.h"
#include "base/metrics.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define OUTBOX_BATCH 200u
#define OUTBOX_SOON_MAX_MS 512 /* outbox_publish_soon's last delay; the sweeper after it */
#define OUTBOX_MARK_MAX 256    /* acknowledged rows marked sent by one statement at most */
#define OUTBOX_FIRST_TXID "0"  /* a claim's bound that passes over no row */

/* Seconds: a delivery takes milliseconds; the sweeper resends after a second or more. */
static const double outbox_latency_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                0.5,   1,    2.5,   5,    10,  30};

struct outbox {
    struct db *db;
    struct kafka_producer *producer;
    unsigned pending;
    struct event *ev_soon; /* outbox_publish_soon's next claim */
    long soon_ms;          /* its delay, doubled at each empty claim */
    struct event *ev_mark; /* outbox_mark_sent, once the current callbacks are done */
    int64_t acked[OUTBOX_MARK_MAX]; /* rows the broker acknowledged, not marked yet */
    size_t acked_count;
    char low_txid[24]; /* outbox_publish_soon's claims start here (xid8, text) */
};

/* The claim: committed rows from transaction $3 on, in commit order; each
 * row returned carries the snapshot's xmin, where the next claim after a
 * commit may start (outbox_publish_soon) */
static const char outbox_claim_sql[] =
    "UPDATE outbox SET lease_until = now() + make_interval(secs => $2::double precision / 1000)"
    " WHERE id IN (SELECT id FROM outbox"
    "   WHERE sent_at IS NULL"
    "     AND txid < pg_snapshot_xmin(pg_current_snapshot()) AND txid >= $3::xid8"
    "     AND (lease_until IS NULL OR lease_until < now())"
    "   ORDER BY txid, id LIMIT $1 FOR UPDATE SKIP LOCKED)"
    " RETURNING id, topic, key, value, txid::text AS txid, coalesce(full_topic, ''),"
    " pg_snapshot_xmin(pg_current_snapshot())::text";

/* outbox_metric_latency - cutover_outbox_publish_latency_seconds */
static struct metric_family *outbox_metric_latency(void)
{
    return metrics_histogram("cutover_outbox_publish_latency_seconds",
                             "Time from an outbox row's insert to Kafka's acknowledgement.", NULL,
                             0, outbox_latency_buckets,
                             sizeof(outbox_latency_buckets) / sizeof(outbox_latency_buckets[0]));
}

/* outbox_metric_failures - cutover_outbox_delivery_failures_total */
static struct metric_family *outbox_metric_failures(void)
{
    return metrics_counter("cutover_outbox_delivery_failures_total",
                           "Outbox rows Kafka did not acknowledge (the sweeper sends them again).",
                           NULL, 0);
}

static void outbox_soon_cb(evutil_socket_t fd, short what, void *arg);
static void outbox_mark_cb(evutil_socket_t fd, short what, void *arg);

/* outbox_create - a publisher of db's outbox through producer */
struct outbox *outbox_create(struct db *db, struct kafka_producer *producer,
                             struct event_base *base)
{
    struct outbox *o = calloc(1, sizeof(*o));

    outbox_metric_latency();
    outbox_metric_failures();
    if (o == NULL)
        return NULL;
    o->db = db;
    o->producer = producer;
    snprintf(o->low_txid, sizeof(o->low_txid), "%s", OUTBOX_FIRST_TXID);
    o->ev_soon = evtimer_new(base, outbox_soon_cb, o);
    o->ev_mark = evtimer_new(base, outbox_mark_cb, o);
    if (o->ev_soon == NULL || o->ev_mark == NULL) {
        outbox_free(o);
        return NULL;
    }
    return o;
}

static void outbox_mark_sent(struct outbox *o);

/* outbox_free - mark what the broker acknowledged (the producer flushed
 * before), then release the publisher */
void outbox_free(struct outbox *o)
{
    if (o == NULL)
        return;
    outbox_mark_sent(o);
    if (o->ev_soon)
        event_free(o->ev_soon);
    if (o->ev_mark)
        event_free(o->ev_mark);
    free(o);
}

/* outbox_add - one row, inside the caller's transaction, naming its topic
 * in full: whichever process publishes it sends it there */
int outbox_add(struct db *db, const char *topic, const char *key, const char *value)
{
    char full[256];
    const char *params[] = {topic, key, value, full};

    if (kafka_topic_full(topic, full, sizeof(full)) != 0)
        return -1;
    return db_exec(db, "INSERT INTO outbox (topic, key, value, full_topic) VALUES ($1, $2, $3, $4)",
                   4, params);
}

struct outbox_row {
    int64_t id;
    uint64_t txid;
    int index;
};

/* outbox_row_cmp - commit order: transaction id, then row id */
static int outbox_row_cmp(const void *a, const void *b)
{
    const struct outbox_row *x = a, *y = b;

    if (x->txid != y->txid)
        return x->txid < y->txid ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* outbox_send_row - produce claimed row r to the topic its writer named;
 * a row written before full_topic existed goes to this process's topic */
static int outbox_send_row(struct outbox *o, PGresult *res, int r, int64_t id)
{
    const char *full = PQgetvalue(res, r, 5), *key = PQgetvalue(res, r, 2);
    const char *value = PQgetvalue(res, r, 3);
    size_t len = (size_t)PQgetlength(res, r, 3);
    void *opaque = (void *)(intptr_t)id;

    if (full[0] != '\0')
        return kafka_producer_send_full(o->producer, full, key, value, len, opaque);
    return kafka_producer_send(o->producer, PQgetvalue(res, r, 1), key, value, len, opaque);
}

/* outbox_send_rows - produce claimed rows in commit order */
static int outbox_send_rows(struct outbox *o, PGresult *res)
{
    int n = PQntuples(res), sent = 0;
    struct outbox_row *rows = calloc((size_t)n + 1, sizeof(*rows));

    if (rows == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        rows[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        rows[i].txid = strtoull(PQgetvalue(res, i, 4), NULL, 10);
        rows[i].index = i;
    }
    qsort(rows, (size_t)n, sizeof(*rows), outbox_row_cmp);
    for (int i = 0; i < n; i++) {
        int r = rows[i].index;
        if (outbox_send_row(o, res, r, rows[i].id) == 0) {
            o->pending++;
            sent++;
        }
    }
    free(rows);
    return sent;
}

/* outbox_claim - claim committed rows from transaction low_txid on, as
 * many as the room left under OUTBOX_PENDING_MAX allows, and hand them to
 * the producer. A claim that took fewer rows than it could saw every row
 * claimable below its snapshot's xmin: the next claims after a commit
 * start there (low_txid). */
static int outbox_claim(struct outbox *o, const char *low_txid)
{
    unsigned room = o->pending < OUTBOX_PENDING_MAX ? OUTBOX_PENDING_MAX - o->pending : 0;
    unsigned batch = room < OUTBOX_BATCH ? room : OUTBOX_BATCH;
    char limit[16], lease[16];
    const char *params[] = {limit, lease, low_txid};
    PGresult *res;
    int sent;

    if (room == 0)
        return 0;
    snprintf(limit, sizeof(limit), "%u", batch);
    snprintf(lease, sizeof(lease), "%d", OUTBOX_LEASE_MS);
    if (!db_ok(o->db))
        return -1;
    res = db_query(o->db, outbox_claim_sql, 3, params);
    if (res == NULL)
        return -1;
    if (PQntuples(res) > 0 && (unsigned)PQntuples(res) < batch)
        snprintf(o->low_txid, sizeof(o->low_txid), "%s", PQgetvalue(res, 0, 6));
    sent = outbox_send_rows(o, res);
    PQclear(res);
    return sent;
}

/* outbox_publish - claim every committed row not claimed (the sweeper:
 * also rows whose lease ran out, or that a claim after a commit passed) */
int outbox_publish(struct outbox *o)
{
    return outbox_claim(o, OUTBOX_FIRST_TXID);
}

/* outbox_soon_again - claim again after the current delay, doubled next
 * time; past OUTBOX_SOON_MAX_MS the sweeper takes over */
static void outbox_soon_again(struct outbox *o)
{
    struct timeval delay = {0, o->soon_ms * 1000};

    if (o->soon_ms > OUTBOX_SOON_MAX_MS)
        return;
    event_add(o->ev_soon, &delay);
    o->soon_ms *= 2;
}

/* outbox_soon_cb - a claim after a commit whose rows were held back */
static void outbox_soon_cb(evutil_socket_t fd, short what, void *arg)
{
    struct outbox *o = arg;

    (void)fd;
    (void)what;
    if (outbox_claim(o, o->low_txid) == 0)
        outbox_soon_again(o);
}

/* outbox_publish_soon - publish what a commit just wrote, claiming again
 * shortly while an older open transaction holds it back */
void outbox_publish_soon(struct outbox *o)
{
    if (outbox_claim(o, o->low_txid) != 0)
        return;
    o->soon_ms = 1;
    outbox_soon_again(o);
}

/* An array literal of OUTBOX_MARK_MAX ids: "{", up to 20 characters and a
 * comma each, "}" and the NUL. */
#define OUTBOX_IDS_LEN (OUTBOX_MARK_MAX * 21 + 3)

/* outbox_acked_param - the acknowledged rows' ids as an array literal */
static const char *outbox_acked_param(const struct outbox *o, char ids[OUTBOX_IDS_LEN])
{
    size_t at = 0;

    for (size_t i = 0; i < o->acked_count; i++)
        at += (size_t)snprintf(ids + at, OUTBOX_IDS_LEN - at, "%c%" PRId64, i ? ',' : '{',
                               o->acked[i]);
    snprintf(ids + at, OUTBOX_IDS_LEN - at, "}");
    return ids;
}

/* outbox_mark_sent - mark every acknowledged row sent, in one statement;
 * a row left unmarked (the statement failed) is sent again later */
static void outbox_mark_sent(struct outbox *o)
{
    char ids[OUTBOX_IDS_LEN];
    const char *params[1];
    PGresult *res = NULL;

    if (o->acked_count == 0)
        return;
    params[0] = outbox_acked_param(o, ids);
    if (db_ok(o->db))
        res = db_query(o->db,
                       "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])"
                       " RETURNING extract(epoch FROM clock_timestamp() - created_at)",
                       1, params);
    if (res == NULL)
        log_warn("%zu outbox rows delivered but not marked sent: they may be sent again",
                 o->acked_count);
    for (int r = 0; res && r < PQntuples(res); r++)
        metrics_observe(outbox_metric_latency(), strtod(PQgetvalue(res, r, 0), NULL), NULL);
    PQclear(res);
    o->acked_count = 0;
}

/* outbox_mark_cb - the delivery reports of this turn of the loop are in */
static void outbox_mark_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    outbox_mark_sent(arg);
}

/* outbox_delivered - a row the broker acknowledged is marked sent once
 * the loop's current callbacks are done, with the others acknowledged
 * meanwhile (the reports of one producer poll come together): one
 * statement for them all instead of one for each */
void outbox_delivered(struct outbox *o, rd_kafka_resp_err_t err, void *opaque)
{
    int64_t id = (int64_t)(intptr_t)opaque;

    if (o->pending)
        o->pending--;
    if (err) {
        log_warn("outbox row %" PRId64 " not delivered (%s): the sweeper sends it again", id,
                 rd_kafka_err2str(err));
        metrics_add(outbox_metric_failures(), 1, NULL);
        return;
    }
    if (o->acked_count == OUTBOX_MARK_MAX)
        outbox_mark_sent(o);
    if (o->acked_count++ == 0)
        event_active(o->ev_mark, EV_TIMEOUT, 0);
    o->acked[o->acked_count - 1] = id;
}

/* outbox_pending - rows sent and not yet acknowledged */
unsigned outbox_pending(const struct outbox *o)
{
    return o->pending;
}

/* outbox_backlog - unsent rows and the age of the oldest (the partial
 * index outbox_unsent keeps this cheap) */
int outbox_backlog(struct outbox *o, double *rows, double *oldest_seconds)
{
    PGresult *res;

    if (!db_ok(o->db))
        return -1;
    res = db_query(o->db,
                   "SELECT count(*), coalesce(extract(epoch FROM clock_timestamp()"
                   " - min(created_at)), 0) FROM outbox WHERE sent_at IS NULL",
                   0, NULL);
    if (res == NULL)
        return -1;
    *rows = strtod(PQgetvalue(res, 0, 0), NULL);
    *oldest_seconds = strtod(PQgetvalue(res, 0, 1), NULL);
    PQclear(res);
    return 0;
}
