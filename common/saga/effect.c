/*
 * effect - performing the saga's provider effects from the write-ahead log
 *          (see effect.h): claiming with a lease, stepping what this
 *          process holds, finishing with the follow-up input.
 *
 * DESCRIPTION
 *	One worker process holds at most EFFECT_MAX_HELD effects at a time
 *	(waits in progress). Each tick first steps the held ones, dropping
 *	those whose epoch went stale, then claims what is claimable for this
 *	worker and steps it at once. Durable timers are effect_timer.c.
 *
 *	Metrics by effect kind (a fixed list): cutover_effect_attempts_total
 *	(each claim: a first try, or a retry after a lease ran out),
 *	cutover_effect_failures_total (a step that ended in failure), and
 *	cutover_effects_held (waits in progress in this process).
 */
#include "saga/effect_internal.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EFFECT_MAX_HELD 16

/* What effect_confirm finds of a claim made inside a record's transaction. */
enum { EFFECT_STALE = 0, EFFECT_MINE = 1, EFFECT_NOT_MINE = 2 };

static struct effect effect_held[EFFECT_MAX_HELD];
static int effect_cut_short; /* the last effect_run stopped at EFFECT_CLAIMS_PER_RUN */
static int64_t effect_swept_ms; /* when effect_run last swept superseded effects; 0 never */
static size_t effect_held_count;
static const struct effect *effect_stepping; /* the effect whose step runs now */

static const struct {
    enum saga_effect_kind kind;
    const char *owner;
} effect_owners[] = {
    {SAGA_FX_SCALE_NEW, "scaler"},
    {SAGA_FX_RETIRE_OLD, "scaler"},
    {SAGA_FX_DEPLOY_NEW, "deployer"},
    {SAGA_FX_STOP_PROVIDER_DEPLOYMENT, "deployer"},
    {SAGA_FX_OPEN_PREVIEW, "validator"},
    {SAGA_FX_VALIDATE, "validator"},
    {SAGA_FX_CLOSE_PREVIEW, "validator"},
    {SAGA_FX_SET_WEIGHTS, "shifter"},
    {SAGA_FX_RESTORE_WEIGHTS, "rollbacker"},
    {SAGA_FX_SCALE_NEW_TO_ZERO, "rollbacker"},
    {SAGA_FX_DRILL_RESTORE, "rollbacker"},
    {SAGA_FX_DRILL_RETURN, "rollbacker"},
    {SAGA_FX_MIGRATE_EXPAND, "migrator"},
    {SAGA_FX_CHECK_OLD_COLOR, "migrator"},
    {SAGA_FX_MIGRATE_CONTRACT, "migrator"},
    {SAGA_FX_FLUSH_CACHES, "validator"},
};

/* The claim: this worker's next effect, in id order within an
 * environment, among those matching claimable; lease_until comes back as
 * the lease this process holds (see effect.h), and the environment's
 * version for its provider (effect_provider). A candidate must be the
 * first open effect of its environment's current epochs. OFFSET 0 keeps
 * that check a subquery run per candidate, through effects_open with the
 * candidate's environment as its key: without it PostgreSQL made it an
 * anti-join and, trusting statistics taken while few effects were open,
 * fed that join with every open effect of every environment (500 rows
 * and 2 to 3 ms a claim at 300 deployments in flight). */
#define EFFECT_NEXT(claimable)                                                                    \
    "(SELECT e.id FROM effects e JOIN deployments d ON d.id = e.deployment_id"                     \
    " WHERE e.owner = $1 AND e.epoch = d.epoch AND e.environment ~ $3 AND " claimable              \
    "   AND NOT EXISTS (SELECT 1 FROM effects p JOIN deployments pd ON pd.id = p.deployment_id"   \
    "     WHERE p.environment = e.environment AND p.id < e.id"                                     \
    "       AND p.status IN ('pending', 'running') AND p.epoch = pd.epoch OFFSET 0)"               \
    " ORDER BY e.id LIMIT 1 FOR UPDATE OF e SKIP LOCKED)"
