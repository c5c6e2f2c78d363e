/*
 * test_saga_engine - the saga engine (deployment_receive, deployment_apply,
 *                    the effects table) driven through its narrow context
 *                    against a real PostgreSQL, with no worker and no Kafka;
 *                    the one table of effect owners; the one definition
 *                    of finished states, SQL against C; each color's
 *                    health recorded only when it changed; and the
 *                    database stage (migrating first, a failed contract
 *                    retried); a transition's timer cancel reads its
 *                    own timers.
 *
 * DESCRIPTION
 *	Needs CUTOVER_DATABASE_URL (ops/devstack env gives it); without it
 *	the database tests are skipped. Each test applies cutover's own
 *	migrations in a schema of its own (db_schema.h). The context's emit
 *	collects the events the engine would have put in the outbox, so a
 *	test reads what the saga decided from the rows and the events alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/share.h"
#include "io/migrate.h"
#include "saga/deployment.h"
#include "saga/effect.h"
#include "saga/health.h"
#include "saga/migration.h"
#include "saga/status.h"

#include "db_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMITTED_MAX 32

struct fixture {
    struct db_schema s;
    struct saga_ctx ctx;
    cJSON *emitted; /* [{topic, environment, data}] */
};

/* collect_cb - the context's emit: keep the event for the test */
static int collect_cb(void *sink, const char *topic, const char *environment, cJSON *data)
{
    struct fixture *fx = sink;
    cJSON *ev = cJSON_CreateObject();

    cJSON_AddStringToObject(ev, "topic", topic);
    cJSON_AddStringToObject(ev, "environment", environment);
    cJSON_AddItemToObject(ev, "data", data);
    cJSON_AddItemToArray(fx->emitted, ev);
    return cJSON_GetArraySize(fx->emitted) <= EMITTED_MAX ? 0 : -1;
}

/* fixture_create - cutover's schema in a fresh schema, one environment */
static int fixture_create(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char dir[4096], err[512];

    *state = fx;
    fx->emitted = cJSON_CreateArray();
    if (db_schema_open(&fx->s, "test_saga_engine") != 0)
        return 0;
    assert_int_equal(share_path("migrations", dir, sizeof(dir)), 0);
    assert_int_equal(migrate_run(fx->s.db, dir, err, sizeof(err)), 0);
    assert_int_equal(db_exec(fx->s.db,
                             "INSERT INTO environments (name, provider, config)"
                             " VALUES ('shop', 'local', '{\"capacity\": 3}')",
                             0, NULL),
                     0);
    fx->ctx = (struct saga_ctx){fx->s.db, "scaler", collect_cb, NULL, fx};
    return 0;
}

/* fixture_free - drop the schema */
static int fixture_free(void **state)
{
    struct fixture *fx = *state;

    db_schema_close(&fx->s);
    cJSON_Delete(fx->emitted);
    free(fx);
    return 0;
}

/* need_db - skip the test when no database is configured */
static struct fixture *need_db(void **state)
{
    struct fixture *fx = *state;

    if (fx->s.db == NULL)
        skip();
    return fx;
}

