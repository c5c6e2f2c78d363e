/*
 * saga_worker - the saga engine in a worker process (see saga_worker.h):
 *               the context bound to the worker's database and outbox,
 *               the saga's tick, and the rollbacker's periodic checks.
 */
#include "saga/saga_worker.h"

#include "base/config.h"
#include "base/log.h"
#include "saga/analysis.h"
#include "saga/guard.h"
#include "saga/health.h"

#define SAGA_WAIT_FIRST_MS 5 /* a wait in progress is stepped again this soon, then later */

static struct saga_ctx saga_worker_ctx;
static size_t saga_held;     /* effects held after the last tick */
static long saga_wait_ms;    /* when the held ones are stepped again; 0 when none */

/* saga_worker_emit_cb - the worker's outbox as the saga's sink */
static int saga_worker_emit_cb(void *sink, const char *topic, const char *environment,
                               cJSON *data)
{
    return worker_emit(sink, topic, environment, data);
}

/* saga_worker_publish_cb - publish the worker's committed outbox rows */
static void saga_worker_publish_cb(void *sink)
{
    worker_publish(sink);
}

/* saga_ctx_of - the saga's context of worker w */
struct saga_ctx *saga_ctx_of(struct worker *w)
{
    saga_worker_ctx.db = worker_db(w);
    saga_worker_ctx.worker = worker_name(w);
    saga_worker_ctx.emit = saga_worker_emit_cb;
    saga_worker_ctx.publish = saga_worker_publish_cb;
    saga_worker_ctx.sink = w;
    return &saga_worker_ctx;
}

/* saga_tick_start - the worker's steps must match the table of owners;
 * the database wakes the worker when an effect of its becomes claimable
 * (migration 0016) */
void saga_tick_start(struct worker *w, const void *arg)
{
    const struct saga_effects *fx = arg;
    char why[256];

    if (effect_owners_check(worker_name(w), fx->handlers, fx->count, why, sizeof(why)) != 0)
        log_panic("saga_tick_start: %s", why);
    worker_wake_on(w, SAGA_EFFECTS_CHANNEL);
}

/* saga_wait_again - step waits in progress again soon: after
 * SAGA_WAIT_FIRST_MS when a new one is held, then twice as long each time,
 * until the poll's interval takes over; many waits end at their next step
 * (a read-back, a flush that completed) */
static void saga_wait_again(struct worker *w, size_t held)
{
    if (held == 0)
        saga_wait_ms = 0;
    else if (held > saga_held || saga_wait_ms == 0)
        saga_wait_ms = SAGA_WAIT_FIRST_MS;
    else
        saga_wait_ms *= 2;
    saga_held = held;
    if (saga_wait_ms > 0 && saga_wait_ms < config_get_int("CUTOVER_TIMER_POLL_MS"))
        worker_kick_after(w, saga_wait_ms);
}

/* saga_tick_committed - step at once what the record's transaction
 * claimed (the rollbacker's restore-weights): before the events it wrote
 * are published, before anything else the loop has to do */
void saga_tick_committed(struct worker *w, const void *arg)
{
    const struct saga_effects *fx = arg;
    struct saga_ctx *ctx = saga_ctx_of(w);

    if (db_ok(ctx->db))
        effect_run_claimed(ctx, fx->handlers, fx->count);
}

/* saga_tick_fire - fire due timers, then step the worker's effects */
void saga_tick_fire(struct worker *w, const void *arg)
{
    const struct saga_effects *fx = arg;
    struct saga_ctx *ctx = saga_ctx_of(w);
    int timers_left;

    if (!db_ok(ctx->db))
        return;
    timers_left = effect_timers_fire(ctx);
    saga_wait_again(w, effect_run(ctx, fx->handlers, fx->count));
    if (timers_left || effect_run_cut_short())
        worker_kick_after(w, 0); /* the rest after the loop's I/O */
}

const struct saga_check saga_guard_check = {guard_check};
const struct saga_check saga_health_check = {health_check};
const struct saga_check saga_analysis_check = {analysis_check};

/* saga_check_fire - run a check while the database is up */
void saga_check_fire(struct worker *w, const void *arg)
{
    const struct saga_check *check = arg;
    struct saga_ctx *ctx = saga_ctx_of(w);

    if (db_ok(ctx->db))
        check->run(ctx);
}

/* saga_tick_stop - hand back held effects and close the providers */
void saga_tick_stop(struct worker *w, const void *arg)
{
    (void)arg;
    effect_shutdown(saga_ctx_of(w));
}