#define EFFECT_CLAIM_SQL(next)                                                                     \
    "UPDATE effects SET status = 'running', attempts = attempts + 1,"                             \
    " lease_until = now() + make_interval(secs => $2::double precision / 1000),"                  \
    " started_at = coalesce(started_at, now()) WHERE id = " next                                   \
    " RETURNING id, deployment_id, environment, epoch, kind, arg, attempts,"                       \
    " coalesce(handle, ''), coalesce(result::text, ''), lease_until::text,"                       \
    " (SELECT v.version FROM environments v WHERE v.name = effects.environment)"
#define EFFECT_LEASE_OUT "e.status = 'running' AND e.lease_until < now()"
#define EFFECT_PENDING "e.status = 'pending'"

/* Any environment: an effect whose lease ran out first (its holder died),
 * else the first pending one. Two subqueries, each answered in id order
 * by an index of its own status (migration 0019): one condition with OR
 * would send PostgreSQL down the primary key, through every effect ever
 * recorded. coalesce runs the second only when the first finds none. */
static const char effect_claim_sql[] = EFFECT_CLAIM_SQL(
    "coalesce(" EFFECT_NEXT(EFFECT_LEASE_OUT) ", " EFFECT_NEXT(EFFECT_PENDING) ")");
/* One environment: its few open effects, by environment (effects_open). */
static const char effect_claim_here_sql[] = EFFECT_CLAIM_SQL(EFFECT_NEXT(
    "e.environment = $4 AND (" EFFECT_PENDING " OR (" EFFECT_LEASE_OUT "))"));

static const char *const effect_kind_label[] = {"kind"};

/* effect_count - add one to the counter name of e's kind */
static void effect_count(const char *name, const char *help, const struct effect *e)
{
    metrics_add(metrics_counter(name, help, effect_kind_label, 1), 1,
                (const char *[]){saga_effect_name(e->kind)});
}

/* effect_metric_held - cutover_effects_held */
static struct metric_family *effect_metric_held(void)
{
    return metrics_gauge("cutover_effects_held",
                         "Effects this process holds: waits in progress.", NULL, 0);
}

/* effect_owner - the worker that performs an effect kind; NULL: bookkeeping */
const char *effect_owner(enum saga_effect_kind kind)
{
    for (size_t i = 0; i < sizeof(effect_owners) / sizeof(effect_owners[0]); i++) {
        if (effect_owners[i].kind == kind)
            return effect_owners[i].owner;
    }
    return NULL;
}

/* effect_handles - whether handlers have a step for kind */
static int effect_handles(const struct effect_handler *handlers, size_t count,
                          enum saga_effect_kind kind)
{
    for (size_t i = 0; i < count; i++) {
        if (handlers[i].kind == kind)
            return 1;
    }
    return 0;
}

/* effect_owners_check - handlers are exactly the kinds worker owns */
int effect_owners_check(const char *worker, const struct effect_handler *handlers, size_t count,
                        char *why, size_t why_len)
{
    for (size_t i = 0; i < count; i++) {
        const char *owner = effect_owner(handlers[i].kind);

        if (owner == NULL || strcmp(owner, worker) != 0) {
            snprintf(why, why_len, "%s has a step for %s, which %s performs", worker,
                     saga_effect_name(handlers[i].kind), owner ? owner : "no worker");
            return -1;
        }
    }
    for (int k = 0; k < SAGA_EFFECT_COUNT; k++) {
        const char *owner = effect_owner((enum saga_effect_kind)k);

        if (owner && strcmp(owner, worker) == 0
            && !effect_handles(handlers, count, (enum saga_effect_kind)k)) {
            snprintf(why, why_len, "%s performs %s but has no step for it", worker,
                     saga_effect_name((enum saga_effect_kind)k));
            return -1;
        }
    }
    return 0;
}

/* effect_kind_parse - an effect kind from its name */
static int effect_kind_parse(const char *name, enum saga_effect_kind *out)
{
    for (int k = 0; k < SAGA_EFFECT_COUNT; k++) {
        if (strcmp(saga_effect_name((enum saga_effect_kind)k), name) == 0) {
            *out = (enum saga_effect_kind)k;
            return 0;
        }
    }
    return -1;
}

