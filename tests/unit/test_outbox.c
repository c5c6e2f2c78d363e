/*
 * test_outbox - the outbox publisher's bound on rows awaiting the broker
 *	(io/outbox.h, OUTBOX_PENDING_MAX), against the real PostgreSQL of
 *	CUTOVER_DATABASE_URL (skipped without it), in a schema of its own.
 *
 * DESCRIPTION
 *	The producer points at a broker address nothing listens on, so no
 *	row it takes is ever acknowledged: the publisher claims rows until
 *	OUTBOX_PENDING_MAX of them are pending and then no more, leaving the
 *	rest unclaimed for another process.
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
    fx->producer = kafka_producer_create(fx->base, delivered, fx, err, sizeof(err));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pending_bound, fixture_create, fixture_free),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
