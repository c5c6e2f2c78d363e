/*
 * test_effect_claim - an effect claimed inside the transaction that wrote
 *                     it (effect_claim_now), against a real PostgreSQL:
 *                     performed at once after the commit, exactly once;
 *                     never performed when that transaction rolled back
 *                     (the effect stays for whoever claims it next); left
 *                     alone when its lease ran out and another process
 *                     took it first (a claim whose commit it saw is
 *                     stepped without reading its row again while its
 *                     lease holds, nor is one claimed by a statement of
 *                     its own); a superseded effect abandoned by a
 *                     killed holder ends cancelled; a wait in progress
 *                     whose lease another process took over (this one
 *                     cut off longer than its lease) is never stepped,
 *                     renewed or finished here again; while a step runs,
 *                     outside calls end before its lease does; an
 *                     effect whose holder died is taken before pending
 *                     ones; a claim reads the open effects, not the
 *                     table's history, nor every open effect of other
 *                     environments; due timers fire a bounded number
 *                     at a time, saying when more are due; abandoned
 *                     superseded effects are swept at most once per
 *                     timer poll; a provider call is recorded and counted
 *                     by one write (and counted after a lost lease too);
 *                     the first step after a claim opens its provider
 *                     without reading the environment again.
 *
 * DESCRIPTION
 *	Needs CUTOVER_DATABASE_URL (ops/devstack env gives it); without it
 *	the tests are skipped. Each test applies cutover's migrations in a
 *	schema of its own (db_schema.h) and writes the rows a rollback
 *	leaves: a deployment rolling back and its restore-weights effect. The
 *	step only counts its calls: what is under test is who gets to call it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/config.h"
#include "base/share.h"
#include "io/migrate.h"
#include "saga/effect.h"
#include "saga/stage.h"

#include "db_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPLOYMENT_ID "5b0f5f3e-8c1a-4d55-9a35-0d6c1b6b2a11"

static int steps; /* calls of count_step */

/* The database and the rollbacker's context; db is NULL without a database. */
static struct db_schema schema;
static struct saga_ctx ctx;

/* count_step - the effect's step: count the call, done */
static enum effect_step count_step(struct saga_ctx *c, struct effect *e)
{
    (void)c;
    (void)e;
    steps++;
    return EFFECT_DONE;
}

static const struct effect_handler handlers[] = {{SAGA_FX_RESTORE_WEIGHTS, count_step}};

/* wait_step - a wait in progress: count the call, call again */
static enum effect_step wait_step(struct saga_ctx *c, struct effect *e)
{
    (void)c;
    (void)e;
    steps++;
    return EFFECT_WAIT;
}

static char stepped[64]; /* environments note_step saw, in order */

/* note_step - the effect's step: note its environment, done */
static enum effect_step note_step(struct saga_ctx *c, struct effect *e)
{
    (void)c;
    steps++;
    assert_true(strlen(stepped) + strlen(e->environment) + 2 <= sizeof(stepped));
    if (*stepped)
        strcat(stepped, " ");
    strcat(stepped, e->environment);
    return EFFECT_DONE;
}

static const struct effect_handler waiting[] = {{SAGA_FX_RESTORE_WEIGHTS, wait_step}};

static int64_t step_deadline; /* the call deadline deadline_step saw */

/* deadline_step - note the deadline of outside calls during the step */
static enum effect_step deadline_step(struct saga_ctx *c, struct effect *e)
{
    (void)c;
    (void)e;
    steps++;
    step_deadline = clock_call_deadline_clip(INT64_MAX);
    return EFFECT_DONE;
}

/* sql - one statement that must succeed */
static void sql(const char *statement)
{
    assert_int_equal(db_exec(schema.db, statement, 0, NULL), 0);
}

