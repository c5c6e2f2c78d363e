/*
 * stage - what the effect steps of the scaler and the deployer share: the
 *         deployment an effect works on, the provider it calls, the named
 *         crash points around each provider call, and the error budget
 *         that tells a passing provider error from one that stays.
 *
 * SYNOPSIS
 *	struct stage_target t;
 *	if (stage_target_read(ctx, e, &t) != 0) return EFFECT_WAIT;
 *	if (stage_provider(ctx, e, &ops, &p) != EFFECT_DONE) ...
 *	stage_fault(ctx, e, "before-call");	("scaler-scale-new-before-call")
 *	rc = ops->scale(p, t.new_color, t.capacity, err, sizeof(err));
 *	stage_fault(ctx, e, "after-call");
 *	if (rc != 0 && stage_call_failed(ctx, e, "scale", err)) ... give up
 *
 * DESCRIPTION
 *	Effect steps run outside any transaction; the deployment is read
 *	without a lock (deployment_load). A step's progress lives in its effect's
 *	result object (stage_result_int / stage_result_set), recorded with
 *	effect_record(), so that a copy of the worker that claims the effect
 *	after a crash resumes where the dead one stopped.
 *
 *	Crash points are named "<worker>-<effect>-<when>": before-call and
 *	after-call around the call that changes the provider (scale,
 *	deploy_start, deploy_stop), before-finish just before effect_finish.
 */
#ifndef CUTOVER_STAGE_H
#define CUTOVER_STAGE_H

#include "saga/effect.h"

/* Consecutive failures of a provider call before the effect gives up. */
#define STAGE_ERROR_LIMIT 3

struct stage_target {
    enum color new_color;
    enum color old_color;
    int capacity; /* the effect's arg, or the environment's capacity */
    char version[129];
    char artifact_uri[1024];
    char artifact_sha256[65];
};

/* stage_target_read - the deployment behind e; 0, or -1 (logged) */
int stage_target_read(struct saga_ctx *ctx, const struct effect *e, struct stage_target *t);

/* stage_provider - the environment's provider: EFFECT_DONE when opened,
 * EFFECT_WAIT to try again, EFFECT_FAILED when the error budget is spent */
enum effect_step stage_provider(struct saga_ctx *ctx, struct effect *e,
                                const struct provider_ops **ops, void **state);

/* stage_fault - the crash point "<worker>-<effect>-<when>" */
void stage_fault(struct saga_ctx *ctx, const struct effect *e, const char *when);

/* stage_call_failed - note a failed provider call in e (error, count);
 * 1 when the budget is spent and the effect should fail, else 0 */
int stage_call_failed(struct saga_ctx *ctx, struct effect *e, const char *what, const char *err);

/* stage_call_done - a provider call that changes something succeeded:
 * mark phase in e's result, record it and count the call */
void stage_call_done(struct saga_ctx *ctx, struct effect *e, const char *phase);

/* stage_result_int - an integer member of e's result, or fallback */
int stage_result_int(const struct effect *e, const char *name, int fallback);
/* stage_result_set - set an integer member of e's result */
void stage_result_set(struct effect *e, const char *name, int value);

/* stage_finish - crash point before-finish, then effect_finish; a failed
 * finish is retried on the next tick (EFFECT_WAIT) */
enum effect_step stage_finish(struct saga_ctx *ctx, struct effect *e, enum effect_step status,
                              const struct saga_input *in, const char *topic, cJSON *data);

#endif
