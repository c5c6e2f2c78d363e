/*
 * test_outbox - the outbox publisher's bound on rows awaiting the broker
 *	(io/outbox.h, OUTBOX_PENDING_MAX) and how acknowledged rows are
 *	marked sent, and where a claim after a commit starts, against the
 *	real PostgreSQL of CUTOVER_DATABASE_URL (skipped without it), in a
 *	schema of its own.
 *
 * DESCRIPTION
 *	The producer points at a broker address nothing listens on, so no
 *	row it takes is ever acknowledged: the publisher claims rows until
 *	OUTBOX_PENDING_MAX of them are pending and then no more, leaving the
 *	rest unclaimed for another process. The marking tests hand
 *	outbox_delivered the reports the producer would: rows acknowledged in
 *	one turn of the loop are marked by one statement (one transaction:
 *	one xmin for them all), a failed delivery stays unsent, and
 *	outbox_free marks what is left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/config.h"
#include "base/share.h"
#include "io/migrate.h"
#include "io/outbox.h"

#include "db_schema.h"

#include <stdio.h>
#include <stdlib.h>

#define ROWS (OUTBOX_PENDING_MAX + 450)

struct fixture {
    struct db_schema s;
    struct event_base *base;
    struct kafka_producer *producer;
    struct outbox *outbox;
};

/* delivered - the producer's report, handed to the fixture's outbox */
static void delivered(rd_kafka_resp_err_t err, void *opaque, void *arg)
{
    struct fixture *fx = arg;

    outbox_delivered(fx->outbox, err, opaque);
}

/* fixture_create - cutover's tables in a fresh schema, a publisher whose
 * broker never answers */