/* setup - cutover's schema, an environment, a deployment rolling back */
static int setup(void **state)
{
    char dir[4096], err[512];

    (void)state;
    steps = 0;
    stepped[0] = '\0';
    if (db_schema_open(&schema, "test_effect_claim") != 0)
        return 0;
    assert_int_equal(share_path("migrations", dir, sizeof(dir)), 0);
    assert_int_equal(migrate_run(schema.db, dir, err, sizeof(err)), 0);
    sql("INSERT INTO environments (name, provider, config) VALUES ('shop', 'local', '{}')");
    sql("INSERT INTO deployments (id, environment, build_id, version, artifact, request,"
        " state, epoch, new_color) VALUES ('" DEPLOYMENT_ID "', 'shop', '7', '2.0', '{}',"
        " '{}', 'rolling-back', 2, 'green')");
    ctx = (struct saga_ctx){schema.db, "rollbacker", NULL, NULL, NULL};
    return 0;
}

/* teardown - hand back what is held, drop the schema */
static int teardown(void **state)
{
    (void)state;
    if (schema.db)
        effect_shutdown(&ctx);
    db_schema_close(&schema);
    return 0;
}

/* write_effect - the restore-weights row the rollback's transaction writes */
static void write_effect(void)
{
    sql("INSERT INTO effects (deployment_id, environment, epoch, kind, arg, owner)"
        " VALUES ('" DEPLOYMENT_ID "', 'shop', 2, 'restore-weights', 0, 'rollbacker')");
}