/* query_text - the first column of the first row, or "" when none */
static void query_text(struct db *db, const char *sql, const char *param, char *out, size_t len)
{
    PGresult *res = db_query(db, sql, param ? 1 : 0, param ? &param : NULL);

    assert_non_null(res);
    snprintf(out, len, "%s", PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
}

/* query_long - the first column of the first row as a number */
static long query_long(struct db *db, const char *sql, const char *param)
{
    char text[64];

    query_text(db, sql, param, text, sizeof(text));
    return strtol(text, NULL, 10);
}

/* receive_build - one build-ready for shop, received in its own transaction */
static void receive_build(struct fixture *fx, const char *build_id)
{
    struct cloud_event ev;
    struct event_error err = {0};
    cJSON *data = cJSON_CreateObject();
    cJSON *artifact = cJSON_AddObjectToObject(data, "artifact");

    cJSON_AddStringToObject(data, "environment", "shop");
    cJSON_AddStringToObject(data, "build_id", build_id);
    cJSON_AddStringToObject(data, "version", build_id);
    cJSON_AddStringToObject(artifact, "uri", "file:///releases/shop.tar.gz");
    cJSON_AddStringToObject(artifact, "sha256", "0000000000000000000000000000000000000000000000000000000000000000");
    assert_int_equal(event_create(&ev, "build-ready", "ci/test", "shop", data), 0);
    assert_int_equal(db_begin(fx->s.db), 0);
    assert_int_equal(deployment_receive(&fx->ctx, &ev, &err), 0);
    assert_int_equal(db_commit(fx->s.db), 0);
    cloudevent_free(&ev);
}

/* emitted_state - the state of the index-th deployment-status emitted */
static const char *emitted_state(struct fixture *fx, int index)
{
    cJSON *ev;
    int n = 0;

    cJSON_ArrayForEach(ev, fx->emitted)
    {
        const cJSON *topic = cJSON_GetObjectItemCaseSensitive(ev, "topic");
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(ev, "data");

        if (strcmp(topic->valuestring, "deployment-status") == 0 && n++ == index)
            return cJSON_GetObjectItemCaseSensitive(data, "state")->valuestring;
    }
    return "";
}

/* test_finished_states_match - deployment_finished() in SQL is saga_is_terminal() */
static void test_finished_states_match(void **state)
{
    struct fixture *fx = need_db(state);

    for (int k = 0; k < SAGA_STATE_COUNT; k++) {
        const char *name = saga_state_name((enum saga_state_kind)k);
        char finished[8];

        query_text(fx->s.db, "SELECT deployment_finished($1)::text", name, finished,
                   sizeof(finished));
        if (strcmp(finished, saga_is_terminal((enum saga_state_kind)k) ? "true" : "false") != 0)
            fail_msg("state %s: deployment_finished() says %s", name, finished);
    }
}

/* test_owner_table - every effect a worker performs has one owner, and
 * the check refuses a step for another's effect or a missing step */
static void test_owner_table(void **state)
{
    static const struct effect_handler scaler[] = {
        {SAGA_FX_SCALE_NEW, NULL},
        {SAGA_FX_RETIRE_OLD, NULL},
    };
    static const struct effect_handler greedy[] = {
        {SAGA_FX_SCALE_NEW, NULL},
        {SAGA_FX_RETIRE_OLD, NULL},
        {SAGA_FX_SET_WEIGHTS, NULL},
    };
    char why[256];

    (void)state;
    assert_int_equal(effect_owners_check("scaler", scaler, 2, why, sizeof(why)), 0);
    assert_int_equal(effect_owners_check("scaler", greedy, 3, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "shifter"));
    assert_int_equal(effect_owners_check("scaler", scaler, 1, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "retire-old"));
    assert_null(effect_owner(SAGA_FX_EMIT_STATUS));
    assert_string_equal(effect_owner(SAGA_FX_RESTORE_WEIGHTS), "rollbacker");
}

/* test_receive_starts - a build for an idle environment starts scaling:
 * the row, the scaler's effect, the stage timer and the status event */
static void test_receive_starts(void **state)
{
    struct fixture *fx = need_db(state);
    char deployment_state[32];

    receive_build(fx, "b1");
    query_text(fx->s.db, "SELECT state FROM deployments WHERE build_id = $1", "b1",
               deployment_state, sizeof(deployment_state));
    assert_string_equal(deployment_state, "scaling");
    assert_int_equal(query_long(fx->s.db,
                                "SELECT count(*) FROM effects WHERE kind = 'scale-new'"
                                " AND owner = $1 AND status = 'pending' AND arg = 3",
                                "scaler"),
                     1);
    assert_int_equal(query_long(fx->s.db,
                                "SELECT count(*) FROM timers WHERE kind = $1 AND fired_at IS NULL",
                                "stage-timeout"),
                     1);
    assert_string_equal(emitted_state(fx, 0), "scaling");
}

/* test_receive_twice - the same build_id twice is one deployment */
static void test_receive_twice(void **state)
{
    struct fixture *fx = need_db(state);

    receive_build(fx, "b1");
    receive_build(fx, "b1");
    assert_int_equal(query_long(fx->s.db, "SELECT count(*) FROM deployments WHERE build_id = $1",
                                "b1"),
                     1);
    assert_int_equal(query_long(fx->s.db, "SELECT count(*) FROM effects WHERE kind = $1",
                                "scale-new"),
                     1);
}

/* test_newer_build_supersedes - a newer build replaces one that moved no
 * traffic, and its stale effect is fenced off by the epoch */
static void test_newer_build_supersedes(void **state)
{
    struct fixture *fx = need_db(state);
    char old_state[32], new_state[32];

    receive_build(fx, "b1");
    receive_build(fx, "b2");
    query_text(fx->s.db, "SELECT state FROM deployments WHERE build_id = $1", "b1", old_state,
               sizeof(old_state));
    query_text(fx->s.db, "SELECT state FROM deployments WHERE build_id = $1", "b2", new_state,
               sizeof(new_state));
    assert_string_equal(old_state, "superseded");
    assert_string_equal(new_state, "scaling");
    assert_int_equal(query_long(fx->s.db,
                                "SELECT count(*) FROM deployments WHERE NOT queued"
                                " AND NOT deployment_finished(state) AND environment = $1",
                                "shop"),
                     1);
}

/* apply_input - feed one input to build_id's deployment in its own transaction */
static void apply_input(struct fixture *fx, const char *build_id, struct saga_input in,
                        const struct deployment_note *note)
{
    struct deployment d;
    char id[40], why[256];

    query_text(fx->s.db, "SELECT id FROM deployments WHERE build_id = $1", build_id, id,
               sizeof(id));
    assert_int_equal(db_begin(fx->s.db), 0);
    assert_int_equal(deployment_lock(fx->s.db, id, &d), 0);
    if (in.epoch < 0) /* "the deployment's own epoch" */
        in.epoch = d.saga.epoch;
    assert_int_equal(deployment_apply(&fx->ctx, &d, &in, note, why, sizeof(why)),
                     SAGA_TRANSITION);
    deployment_release(&d);
    assert_int_equal(db_commit(fx->s.db), 0);
}

/* assert_reason - build_id's deployment is in state and its reason is want */
static void assert_reason(struct fixture *fx, const char *build_id, const char *state,
                          const char *want)
{
    char text[512];

    query_text(fx->s.db, "SELECT state || ' / ' || coalesce(reason, '(null)') FROM deployments"
                         " WHERE build_id = $1", build_id, text, sizeof(text));
    if (strncmp(text, state, strlen(state)) != 0 || strstr(text, want) == NULL)
        fail_msg("deployment %s: \"%s\", want %s with reason \"%s\"", build_id, text, state,
                 want);
}

/* test_abort_reason - an operator's abort without a reason of its own
 * (the CLI sends "") ends the deployment with the abort as its reason,
 * not the reason it was accepted for */
static void test_abort_reason(void **state)
{
    struct fixture *fx = need_db(state);
    struct deployment_note abort = {"cutover.shift-requested", "e1", "carol", ""};

    receive_build(fx, "b1");
    apply_input(fx, "b1", (struct saga_input){.kind = SAGA_IN_ABORT}, &abort);
    assert_reason(fx, "b1", "failed", "abort requested by carol");
}

/* sql_ok - one statement that must succeed */
static void sql_ok(struct fixture *fx, const char *statement)
{
    assert_int_equal(db_exec(fx->s.db, statement, 0, NULL), 0);
}

#define OTHER_DEPLOYMENT "5b0f5f3e-8c1a-4d55-9a35-0d6c1b6b2a11"

/* A transition cancels its deployment's open timers, and reads those
 * alone: thousands of other deployments' timers open (a burst in flight,
 * written after the statistics were taken) are not read to find them. */
static void test_timer_cancel_reads_own(void **state)
{
    struct fixture *fx = need_db(state);
    struct deployment_note abort = {"cutover.shift-requested", "e1", "carol", ""};
    long long before, read;

    receive_build(fx, "b1");
    sql_ok(fx, "ANALYZE timers");
    sql_ok(fx, "INSERT INTO environments (name, provider, config) VALUES ('cafe', 'local', '{}')");
    sql_ok(fx, "INSERT INTO deployments (id, environment, build_id, version, artifact, request,"
               " state, epoch) VALUES ('" OTHER_DEPLOYMENT "', 'cafe', 'c1', '1', '{}', '{}',"
               " 'shifting', 1)");
    sql_ok(fx, "INSERT INTO timers (deployment_id, kind, epoch, armed_in, fire_at)"
               " SELECT '" OTHER_DEPLOYMENT "', 'step-due', 1, 'shifting',"
               " now() + interval '1 hour' FROM generate_series(1, 3000)");
    before = db_schema_rows_read(&fx->s, "timers");
    apply_input(fx, "b1", (struct saga_input){.kind = SAGA_IN_ABORT}, &abort);
    read = db_schema_rows_read(&fx->s, "timers") - before;
    assert_int_equal(query_long(fx->s.db,
                                "SELECT count(*) FROM timers WHERE cancelled_at IS NOT NULL"
                                " AND kind = $1", "stage-timeout"),
                     1);
    assert_int_equal(query_long(fx->s.db,
                                "SELECT count(*) FROM timers WHERE cancelled_at IS NULL"
                                " AND deployment_id = $1::uuid", OTHER_DEPLOYMENT),
                     3000); /* the other deployment's timers stay armed */
    printf("# %lld rows of timers read by the transition\n", read);
    assert_true(read < 100); /* every open timer: 3,001 */
}

/* test_rollback_reason_kept - the cause of a rollback (an operator's, with
 * a reason) stays the deployment's reason once the compensation is done */
static void test_rollback_reason_kept(void **state)
{
    struct fixture *fx = need_db(state);
    struct deployment_note rollback = {"cutover.shift-requested", "e2", "dave", "checkout slow"};
    struct deployment_note done = {"effect:scale-new-to-zero", NULL, "rollbacker", NULL};

    receive_build(fx, "b1");
    assert_int_equal(db_exec(fx->s.db, "UPDATE deployments SET state = 'shifting',"
                                       " weight_new = 50 WHERE build_id = 'b1'", 0, NULL), 0);
    apply_input(fx, "b1", (struct saga_input){.kind = SAGA_IN_ROLLBACK}, &rollback);
    assert_reason(fx, "b1", "rolling-back", "rollback requested by dave: checkout slow");
    apply_input(fx, "b1", (struct saga_input){.kind = SAGA_IN_ROLLED_BACK, .epoch = -1}, &done);
    assert_reason(fx, "b1", "rolled-back", "rollback requested by dave: checkout slow");
}

/* test_timeout_reason - a stage deadline that fails the deployment says so */
static void test_timeout_reason(void **state)
{
    struct fixture *fx = need_db(state);
    struct deployment_note timer = {"timer:stage-timeout", "7", "scaler", NULL};

    receive_build(fx, "b1");
    apply_input(fx, "b1",
                (struct saga_input){.kind = SAGA_IN_STAGE_TIMEOUT, .epoch = -1,
                                    .armed_in = SAGA_SCALING},
                &timer);
    assert_reason(fx, "b1", "failed", "scaling took longer than its deadline");
}

/* health_rows - shop's color_health rows with their versions (xmin, xmax) */
static void health_rows(struct fixture *fx, char *out, size_t len)
{
    query_text(fx->s.db,
               "SELECT string_agg(color || ':' || xmin || ':' || xmax || ':' || changed_at, ' '"
               " ORDER BY color) FROM color_health WHERE environment = $1",
               "shop", out, len);
}

/* health_errors - shop's colors recorded with no counts and this error */
static long health_errors(struct fixture *fx, const char *error)
{
    return query_long(fx->s.db,
                      "SELECT count(*) FROM color_health WHERE environment = 'shop'"
                      " AND desired IS NULL AND healthy IS NULL AND error = $1",
                      error);
}

/* The error of a local provider without its "local" section. */
#define LOCAL_UNREADABLE "provider: local provider: the \"local\" object is required"

/* A provider that cannot be read is recorded as its error on both colors,
 * in the status document too; a reading that did not change writes and
 * locks no row; one that changed is written. */
static void test_health_recorded_when_changed(void **state)
{
    struct fixture *fx = need_db(state);
    char first[512], again[512];
    cJSON *doc;

    health_check(&fx->ctx);
    assert_int_equal(health_errors(fx, "provider: shop: the environment document names no known"
                                       " provider"),
                     2);
    health_rows(fx, first, sizeof(first));
    health_check(&fx->ctx);
    health_rows(fx, again, sizeof(again));
    assert_string_equal(first, again);
    assert_int_equal(db_exec(fx->s.db,
                             "UPDATE environments SET version = version + 1,"
                             " config = '{\"provider\": \"local\", \"capacity\": 3}'"
                             " WHERE name = 'shop'",
                             0, NULL),
                     0);
    health_check(&fx->ctx);
    assert_int_equal(health_errors(fx, LOCAL_UNREADABLE), 2);
    assert_int_equal(status_environment(fx->s.db, "shop", &doc), STATUS_OK);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
                            cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "health"), "green"),
                            "error")),
                        LOCAL_UNREADABLE);
    cJSON_Delete(doc);
}