/* effect_fill - a claimed row into e */
static int effect_fill(PGresult *res, struct effect *e)
{
    memset(e, 0, sizeof(*e));
    e->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    snprintf(e->deployment_id, sizeof(e->deployment_id), "%s", PQgetvalue(res, 0, 1));
    snprintf(e->environment, sizeof(e->environment), "%s", PQgetvalue(res, 0, 2));
    e->epoch = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    if (effect_kind_parse(PQgetvalue(res, 0, 4), &e->kind) != 0)
        log_panic("effect_fill: effect %lld has unknown kind %s", (long long)e->id,
                  PQgetvalue(res, 0, 4));
    e->arg = atoi(PQgetvalue(res, 0, 5));
    e->attempts = atoi(PQgetvalue(res, 0, 6));
    snprintf(e->handle, sizeof(e->handle), "%s", PQgetvalue(res, 0, 7));
    e->result = *PQgetvalue(res, 0, 8) ? cJSON_Parse(PQgetvalue(res, 0, 8)) : NULL;
    e->env_version = strtoll(PQgetvalue(res, 0, 10), NULL, 10);
    e->started_ms = clock_mono_ms();
    return 0;
}

/* effect_lease_ms - how long a claim holds without renewal */
static const char *effect_lease_ms(char *buf, size_t len)
{
    snprintf(buf, len, "%ld", config_get_int("CUTOVER_EFFECT_LEASE_MS"));
    return buf;
}

/* effect_sweep_superseded - effects of an older epoch than their
 * deployment's whose holder's lease ran out (the holder was killed) end
 * cancelled: the claim only takes current-epoch effects, so nobody else
 * would ever finish them; 0, -1 error */
static int effect_sweep_superseded(struct saga_ctx *ctx)
{
    const char *params[] = {ctx->worker, config_get("CUTOVER_ENVIRONMENTS")};

    return db_exec(ctx->db,
                   "UPDATE effects e SET status = 'cancelled', finished_at = now()"
                   " FROM deployments d WHERE d.id = e.deployment_id"
                   " AND e.owner = $1 AND e.environment ~ $2 AND e.epoch < d.epoch"
                   " AND e.status = 'running' AND e.lease_until < now()",
                   2, params);
}

/* effect_sweep_when_due - effect_sweep_superseded at the first run, then
 * at most once per timer poll (CUTOVER_TIMER_POLL_MS): what it ends no
 * claim would take anyway, so a sweep after every record would only cost
 * a statement */
static void effect_sweep_when_due(struct saga_ctx *ctx)
{
    int64_t now = clock_mono_ms();

    if (effect_swept_ms != 0 && now - effect_swept_ms < config_get_int("CUTOVER_TIMER_POLL_MS"))
        return;
    if (effect_sweep_superseded(ctx) == 0)
        effect_swept_ms = now;
}

/* effect_lease_ends - when a lease set by a query sent at sent_ms runs
 * out at the earliest, on this process's clock */
static int64_t effect_lease_ends(int64_t sent_ms)
{
    return sent_ms + config_get_int("CUTOVER_EFFECT_LEASE_MS");
}

/* effect_claim - the next claimable effect of this worker (of environment
 * only, when not NULL), with the lease it holds; 1, 0 none, -1 error */
static int effect_claim(struct saga_ctx *ctx, const char *environment, struct effect *e)
{
    int64_t sent_ms = clock_mono_ms();
    char lease[32];
    const char *params[] = {ctx->worker, effect_lease_ms(lease, sizeof(lease)),
                            config_get("CUTOVER_ENVIRONMENTS"), environment};
    PGresult *res = environment ? db_query(ctx->db, effect_claim_here_sql, 4, params)
                                : db_query(ctx->db, effect_claim_sql, 3, params);
    int claimed;

    if (res == NULL)
        return -1;
    claimed = PQntuples(res) == 1;
    if (claimed) {
        effect_fill(res, e);
        snprintf(e->lease, sizeof(e->lease), "%s", PQgetvalue(res, 0, 9));
        e->lease_ends_ms = effect_lease_ends(sent_ms);
    }
    PQclear(res);
    return claimed;
}

/* effect_id_text - an effect's id as a query parameter */
const char *effect_id_text(const struct effect *e, char *buf, size_t len)
{
    snprintf(buf, len, "%lld", (long long)e->id);
    return buf;
}

/* effect_holding - whether this process holds e: EFFECT_MINE (the row
 * carries the lease it set last, and e's epoch is its deployment's),
 * EFFECT_STALE (held, but its epoch has gone), EFFECT_NOT_MINE (another
 * process's lease is there, or e ended; for a claim made inside a
 * record's transaction: that transaction rolled back), -1 on error */