/* effect_row - "status attempts" of the effect */
static void effect_row(char *out, size_t len)
{
    PGresult *res = db_query(schema.db, "SELECT status || ' ' || attempts FROM effects", 0, NULL);

    assert_non_null(res);
    assert_int_equal(PQntuples(res), 1);
    snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

/* abandon_superseded - a superseded effect left running by a killed
 * holder whose lease ran out */
static void abandon_superseded(void)
{
    sql("INSERT INTO effects (deployment_id, environment, epoch, kind, arg, owner, status,"
        " attempts, lease_until) VALUES ('" DEPLOYMENT_ID "', 'shop', 1, 'restore-weights',"
        " 0, 'rollbacker', 'running', 1, now() - interval '1 second')");
}

/* count_rows - the single number a query answers */
static long count_rows(const char *query)
{
    PGresult *res = db_query(schema.db, query, 0, NULL);
    long n;

    assert_non_null(res);
    n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

/* claim_in_transaction - a transaction that (when write) writes the effect,
 * claims one, then commits (when commit) or rolls back; the claim's result */
static int claim_in_transaction(int write, int commit)
{
    int claimed;

    if (schema.db == NULL)
        skip();
    assert_int_equal(db_begin(schema.db), 0);
    if (write)
        write_effect();
    claimed = effect_claim_now(&ctx, "shop");
    assert_int_equal(commit ? db_commit(schema.db) : db_rollback(schema.db), 0);
    return claimed;
}

/* the transaction that writes the effect claims it (running, attempt 1);
 * after the commit the claimed step runs at once, and once only */
static void test_claimed_and_committed(void **state)
{
    char row[64];

    (void)state;
    assert_int_equal(claim_in_transaction(1, 1), 1);
    effect_row(row, sizeof(row));
    assert_string_equal(row, "running 1");
    effect_run_claimed(&ctx, handlers, 1);
    assert_int_equal(steps, 1);
    effect_run_claimed(&ctx, handlers, 1);
    effect_run(&ctx, handlers, 1);
    assert_int_equal(steps, 1);
}

/* a claim whose transaction rolled back is dropped unstepped; the effect
 * is still pending and the next claim performs it, once */
static void test_claimed_and_rolled_back(void **state)
{
    char row[64];

    (void)state;
    if (schema.db)
        write_effect();
    assert_int_equal(claim_in_transaction(0, 0), 1);
    effect_run_claimed(&ctx, handlers, 1);
    assert_int_equal(steps, 0);
    effect_row(row, sizeof(row));
    assert_string_equal(row, "pending 0");
    effect_run(&ctx, handlers, 1);
    assert_int_equal(steps, 1);
}

/* config_to - set the configuration variable name for what follows */
static void config_to(const char *name, const char *value)
{
    char err[256];

    setenv(name, value, 1);
    assert_int_equal(config_load(err, sizeof(err)), 0);
}

/* lease_ms - set CUTOVER_EFFECT_LEASE_MS for what follows */
static void lease_ms(const char *ms)
{
    config_to("CUTOVER_EFFECT_LEASE_MS", ms);
}

/* when the lease ran out and another process claimed the effect before
 * this one stepped it, this one leaves it alone, although it saw its own
 * commit */
static void test_taken_by_another(void **state)
{
    char row[64];

    (void)state;
    lease_ms("1000");
    assert_int_equal(claim_in_transaction(1, 1), 1);
    clock_sleep_ms(1100);
    sql("UPDATE effects SET attempts = attempts + 1, lease_until = now() + interval '1 minute'");
    effect_run_claimed(&ctx, handlers, 1);
    lease_ms("10000");
    assert_int_equal(steps, 0);
    effect_row(row, sizeof(row));
    assert_string_equal(row, "running 2");
}

/* a claim whose commit this process saw is stepped without reading its
 * row again (a round trip less on a rollback's way): the row's lease is
 * moved behind its back, which the confirming read would have seen (no
 * process can do that to a live lease: this only shows the read is gone) */
static void test_committed_claim_not_read_again(void **state)
{
    (void)state;
    assert_int_equal(claim_in_transaction(1, 1), 1);
    sql("UPDATE effects SET lease_until = lease_until + interval '1 millisecond'");
    effect_run_claimed(&ctx, handlers, 1);
    assert_int_equal(steps, 1);
}

/* an effect claimed by a statement of its own is stepped without reading
 * its row again: a trigger supersedes the deployment's epoch as the claim
 * commits, which the confirming read would have seen (stale: cancelled,
 * never stepped); as above, this only shows the read is gone.
 * test_wait_taken_over shows the steps after the first read it again. */
static void test_claimed_alone_not_read_again(void **state)
{
    (void)state;
    if (schema.db == NULL)
        skip();
    write_effect();
    sql("CREATE FUNCTION supersede() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " UPDATE deployments SET epoch = epoch + 1 WHERE id = NEW.deployment_id;"
        " RETURN NEW; END $$");
    sql("CREATE TRIGGER supersede_on_claim AFTER UPDATE OF status ON effects FOR EACH ROW"
        " WHEN (OLD.status = 'pending' AND NEW.status = 'running') EXECUTE FUNCTION supersede()");
    effect_run(&ctx, handlers, 1);
    assert_int_equal(steps, 1);
}

/* nothing of this worker's to claim: nothing held */
static void test_nothing_to_claim(void **state)
{
    (void)state;
    assert_int_equal(claim_in_transaction(0, 1), 0);
    effect_run_claimed(&ctx, handlers, 1);
    assert_int_equal(steps, 0);
}

/* a superseded effect (older epoch) left running by a killed holder whose
 * lease ran out ends cancelled at the next run, never stepped */
static void test_superseded_and_abandoned(void **state)
{
    char row[64];

    (void)state;
    if (schema.db == NULL)
        skip();
    abandon_superseded();
    effect_run(&ctx, handlers, 1);
    assert_int_equal(steps, 0);
    effect_row(row, sizeof(row));
    assert_string_equal(row, "cancelled 1");
}

/* the sweep of abandoned superseded effects runs at the first run, then at
 * most once per timer poll, not at every run: one abandoned after a sweep
 * stays running until the poll's interval has passed */
static void test_superseded_swept_once_per_poll(void **state)
{
    (void)state;
    if (schema.db == NULL)
        skip();
    config_to("CUTOVER_TIMER_POLL_MS", "400");
    abandon_superseded();
    effect_run(&ctx, handlers, 1);
    assert_int_equal(count_rows("SELECT count(*) FROM effects WHERE status = 'cancelled'"), 1);
    abandon_superseded();
    effect_run(&ctx, handlers, 1);
    assert_int_equal(count_rows("SELECT count(*) FROM effects WHERE status = 'running'"), 1);
    clock_sleep_ms(450);
    effect_run(&ctx, handlers, 1);
    config_to("CUTOVER_TIMER_POLL_MS", "500");
    assert_int_equal(count_rows("SELECT count(*) FROM effects WHERE status = 'cancelled'"), 2);
    assert_int_equal(steps, 0);
}

static long writes_in_step = -1; /* UPDATEs of the effect's row while stage_call_done ran */

/* call_done_step - a provider call that succeeded, recorded: how many
 * writes of the row that took (a trigger counts them) */
static enum effect_step call_done_step(struct saga_ctx *c, struct effect *e)
{
    long before = count_rows("SELECT n FROM effect_writes");

    steps++;
    stage_call_done(c, e, "called");
    writes_in_step = count_rows("SELECT n FROM effect_writes") - before;
    return EFFECT_DONE;
}

/* taken_step - stage_call_done after another process took the lease over */
static enum effect_step taken_step(struct saga_ctx *c, struct effect *e)
{
    steps++;
    sql("UPDATE effects SET attempts = attempts + 1, lease_until = now() + interval '1 minute'");
    stage_call_done(c, e, "called");
    return EFFECT_DONE;
}

/* call_row - "provider_calls called" of the effect ("called" from its result) */
static void call_row(char *out, size_t len)
{
    PGresult *res = db_query(schema.db,
                             "SELECT provider_calls || ' ' || coalesce(result ->> 'called', '-')"
                             " FROM effects", 0, NULL);

    assert_non_null(res);
    snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

/* a provider call that succeeded is recorded (its phase in the result) and
 * counted (provider_calls) by one write of the row, not two */
static void test_call_recorded_with_its_count(void **state)
{
    const struct effect_handler call_handlers[] = {{SAGA_FX_RESTORE_WEIGHTS, call_done_step}};
    char row[64];

    (void)state;
    if (schema.db == NULL)
        skip();
    write_effect();
    sql("CREATE TABLE effect_writes (n integer NOT NULL)");
    sql("INSERT INTO effect_writes VALUES (0)");
    sql("CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " UPDATE effect_writes SET n = n + 1; RETURN NEW; END $$");
    sql("CREATE TRIGGER count_writes BEFORE UPDATE ON effects FOR EACH ROW"
        " EXECUTE FUNCTION count_write()");
    effect_run(&ctx, call_handlers, 1);
    assert_int_equal(steps, 1);
    assert_int_equal(writes_in_step, 1);
    call_row(row, sizeof(row));
    assert_string_equal(row, "1 1");
}

/* a call made by a process whose lease another took over is still
 * counted, although its result is not recorded: the count is what shows
 * an effect performed twice */
static void test_call_counted_when_taken_over(void **state)
{
    const struct effect_handler call_handlers[] = {{SAGA_FX_RESTORE_WEIGHTS, taken_step}};
    char row[64];

    (void)state;
    if (schema.db == NULL)
        skip();
    write_effect();
    effect_run(&ctx, call_handlers, 1);
    assert_int_equal(steps, 1);
    call_row(row, sizeof(row));
    assert_string_equal(row, "1 -");
}

static long env_rows_in_step; /* rows of environments read while the step's provider opened */
static enum effect_step provider_step_status = EFFECT_DONE; /* what provider_step answers */

/* provider_step - open the effect's provider as a step does: how many rows
 * of environments that read */
static enum effect_step provider_step(struct saga_ctx *c, struct effect *e)
{
    long long before = db_schema_rows_read(&schema, "environments");
    const struct provider_ops *ops;
    void *state;
    char err[256];

    steps++;
    if (effect_provider(c, e->environment, e->env_version, &ops, &state, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    env_rows_in_step = (long)(db_schema_rows_read(&schema, "environments") - before);
    return provider_step_status;
}

/* the first step after a claim opens its provider without reading the
 * environment when that version's provider is open here (the claim read
 * the version); after the environment changed, it reads it again; so does
 * a wait's next step, its claim no longer fresh */
static void test_provider_from_claim(void **state)
{
    const struct effect_handler provider_handlers[] = {{SAGA_FX_RESTORE_WEIGHTS, provider_step}};

    (void)state;
    if (schema.db == NULL)
        skip();
    sql("UPDATE environments SET provider = 'plan', config = '{\"provider\": \"plan\"}'");
    write_effect();
    effect_run(&ctx, provider_handlers, 1);
    assert_int_equal(steps, 1);
    assert_true(env_rows_in_step >= 1); /* not open yet: looked up */
    sql("UPDATE effects SET status = 'done'");
    write_effect();
    effect_run(&ctx, provider_handlers, 1);
    assert_int_equal(steps, 2);
    assert_int_equal(env_rows_in_step, 0);
    sql("UPDATE effects SET status = 'done'");
    sql("UPDATE environments SET config = '{\"provider\": \"plan\", \"capacity\": 2}',"
        " version = version + 1");
    write_effect();
    effect_run(&ctx, provider_handlers, 1);
    assert_int_equal(steps, 3);
    assert_true(env_rows_in_step >= 1);
    sql("UPDATE effects SET status = 'done'");
    write_effect();
    provider_step_status = EFFECT_WAIT;
    effect_run(&ctx, provider_handlers, 1);
    assert_int_equal(env_rows_in_step, 0);
    effect_run(&ctx, provider_handlers, 1);
    provider_step_status = EFFECT_DONE;
    assert_int_equal(steps, 5);
    assert_true(env_rows_in_step >= 1);
}

/* a wait in progress held here whose lease ran out while this process was
 * cut off, and which another process claimed: the next run here neither
 * steps it, nor renews the other's lease, nor finishes it */
static void test_wait_taken_over(void **state)
{
    char row[64];
    PGresult *res;

    (void)state;
    if (schema.db == NULL)
        skip();
    write_effect();
    assert_int_equal(effect_run(&ctx, waiting, 1), 1);
    assert_int_equal(steps, 1);
    sql("UPDATE effects SET attempts = attempts + 1,"
        " lease_until = timestamptz '2100-01-01 00:00:00+00'");
    assert_int_equal(effect_run(&ctx, waiting, 1), 0);
    assert_int_equal(steps, 1);
    effect_row(row, sizeof(row));
    assert_string_equal(row, "running 2");
    res = db_query(schema.db, "SELECT lease_until = timestamptz '2100-01-01 00:00:00+00'"
                              " FROM effects", 0, NULL);
    assert_non_null(res);
    assert_string_equal(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
}

/* outside calls made by a step end before the step's lease runs out (a
 * tenth of it earlier); after the step they keep their own timeouts */
static void test_step_call_deadline(void **state)
{
    static const struct effect_handler noting[] = {{SAGA_FX_RESTORE_WEIGHTS, deadline_step}};
    int64_t before = clock_mono_ms(), lease_ms = config_get_int("CUTOVER_EFFECT_LEASE_MS");

    (void)state;
    if (schema.db == NULL)
        skip();
    write_effect();
    effect_run(&ctx, noting, 1);
    assert_int_equal(steps, 1);
    assert_true(step_deadline >= before + lease_ms - lease_ms / 10);
    assert_true(step_deadline <= clock_mono_ms() + lease_ms - lease_ms / 10);
    assert_true(clock_call_deadline_clip(INT64_MAX) == INT64_MAX);
}

/* write_open_effects - count pending effects of kind for owner, each in an
 * environment of its own (prefix1, prefix2, ...) */
static void write_open_effects(const char *prefix, const char *count, const char *kind,
                               const char *owner)
{
    const char *params[] = {count, prefix, kind, owner};

    assert_int_equal(db_exec(schema.db,
                             "INSERT INTO environments (name, provider, config)"
                             " SELECT $2 || i, 'local', '{}' FROM generate_series(1, $1::int) i",
                             2, params),
                     0);
    assert_int_equal(db_exec(schema.db,
                             "INSERT INTO effects (deployment_id, environment, epoch, kind, arg, owner)"
                             " SELECT '" DEPLOYMENT_ID "', $2 || i, 2, $3, 0, $4"
                             " FROM generate_series(1, $1::int) i",
                             4, params),
                     0);
}

/* write_effects_apart - count pending restore-weights effects of the
 * rollbacker, each in an environment of its own (shop-1, shop-2, ...) */
static void write_effects_apart(const char *count)
{
    write_open_effects("shop-", count, "restore-weights", "rollbacker");
}

/* a run claims at most EFFECT_CLAIMS_PER_RUN effects and says it was cut
 * short; the next run takes the rest (effects of one environment run in
 * order, so each of these is in an environment of its own) */
static void test_run_bounded(void **state)
{
    char many[16];

    (void)state;
    if (schema.db == NULL)
        skip();
    snprintf(many, sizeof(many), "%d", EFFECT_CLAIMS_PER_RUN + 3);
    write_effects_apart(many);
    effect_run(&ctx, handlers, 1);
    assert_int_equal(steps, EFFECT_CLAIMS_PER_RUN);
    assert_true(effect_run_cut_short());
    effect_run(&ctx, handlers, 1);
    assert_int_equal(steps, EFFECT_CLAIMS_PER_RUN + 3);
    assert_false(effect_run_cut_short());
}

/* an effect whose holder died (its lease ran out) is taken again before
 * any pending one, older ones included */
static void test_lease_out_first(void **state)
{
    static const struct effect_handler noting[] = {{SAGA_FX_RESTORE_WEIGHTS, note_step}};

    (void)state;
    if (schema.db == NULL)
        skip();
    sql("INSERT INTO environments (name, provider, config) VALUES ('cafe', 'local', '{}')");
    sql("INSERT INTO effects (deployment_id, environment, epoch, kind, owner) VALUES ('"
        DEPLOYMENT_ID "', 'cafe', 2, 'restore-weights', 'rollbacker')");
    sql("INSERT INTO effects (deployment_id, environment, epoch, kind, owner, status, attempts,"
        " lease_until) VALUES ('" DEPLOYMENT_ID "', 'shop', 2, 'restore-weights', 'rollbacker',"
        " 'running', 1, now() - interval '1 second')");
    effect_run(&ctx, noting, 1);
    assert_string_equal(stepped, "shop cafe");
}

/* write_history - count done effects of the rollbacker and the shifter */
static void write_history(const char *count)
{
    const char *params[] = {count};

    assert_int_equal(db_exec(schema.db,
                             "INSERT INTO effects (deployment_id, environment, epoch, kind, owner,"
                             " status) SELECT '" DEPLOYMENT_ID "', 'shop', 2, 'restore-weights',"
                             " (ARRAY['rollbacker', 'shifter'])[i % 2 + 1], 'done'"
                             " FROM generate_series(1, $1::int) i",
                             1, params),
                     0);
}

/* run_rows_read - one effect run; the rows of effects it read */
static long long run_rows_read(void)
{
    long long before = db_schema_rows_read(&schema, "effects");

    effect_run(&ctx, handlers, 1);
    return db_schema_rows_read(&schema, "effects") - before;
}

/* with a long history of done effects, and a backlog of pending ones
 * that are the newest (a burst of deployments after days of them), each
 * claim still reads a handful of rows: PostgreSQL, its statistics up to
 * date, must not walk the history in id order to the first pending one */
static void test_claim_skips_history(void **state)
{
    long long read;

    (void)state;
    if (schema.db == NULL)
        skip();
    write_history("40000");
    write_effects_apart("5000"); /* the backlog */
    sql("ANALYZE effects");
    read = run_rows_read();
    assert_int_equal(steps, EFFECT_CLAIMS_PER_RUN);
    printf("# %lld rows of effects read for %d claims\n", read, EFFECT_CLAIMS_PER_RUN);
    /* about 18 rows a claim: the claim's, the step's and the finish's;
     * walking the history costs its 40,000 a claim, the backlog 5,000 a run */
    assert_true(read < 1000);
}

/* with thousands of other workers' effects open in their own
 * environments (a burst in flight), written after the statistics were
 * taken over a history of done ones, each claim still reads a handful of
 * rows: the check that a candidate is the first open effect of its
 * environment looks at that environment alone, not at every open effect */
static void test_claim_reads_own_environment(void **state)
{
    long long read;

    (void)state;
    if (schema.db == NULL)
        skip();
    write_history("5000");
    sql("ANALYZE effects"); /* taken while nothing is open, as between bursts */
    write_open_effects("cafe-", "3000", "set-weights", "shifter");
    write_effects_apart("5");
    read = run_rows_read();
    assert_int_equal(steps, 5);
    printf("# %lld rows of effects read for 5 claims beside 3,000 open effects\n", read);
    /* about 18 rows a claim; reading every open effect costs 3,000 a claim */
    assert_true(read < 500);
}

/* fired_timers - how many timers have fired */
static long fired_timers(void)
{
    return count_rows("SELECT count(*) FROM timers WHERE fired_at IS NOT NULL");
}

/* due timers fire EFFECT_TIMERS_PER_TICK at a time, the call saying that
 * more may be due (its caller runs again after the loop's I/O); the next
 * call fires the rest and says none are left */
static void test_timers_bounded(void **state)
{
    char many[16];
    const char *params[] = {many};

    (void)state;
    if (schema.db == NULL)
        skip();
    snprintf(many, sizeof(many), "%d", EFFECT_TIMERS_PER_TICK + 3);
    assert_int_equal(db_exec(schema.db,
                             "INSERT INTO timers (deployment_id, kind, epoch, armed_in, fire_at)"
                             " SELECT '" DEPLOYMENT_ID "', 'step-due', 1, 'shifting',"
                             " now() - interval '1 second' FROM generate_series(1, $1::int)",
                             1, params),
                     0);
    assert_int_equal(effect_timers_fire(&ctx), 1);
    assert_int_equal(fired_timers(), EFFECT_TIMERS_PER_TICK);
    assert_int_equal(effect_timers_fire(&ctx), 0);
    assert_int_equal(fired_timers(), EFFECT_TIMERS_PER_TICK + 3);
}

#define DB_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST(test_claimed_and_committed),
        DB_TEST(test_claimed_and_rolled_back),
        DB_TEST(test_taken_by_another),
        DB_TEST(test_committed_claim_not_read_again),
        DB_TEST(test_claimed_alone_not_read_again),
        DB_TEST(test_nothing_to_claim),
        DB_TEST(test_superseded_and_abandoned),
        DB_TEST(test_superseded_swept_once_per_poll),
        DB_TEST(test_call_recorded_with_its_count),
        DB_TEST(test_call_counted_when_taken_over),
        DB_TEST(test_provider_from_claim),
        DB_TEST(test_wait_taken_over),
        DB_TEST(test_step_call_deadline),
        DB_TEST(test_run_bounded),
        DB_TEST(test_lease_out_first),
        DB_TEST(test_claim_skips_history),
        DB_TEST(test_claim_reads_own_environment),
        DB_TEST(test_timers_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