/* with_database - shop's document gets a database section: the database stage runs */
static void with_database(struct fixture *fx)
{
    assert_int_equal(db_exec(fx->s.db,
                             "UPDATE environments SET config = config ||"
                             " '{\"database\": {\"engine\": \"mysql\"}}' WHERE name = 'shop'",
                             0, NULL),
                     0);
}

/* effects_of - how many effects of kind, owned by the migrator, are pending */
static long migrator_pending(struct fixture *fx, const char *kind)
{
    return query_long(fx->s.db,
                      "SELECT count(*) FROM effects WHERE kind = $1 AND owner = 'migrator'"
                      " AND status = 'pending'",
                      kind);
}

/* test_database_stage_first - with a database, a build starts migrating:
 * the migrator's expand and old-color checks, no scale yet */
static void test_database_stage_first(void **state)
{
    struct fixture *fx = need_db(state);

    with_database(fx);
    receive_build(fx, "b1");
    assert_reason(fx, "b1", "migrating", "build-ready accepted");
    assert_int_equal(migrator_pending(fx, "migrate-expand"), 1);
    assert_int_equal(migrator_pending(fx, "check-old-color"), 1);
    assert_int_equal(query_long(fx->s.db,
                                "SELECT (SELECT id FROM effects WHERE kind = 'check-old-color')"
                                " - (SELECT id FROM effects WHERE kind = $1)",
                                "migrate-expand"),
                     1);
    assert_int_equal(query_long(fx->s.db, "SELECT count(*) FROM effects WHERE kind = $1",
                                "scale-new"),
                     0);
    assert_string_equal(emitted_state(fx, 0), "migrating");
}