static int effect_holding(struct saga_ctx *ctx, const struct effect *e)
{
    char id[32], epoch[24];
    const char *params[] = {effect_id_text(e, id, sizeof(id)), e->lease, epoch};
    PGresult *res;
    int verdict = EFFECT_NOT_MINE;

    snprintf(epoch, sizeof(epoch), "%lld", (long long)e->epoch);
    res = db_query(ctx->db,
                   "SELECT e.status = 'running' AND e.lease_until = $2::timestamptz,"
                   " d.epoch = $3::bigint FROM effects e JOIN deployments d"
                   " ON d.id = e.deployment_id WHERE e.id = $1",
                   3, params);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
        verdict = strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? EFFECT_MINE : EFFECT_STALE;
    PQclear(res);
    return verdict;
}

/* effect_current - this process holds e and its epoch is current */
int effect_current(struct saga_ctx *ctx, const struct effect *e)
{
    int holding = effect_holding(ctx, e);

    return holding < 0 ? -1 : holding == EFFECT_MINE;
}

/* effect_call_deadline - the step's outside calls end a tenth of the
 * lease before it runs out (the margin covers the two clocks, and a claim
 * whose lease was set at its transaction's start) */
static void effect_call_deadline(const struct effect *e)
{
    clock_call_deadline_set(e->lease_ends_ms - config_get_int("CUTOVER_EFFECT_LEASE_MS") / 10);
}

/* effect_lease_update - run an UPDATE of e's row that sets a new lease
 * where the row still carries e's (its last parameter) and returns
 * lease_until::text; keep the new lease: 1, 0 e is not held here any
 * more, -1 error */
static int effect_lease_update(struct saga_ctx *ctx, struct effect *e, const char *sql,
                               int nparams, const char *const *params)
{
    int64_t sent_ms = clock_mono_ms();
    PGresult *res = db_query(ctx->db, sql, nparams, params);
    int kept;

    if (res == NULL)
        return -1;
    kept = PQntuples(res) == 1;
    if (kept) {
        snprintf(e->lease, sizeof(e->lease), "%s", PQgetvalue(res, 0, 0));
        e->lease_ends_ms = effect_lease_ends(sent_ms);
    } else
        log_warn("effect %s %lld was taken over by another process: dropped here",
                 saga_effect_name(e->kind), (long long)e->id);
    PQclear(res);
    return kept;
}

/* effect_record_counting - save a step's handle and result, renewing the
 * lease, and add calls to its count of provider calls: one statement */
static int effect_record_counting(struct saga_ctx *ctx, struct effect *e, const char *calls)
{
    char id[32], lease[32];
    char *result = e->result ? cJSON_PrintUnformatted(e->result) : NULL;
    const char *params[] = {effect_id_text(e, id, sizeof(id)), e->handle, result,
                            effect_lease_ms(lease, sizeof(lease)), e->lease, calls};
    int kept = effect_lease_update(
        ctx, e,
        "UPDATE effects SET handle = nullif($2, ''), result = $3::jsonb,"
        " lease_until = now() + make_interval(secs => $4::double precision / 1000),"
        " provider_calls = provider_calls + $6::int"
        " WHERE id = $1 AND status = 'running' AND lease_until = $5::timestamptz"
        " RETURNING lease_until::text",
        6, params);

    free(result);
    if (kept == 1 && effect_stepping == e)
        effect_call_deadline(e);
    return kept;
}

/* effect_record - save a step's handle and result, renewing the lease */
int effect_record(struct saga_ctx *ctx, struct effect *e)
{
    return effect_record_counting(ctx, e, "0") == 1 ? 0 : -1;
}

/* effect_record_call - effect_record and effect_count_provider_call in
 * one statement while e is held here; a call made by a process that lost
 * its lease is still counted, by a statement of its own */
int effect_record_call(struct saga_ctx *ctx, struct effect *e)
{
    int kept = effect_record_counting(ctx, e, "1");

    if (kept == 0)
        effect_count_provider_call(ctx, e);
    return kept == 1 ? 0 : -1;
}

