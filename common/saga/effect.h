/*
 * effect - performing the saga's provider effects from the write-ahead log,
 *          and firing durable timers.
 *
 * SYNOPSIS
 *	static enum effect_step scale_new_step(struct saga_ctx *ctx, struct effect *e);
 *	static const struct effect_handler handlers[] = {
 *		{ SAGA_FX_SCALE_NEW, scale_new_step },
 *	};
 *	effect_timers_fire(ctx);
 *	effect_run(ctx, handlers, 1);	(claim effects of these kinds, step them)
 *	(a worker process does both on the saga's tick, saga_worker.h)
 *
 * DESCRIPTION
 *	An effect is claimed with a lease (FOR UPDATE SKIP LOCKED) and then
 *	stepped: each step makes short, idempotent provider calls and returns
 *	EFFECT_WAIT (call me again on the next tick: a wait in progress, held
 *	by this process and its lease renewed), EFFECT_DONE or EFFECT_FAILED.
 *	A step that finishes records the result and applies its follow-up saga
 *	input in one transaction of its own (effect_finish). Effects of one
 *	environment run in id order; an effect whose epoch is older than its
 *	deployment's is stale: it is never claimed, and a held one is dropped
 *	(effect_current() tells). A process that dies mid-wait loses its lease
 *	and another copy claims the effect and steps it again from its
 *	recorded handle: every step must be safe to repeat.
 *
 *	The lease is also who holds the effect. Each claim, renewal and
 *	record sets a new lease_until, and the process keeps the value it set
 *	(e->lease); every later step, renewal, record, finish and hand-back
 *	is made only while the row still carries that value. A process that
 *	was cut off longer than its lease (a database restart, a long stop)
 *	finds another copy's lease there and drops the effect without
 *	stepping it again: one effect is never stepped by two processes.
 *	While a step runs, every call to the outside it makes must end a
 *	tenth of the lease before the lease runs out (clock_call_deadline_set,
 *	base/clock.h): a provider call that hangs (HAProxy's Runtime API
 *	stuck) fails before another copy may take the effect, and is tried
 *	again on the next tick under a renewed lease.
 *
 *	A worker may also claim an effect inside the very transaction that
 *	writes it (effect_claim_now: the write-ahead row is there, running,
 *	under a lease) and perform it right after the commit, before timers
 *	and other held effects (effect_run_claimed). The claim is held
 *	unconfirmed until a query sees the lease it set: when that
 *	transaction rolled back, or the lease ran out first and another
 *	process took the effect, it is dropped without a step. When this
 *	process saw that transaction's COMMIT succeed (db_committed) and the
 *	lease still holds, no query is needed: the claim is stepped at once. A process
 *	killed in between leaves the row running: another copy claims it when
 *	the lease (CUTOVER_EFFECT_LEASE_MS) runs out.
 *
 *	Which worker performs which effect kind is one table (effect.c,
 *	effect_owner); effect_owners_check() holds a worker's handlers
 *	against it.
 */
#ifndef CUTOVER_EFFECT_H
#define CUTOVER_EFFECT_H

#include "provider/provider.h"
#include "saga/deployment.h"
#include "saga/effect_provider.h"

#include <stdint.h>

enum effect_step { EFFECT_WAIT, EFFECT_DONE, EFFECT_FAILED };

struct effect {
    int64_t id;
    char deployment_id[37];
    char environment[64];
    int64_t epoch;
    enum saga_effect_kind kind;
    int arg;
    int attempts;
    char handle[256]; /* provider handle recorded by a step; "" when none */
    cJSON *result;    /* recorded result; NULL when none; owned */
    char error[512];  /* set by a step that fails */
    char note[256];   /* set by a step: a line for the history when it finishes */
    int64_t started_ms; /* when this process first stepped it (monotonic ms) */
    char lease[48];       /* lease_until as this process last set it: who holds e */
    int64_t lease_ends_ms;  /* clock_mono_ms by which that lease runs out at the earliest */
    int unconfirmed;      /* claimed inside a record's transaction whose commit
                           * no query has seen yet */
    uint64_t transaction; /* that transaction (db_transaction), 0 otherwise */
    int claimed_alone;    /* claimed by a statement of its own just now, not
                           * stepped yet: its answer showed e held here */
    long long env_version; /* the environment's version as the claim read it,
                            * for the first step after a claim this process
                            * just saw (effect_provider); 0 after it */
};