static int fixture_create(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char dir[4096], err[512];

    *state = fx;
    setenv("CUTOVER_KAFKA_BROKERS", "127.0.0.1:1", 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
    if (db_schema_open(&fx->s, "test_outbox") != 0)
        return 0;
    assert_int_equal(share_path("migrations", dir, sizeof(dir)), 0);
    assert_int_equal(migrate_run(fx->s.db, dir, err, sizeof(err)), 0);
    fx->base = event_base_new();
    assert_non_null(fx->base);
    fx->producer = kafka_producer_create(fx->base, delivered, fx, 0, err, sizeof(err));
    assert_non_null(fx->producer);
    fx->outbox = outbox_create(fx->s.db, fx->producer, fx->base);
    assert_non_null(fx->outbox);
    return 0;
}

/* fixture_free - the publisher, the schema */
static int fixture_free(void **state)
{
    struct fixture *fx = *state;

    if (fx->producer)
        kafka_producer_free(fx->producer);
    outbox_free(fx->outbox);
    if (fx->base)
        event_base_free(fx->base);
    db_schema_close(&fx->s);
    config_free();
    free(fx);
    return 0;
}

/* count - the first column of the first row of sql */
static long count(struct fixture *fx, const char *sql)
{
    PGresult *res = db_query(fx->s.db, sql, 0, NULL);
    long n;

    assert_non_null(res);
    n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

/* test_pending_bound - claims stop at the bound; the rest stay unclaimed */
static void test_pending_bound(void **state)
{
    struct fixture *fx = *state;
    int published = 0, sent;

    if (fx->s.db == NULL)
        skip();
    assert_int_equal(db_begin(fx->s.db), 0);
    for (int i = 0; i < ROWS; i++)
        assert_int_equal(outbox_add(fx->s.db, "deployment-status", "shop", "{}"), 0);
    assert_int_equal(db_commit(fx->s.db), 0);
    for (int i = 0; i < ROWS && (sent = outbox_publish(fx->outbox)) > 0; i++)
        published += sent;
    assert_int_equal(sent, 0);
    assert_int_equal(published, OUTBOX_PENDING_MAX);
    assert_int_equal(outbox_pending(fx->outbox), OUTBOX_PENDING_MAX);
    assert_int_equal(count(fx, "SELECT count(*) FROM outbox WHERE lease_until IS NOT NULL"),
                     OUTBOX_PENDING_MAX);
    assert_int_equal(count(fx, "SELECT count(*) FROM outbox WHERE lease_until IS NULL"),
                     ROWS - OUTBOX_PENDING_MAX);
}

/* test_soon_starts_at_last_xmin - after a claim, a claim after a commit
 * starts at that claim's xmin: a row of an older transaction left
 * unclaimed (here: written with an old transaction id) is the sweeper's */
static void test_soon_starts_at_last_xmin(void **state)
{
    struct fixture *fx = *state;
    const char *old_row = "SELECT count(*) FROM outbox WHERE key = 'old' AND lease_until IS NOT NULL";

    if (fx->s.db == NULL)
        skip();
    assert_int_equal(outbox_add(fx->s.db, "deployment-status", "shop", "{}"), 0);
    outbox_publish_soon(fx->outbox);
    assert_int_equal(outbox_pending(fx->outbox), 1);
    assert_int_equal(db_exec(fx->s.db, "INSERT INTO outbox (txid, topic, key, value)"
                                       " VALUES ('3', 'deployment-status', 'old', '{}')",
                             0, NULL),
                     0);
    assert_int_equal(outbox_add(fx->s.db, "deployment-status", "shop", "{}"), 0);
    outbox_publish_soon(fx->outbox); /* claims again shortly while an open transaction holds it */
    for (int i = 0; i < 20 && outbox_pending(fx->outbox) < 2; i++)
        event_base_loop(fx->base, EVLOOP_ONCE);
    assert_int_equal(outbox_pending(fx->outbox), 2);
    assert_int_equal(count(fx, old_row), 0);
    assert_int_equal(outbox_publish(fx->outbox), 1);
    assert_int_equal(count(fx, old_row), 1);
}

/* add_rows - n committed rows; their ids, in order, into ids */
static void add_rows(struct fixture *fx, int n, int64_t *ids)
{
    PGresult *res;

    assert_int_equal(db_begin(fx->s.db), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(outbox_add(fx->s.db, "deployment-status", "shop", "{}"), 0);
    assert_int_equal(db_commit(fx->s.db), 0);
    res = db_query(fx->s.db, "SELECT id FROM outbox ORDER BY id", 0, NULL);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), n);
    for (int i = 0; i < n; i++)
        ids[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
    PQclear(res);
}

/* report - the producer's delivery report for row id */
static void report(struct fixture *fx, int64_t id, rd_kafka_resp_err_t err)
{
    outbox_delivered(fx->outbox, err, (void *)(intptr_t)id);
}

/* rows_acknowledged - written committed rows (ids into ids), the first
 * acked of them reported delivered */
static void rows_acknowledged(struct fixture *fx, int64_t *ids, int written, int acked)
{
    if (fx->s.db == NULL)
        skip();
    add_rows(fx, written, ids);
    for (int i = 0; i < acked; i++)
        report(fx, ids[i], RD_KAFKA_RESP_ERR_NO_ERROR);
}

#define MARKED "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"
#define MARKING_STATEMENTS "SELECT count(DISTINCT xmin::text) FROM outbox WHERE sent_at IS NOT NULL"
#define LAST_UNSENT                                                                                \
    "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND id = (SELECT max(id) FROM outbox)"

/* test_marked_together - the reports of one turn of the loop are marked
 * sent by one statement once the loop runs; a failed delivery is not */
static void test_marked_together(void **state)
{
    struct fixture *fx = *state;
    int64_t ids[40];

    rows_acknowledged(fx, ids, 40, 39);
    report(fx, ids[39], RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
    assert_int_equal(count(fx, MARKED), 0); /* not while the reports' callback runs */
    assert_int_equal(event_base_loop(fx->base, EVLOOP_NONBLOCK), 0);
    assert_int_equal(count(fx, MARKED), 39);
    assert_int_equal(count(fx, MARKING_STATEMENTS), 1);
    assert_int_equal(count(fx, LAST_UNSENT), 1);
}

/* test_marked_in_bounded_statements - past OUTBOX_MARK_MAX (256) reports
 * in one turn, a second statement marks the rest */
static void test_marked_in_bounded_statements(void **state)
{
    struct fixture *fx = *state;
    int64_t ids[300];

    rows_acknowledged(fx, ids, 300, 300);
    assert_int_equal(event_base_loop(fx->base, EVLOOP_NONBLOCK), 0);
    assert_int_equal(count(fx, MARKED), 300);
    assert_int_equal(count(fx, MARKING_STATEMENTS), 2);
}

/* test_marked_when_freed - outbox_free marks what the loop did not */
static void test_marked_when_freed(void **state)
{
    struct fixture *fx = *state;
    int64_t ids[5];

    rows_acknowledged(fx, ids, 5, 5);
    outbox_free(fx->outbox);
    fx->outbox = NULL;
    assert_int_equal(count(fx, MARKED), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pending_bound, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_marked_together, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_marked_in_bounded_statements, fixture_create,
                                        fixture_free),
        cmocka_unit_test_setup_teardown(test_marked_when_freed, fixture_create, fixture_free),
        cmocka_unit_test_setup_teardown(test_soon_starts_at_last_xmin, fixture_create,
                                        fixture_free),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