/* to_contracting - b1 of a database environment from start to contracting */
static void to_contracting(struct fixture *fx)
{
    static const struct deployment_note note = {"test", NULL, "tests", NULL};
    static const enum saga_input_kind forward[] = {SAGA_IN_MIGRATED, SAGA_IN_SCALED,
                                                   SAGA_IN_DEPLOYED, SAGA_IN_VALIDATION_PASSED};

    with_database(fx);
    receive_build(fx, "b1");
    for (size_t i = 0; i < sizeof(forward) / sizeof(forward[0]); i++)
        apply_input(fx, "b1", (struct saga_input){.kind = forward[i], .epoch = -1}, &note);
    apply_input(fx, "b1", (struct saga_input){.kind = SAGA_IN_SHIFTED, .epoch = -1, .weight = 100},
                &note);
    apply_input(fx, "b1",
                (struct saga_input){.kind = SAGA_IN_BAKE_DONE, .epoch = -1,
                                    .armed_in = SAGA_PROMOTED},
                &note);
    apply_input(fx, "b1", (struct saga_input){.kind = SAGA_IN_RETIRED, .epoch = -1}, &note);
    assert_reason(fx, "b1", "contracting", "");
}

/* last_migration_status - status of shop's last finished deployment's first migration */
static void last_migration_status(struct fixture *fx, char *out, size_t len)
{
    cJSON *doc;
    const cJSON *m;

    assert_int_equal(status_environment(fx->s.db, "shop", &doc), STATUS_OK);
    m = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "last_finished"),
                                               "migrations"), 0);
    snprintf(out, len, "%s %s", cJSON_GetStringValue(cJSON_GetObjectItem(m, "name")),
             cJSON_GetStringValue(cJSON_GetObjectItem(m, "status")));
    cJSON_Delete(doc);
}