typedef enum effect_step (*effect_step_fn)(struct saga_ctx *ctx, struct effect *e);

struct effect_handler {
    enum saga_effect_kind kind;
    effect_step_fn step;
};

const char *effect_owner(enum saga_effect_kind kind); /* worker name, or NULL: bookkeeping */
/* effect_owners_check - 0 when handlers are exactly the kinds that worker
 * owns; -1 with why (a kind without its step, or a step for a kind that
 * another worker owns) */
int effect_owners_check(const char *worker, const struct effect_handler *handlers, size_t count,
                        char *why, size_t why_len);

/* effect_current - 1 when this process still holds e (its lease) and e's
 * epoch is still its deployment's; 0 stale or taken over, -1 error */
int effect_current(struct saga_ctx *ctx, const struct effect *e);
/* effect_record - save the handle/result of a step in progress (renews the
 * lease); -1 on error or when e is no longer held by this process */
int effect_record(struct saga_ctx *ctx, struct effect *e);
/* effect_record_call - effect_record and effect_count_provider_call for
 * a call that just returned, in one statement; the call is counted even
 * when e is no longer held here (then -1, as effect_record) */
int effect_record_call(struct saga_ctx *ctx, struct effect *e);
/* effect_count_provider_call - count one provider call in the log (the
 * chaos tests read it: no effect happens twice) */
void effect_count_provider_call(struct saga_ctx *ctx, const struct effect *e);

/* effect_finish - in one transaction: mark e done or failed, then, when
 * e is still current, lock the deployment and apply in (may be NULL),
 * record e->note (when set) in its history as "effect:KIND"; data (owned,
 * may be NULL) goes out on topic (may be NULL) as a worker event about
 * the deployment */
int effect_finish(struct saga_ctx *ctx, struct effect *e, enum effect_step status,
                  const struct saga_input *in, const char *topic, cJSON *data);

#define EFFECT_CLAIMS_PER_RUN 32
#define EFFECT_TIMERS_PER_TICK 32

/* effect_claim_now - inside a record's transaction, claim this worker's
 * next effect of environment (the one the transaction wrote: the
 * rollbacker's restore-weights) so that this process performs it right
 * after the commit (effect_run_claimed); 1 claimed, 0 none, -1 error */
int effect_claim_now(struct saga_ctx *ctx, const char *environment);

/* Run by the saga's tick in a worker process (saga_worker.h). */
void effect_run_claimed(struct saga_ctx *ctx, const struct effect_handler *handlers,
                        size_t count);
/* effect_run - step what is held, then claim and step what is new, at
 * most EFFECT_CLAIMS_PER_RUN of them; the number of effects held after
 * (waits in progress) */
size_t effect_run(struct saga_ctx *ctx, const struct effect_handler *handlers, size_t count);
/* effect_run_cut_short - whether the last effect_run stopped at
 * EFFECT_CLAIMS_PER_RUN claims, more effects perhaps claimable: the
 * caller runs again soon, after its event loop has served its I/O (the
 * producer's delivery reports, the consumer). Unbounded, a burst of
 * thousands of instant effects kept the loop away from them for minutes:
 * outbox rows outlived their leases unacknowledged and were sent again. */
int effect_run_cut_short(void);
/* effect_timers_fire - fire the due timers of the worker's environments,
 * at most EFFECT_TIMERS_PER_TICK; 1 when it stopped there, more perhaps
 * due: the caller runs again soon, as after effect_run_cut_short */
int effect_timers_fire(struct saga_ctx *ctx);
/* effect_shutdown - hand back held effects and close the providers */
void effect_shutdown(struct saga_ctx *ctx);

#endif