/* effect_renew - keep holding a wait in progress; 1, 0 lost, -1 error */
static int effect_renew(struct saga_ctx *ctx, struct effect *e)
{
    char id[32], lease[32];
    const char *params[] = {effect_id_text(e, id, sizeof(id)),
                            effect_lease_ms(lease, sizeof(lease)), e->lease};

    return effect_lease_update(
        ctx, e,
        "UPDATE effects SET lease_until = now() + make_interval(secs => $2::double precision"
        " / 1000) WHERE id = $1 AND status = 'running' AND lease_until = $3::timestamptz"
        " RETURNING lease_until::text",
        3, params);
}

/* effect_count_provider_call - one provider call, counted in the log */
void effect_count_provider_call(struct saga_ctx *ctx, const struct effect *e)
{
    char id[32];
    const char *params[] = {effect_id_text(e, id, sizeof(id))};

    db_exec(ctx->db, "UPDATE effects SET provider_calls = provider_calls + 1 WHERE id = $1",
            1, params);
}

/* effect_cancel - a held effect went stale: it will never finish */
static void effect_cancel(struct saga_ctx *ctx, const struct effect *e)
{
    char id[32];
    const char *params[] = {effect_id_text(e, id, sizeof(id)), e->lease};

    log_info("effect %s %lld is stale (epoch %lld): dropped", saga_effect_name(e->kind),
             (long long)e->id, (long long)e->epoch);
    db_exec(ctx->db,
            "UPDATE effects SET status = 'cancelled', finished_at = now()"
            " WHERE id = $1 AND status = 'running' AND lease_until = $2::timestamptz",
            2, params);
}

/* effect_handler_find - the step of a kind */
static effect_step_fn effect_handler_find(const struct effect_handler *handlers, size_t count,
                                          enum saga_effect_kind kind)
{
    for (size_t i = 0; i < count; i++) {
        if (handlers[i].kind == kind)
            return handlers[i].step;
    }
    return NULL;
}

/* effect_claimed_here - e's claim is known to hold without a query: it
 * was claimed by a statement of its own whose answer this process just
 * read, or inside a transaction whose COMMIT this process saw succeed;
 * and the lease it set there has not run out (with the margin of
 * effect_call_deadline). The claim's UPDATE took e with its deployment's
 * epoch under a lease nobody else can have taken yet. An epoch changed
 * since the claim is the race every step has after effect_holding anyway
 * (a check and a call are never one atomic step); the step's own reads
 * and lease updates see it. */
static int effect_claimed_here(struct saga_ctx *ctx, const struct effect *e)
{
    return (e->claimed_alone || (e->unconfirmed && db_committed(ctx->db, e->transaction)))
           && clock_mono_ms()
                  < e->lease_ends_ms - config_get_int("CUTOVER_EFFECT_LEASE_MS") / 10;
}

/* effect_step_one - step one held effect; 1 when it is still held after.
 * The first step after a claim this process saw succeed skips the
 * confirming read, and its provider the environment's lookup (the claim
 * read the version): two round trips less for every effect, on a
 * rollback's way among them. */
static int effect_step_one(struct saga_ctx *ctx, struct effect *e, effect_step_fn step)
{
    int here = effect_claimed_here(ctx, e);
    int current = here ? EFFECT_MINE : effect_holding(ctx, e);
    enum effect_step status;

    if (!here)
        e->env_version = 0; /* not a claim just seen: the step reads the environment */
    if (current < 0)
        return 1;
    e->unconfirmed = 0; /* a query saw the commit, or it never comes */
    e->claimed_alone = 0; /* later steps confirm with a query */
    if (current == EFFECT_NOT_MINE)
        return 0;
    if (current == EFFECT_STALE || step == NULL) {
        if (step == NULL)
            log_error("no step for effect %s", saga_effect_name(e->kind));
        effect_cancel(ctx, e);
        return 0;
    }
    log_context_set(e->environment, e->deployment_id, NULL);
    effect_stepping = e;
    effect_call_deadline(e);
    status = step(ctx, e);
    e->env_version = 0; /* later steps read the environment again */
    clock_call_deadline_set(0);
    effect_stepping = NULL;
    log_context_clear();
    if (status == EFFECT_FAILED)
        effect_count("cutover_effect_failures_total",
                     "Effect steps that ended in failure, by kind.", e);
    if (status != EFFECT_WAIT)
        return 0;
    return effect_renew(ctx, e) != 0;
}