/* retry - cutover migrations retry shop, in one transaction */
static enum migration_retry_rc retry(struct fixture *fx)
{
    enum migration_retry_rc rc;
    char why[256];

    assert_int_equal(db_begin(fx->s.db), 0);
    rc = migration_retry_contract(&fx->ctx, "shop", "erin", why, sizeof(why));
    assert_int_equal(db_commit(fx->s.db), 0);
    return rc;
}

/* test_contract_failed_retried - a failed contract leaves the deployment
 * finished with a warning, visible in status; a retry contracts again,
 * refused while it runs and once nothing failed */
static void test_contract_failed_retried(void **state)
{
    struct fixture *fx = need_db(state);
    struct deployment_note failed = {"effect:migrate-contract", NULL, "migrator",
                                     "contract migrations failed: lock wait timeout"};
    struct deployment_note done = {"effect:migrate-contract", NULL, "migrator", NULL};
    struct effect e = {.environment = "shop"};
    char text[128];

    to_contracting(fx);
    assert_int_equal(migrator_pending(fx, "migrate-contract"), 1);
    assert_int_equal(retry(fx), MIGRATION_RETRY_BUSY);
    query_text(fx->s.db, "SELECT id FROM deployments WHERE build_id = $1", "b1", e.deployment_id,
               sizeof(e.deployment_id));
    assert_int_equal(migration_record(&fx->ctx, &e, "contract", 1, "0002_drop", "failed",
                                      "lock wait timeout"), 0);
    apply_input(fx, "b1", (struct saga_input){.kind = SAGA_IN_CONTRACT_FAILED, .epoch = -1},
                &failed);
    assert_reason(fx, "b1", "completed-with-warning", "lock wait timeout");
    assert_int_equal(query_long(fx->s.db, "SELECT count(*) FROM deployments WHERE build_id = $1"
                                          " AND finished_at IS NOT NULL", "b1"), 1);
    last_migration_status(fx, text, sizeof(text));
    assert_string_equal(text, "0002_drop failed");
    assert_int_equal(retry(fx), MIGRATION_RETRY_STARTED);
    assert_reason(fx, "b1", "contracting", "");
    assert_int_equal(migrator_pending(fx, "migrate-contract"), 2);
    assert_int_equal(retry(fx), MIGRATION_RETRY_BUSY);
    apply_input(fx, "b1", (struct saga_input){.kind = SAGA_IN_CONTRACTED, .epoch = -1}, &done);
    assert_reason(fx, "b1", "completed", "");
    assert_int_equal(retry(fx), MIGRATION_RETRY_NOTHING);
}