/* effect_step_held - step the held effects (only those claimed inside a
 * record's transaction and not confirmed yet, when unconfirmed_only),
 * keeping those still waiting */
static void effect_step_held(struct saga_ctx *ctx, const struct effect_handler *handlers,
                             size_t count, int unconfirmed_only)
{
    size_t kept = 0;

    for (size_t i = 0; i < effect_held_count; i++) {
        struct effect *e = &effect_held[i];

        if ((unconfirmed_only && !e->unconfirmed)
            || effect_step_one(ctx, e, effect_handler_find(handlers, count, e->kind))) {
            effect_held[kept++] = *e;
            continue;
        }
        cJSON_Delete(e->result);
    }
    effect_held_count = kept;
}

/* effect_claimed - log and count a claim */
static void effect_claimed(const struct effect *e, const char *how)
{
    log_info("claimed effect %s %lld (attempt %d)%s", saga_effect_name(e->kind),
             (long long)e->id, e->attempts, how);
    effect_count("cutover_effect_attempts_total",
                 "Effects claimed to be performed (first tries and retries), by kind.", e);
}

/* effect_claim_now - inside the caller's transaction, claim this worker's
 * next effect of environment (the one the transaction just wrote) and hold
 * it, unconfirmed, first in line; 1 claimed, 0 none, -1 error */
int effect_claim_now(struct saga_ctx *ctx, const char *environment)
{
    struct effect e;
    int claimed;

    if (effect_held_count >= EFFECT_MAX_HELD)
        return 0;
    claimed = effect_claim(ctx, environment, &e);
    if (claimed != 1)
        return claimed;
    e.unconfirmed = 1;
    e.transaction = db_transaction(ctx->db);
    effect_claimed(&e, " in the transaction that wrote it");
    memmove(&effect_held[1], &effect_held[0], effect_held_count * sizeof(effect_held[0]));
    effect_held[0] = e;
    effect_held_count++;
    return 1;
}

/* effect_run_claimed - step at once what effect_claim_now claimed */
void effect_run_claimed(struct saga_ctx *ctx, const struct effect_handler *handlers,
                        size_t count)
{
    effect_step_held(ctx, handlers, count, 1);
}

/* effect_run - step what is held, then claim and step what is new, up
 * to EFFECT_CLAIMS_PER_RUN claims; how many are held after */
size_t effect_run(struct saga_ctx *ctx, const struct effect_handler *handlers, size_t count)
{
    int claims = 0;

    effect_step_held(ctx, handlers, count, 0);
    effect_sweep_when_due(ctx);
    effect_cut_short = 0;
    while (effect_held_count < EFFECT_MAX_HELD) {
        struct effect *e = &effect_held[effect_held_count];

        if (claims++ == EFFECT_CLAIMS_PER_RUN) {
            effect_cut_short = 1;
            break;
        }
        if (effect_claim(ctx, NULL, e) != 1)
            break; /* a claim of its own: committed already */
        e->claimed_alone = 1;
        effect_claimed(e, "");
        if (effect_step_one(ctx, e, effect_handler_find(handlers, count, e->kind)))
            effect_held_count++;
        else
            cJSON_Delete(e->result);
    }
    metrics_set(effect_metric_held(), (double)effect_held_count, NULL);
    return effect_held_count;
}

/* effect_run_cut_short - the last effect_run stopped at its bound */
int effect_run_cut_short(void)
{
    return effect_cut_short;
}

/* effect_release_all - hand held effects back at once (graceful stop) */
void effect_release_all(struct saga_ctx *ctx)
{
    for (size_t i = 0; i < effect_held_count; i++) {
        char id[32];
        const char *params[] = {effect_id_text(&effect_held[i], id, sizeof(id)),
                                effect_held[i].lease};

        db_exec(ctx->db,
                "UPDATE effects SET lease_until = now() WHERE id = $1"
                " AND lease_until = $2::timestamptz",
                2, params);
        cJSON_Delete(effect_held[i].result);
    }
    effect_held_count = 0;
}

/* effect_shutdown - hand back held effects and close the providers; the
 * next effect_run sweeps at once */
void effect_shutdown(struct saga_ctx *ctx)
{
    effect_release_all(ctx);
    effect_swept_ms = 0;
    effect_providers_close();
}