/* pending_of - how many pending effects of kind the owner has */
static long pending_of(struct fixture *fx, const char *kind, const char *owner)
{
    const char *params[] = {kind, owner};
    PGresult *res = db_query(fx->s.db,
                             "SELECT count(*) FROM effects WHERE kind = $1 AND owner = $2"
                             " AND status = 'pending'",
                             2, params);
    long n;

    assert_non_null(res);
    n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

/* test_cache_stage - with caches, validation passed flushes them first
 * (the validator's effect, no weight asked); flushed, the traffic moves;
 * a failed flush fails the deployment with the new color to zero */
static void test_cache_stage(void **state)
{
    static const struct deployment_note note = {"test", NULL, "tests", NULL};
    static const enum saga_input_kind forward[] = {SAGA_IN_SCALED, SAGA_IN_DEPLOYED,
                                                   SAGA_IN_VALIDATION_PASSED};
    struct fixture *fx = need_db(state);

    assert_int_equal(db_exec(fx->s.db,
                             "UPDATE environments SET config = config || '{\"caches\":"
                             " [{\"name\": \"opcache\", \"kind\": \"command\","
                             " \"command\": \"true\"}]}' WHERE name = 'shop'",
                             0, NULL),
                     0);
    receive_build(fx, "b1");
    for (size_t i = 0; i < sizeof(forward) / sizeof(forward[0]); i++)
        apply_input(fx, "b1", (struct saga_input){.kind = forward[i], .epoch = -1}, &note);
    assert_reason(fx, "b1", "flushing-caches", "");
    assert_int_equal(pending_of(fx, "flush-caches", "validator"), 1);
    assert_int_equal(query_long(fx->s.db, "SELECT count(*) FROM effects WHERE kind = $1",
                                "set-weights"), 0);
    apply_input(fx, "b1", (struct saga_input){.kind = SAGA_IN_CACHES_FLUSHED, .epoch = -1}, &note);
    assert_reason(fx, "b1", "shifting", "");
    assert_int_equal(pending_of(fx, "set-weights", "shifter"), 1);
}

/* test_cache_flush_failed - a failed flush ends before traffic moved */
static void test_cache_flush_failed(void **state)
{
    static const struct deployment_note note = {"test", NULL, "tests", "cache opcache failed"};
    static const enum saga_input_kind forward[] = {SAGA_IN_SCALED, SAGA_IN_DEPLOYED,
                                                   SAGA_IN_VALIDATION_PASSED,
                                                   SAGA_IN_CACHE_FLUSH_FAILED};
    struct fixture *fx = need_db(state);

    assert_int_equal(db_exec(fx->s.db,
                             "UPDATE environments SET config = config || '{\"caches\":"
                             " [{\"name\": \"cdn\", \"kind\": \"cloudfront\"}]}'"
                             " WHERE name = 'shop'",
                             0, NULL),
                     0);
    receive_build(fx, "b1");
    for (size_t i = 0; i < sizeof(forward) / sizeof(forward[0]); i++)
        apply_input(fx, "b1", (struct saga_input){.kind = forward[i], .epoch = -1}, &note);
    assert_reason(fx, "b1", "failed", "cache opcache failed");
    assert_int_equal(pending_of(fx, "scale-new-to-zero", "rollbacker"), 1);
    assert_int_equal(query_long(fx->s.db, "SELECT count(*) FROM effects WHERE kind = $1",
                                "set-weights"), 0);
}

/* A test on its own schema. */
#define DB_TEST(t) cmocka_unit_test_setup_teardown(t, fixture_create, fixture_free)

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST(test_finished_states_match),
        cmocka_unit_test(test_owner_table),
        DB_TEST(test_receive_starts),
        DB_TEST(test_receive_twice),
        DB_TEST(test_newer_build_supersedes),
        DB_TEST(test_abort_reason),
        DB_TEST(test_rollback_reason_kept),
        DB_TEST(test_timeout_reason),
        DB_TEST(test_health_recorded_when_changed),
        DB_TEST(test_database_stage_first),
        DB_TEST(test_contract_failed_retried),
        DB_TEST(test_cache_stage),
        DB_TEST(test_cache_flush_failed),
        DB_TEST(test_timer_cancel_reads_own),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
