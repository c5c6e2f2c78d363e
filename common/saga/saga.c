/*
 * saga - a deployment's state machine (see saga.h).
 *
 * SYNOPSIS
 *	int saga_apply(in, ev, out);
 *
 * DESCRIPTION
 *	saga_table below names the outcome of every (state, input) pair:
 *	GO(action) for a transition, IGNORE/REJECT/DEFER with a reason. An
 *	action may still decline (a SHIFTED for another weight than the one
 *	asked is ignored). Before the table, guards settle inputs that no
 *	state should see: a stale or never issued epoch, a timer armed in
 *	another state. After it, saga_finish() adds what every change of state
 *	carries (EMIT_STATUS, and START_NEXT on entering a terminal state).
 *	The database stage's states (migrating, contracting,
 *	completed-with-warning) and the cache stage's (flushing-caches)
 *	follow the others in the table.
 *	No I/O here: the caller stores the new state and performs the effects.
 */
#include "saga/saga.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct saga_state_info {
    const char *name;
    bool terminal;
    bool shifted; /* traffic may have moved */
};

static const struct saga_state_info saga_states[SAGA_STATE_COUNT] = {
    [SAGA_RECEIVED] = { "received", false, false },
    [SAGA_SCALING] = { "scaling", false, false },
    [SAGA_DEPLOYING] = { "deploying", false, false },
    [SAGA_VALIDATING] = { "validating", false, false },
    [SAGA_AWAITING_APPROVAL] = { "awaiting-approval", false, false },
    [SAGA_SHIFTING] = { "shifting", false, true },
    [SAGA_PAUSED] = { "paused", false, true },
    [SAGA_PROMOTED] = { "promoted", false, true },
    [SAGA_COMPLETED] = { "completed", true, true },
    [SAGA_FAILED] = { "failed", true, false },
    [SAGA_ROLLING_BACK] = { "rolling-back", false, true },
    [SAGA_ROLLED_BACK] = { "rolled-back", true, true },
    [SAGA_SUPERSEDED] = { "superseded", true, false },
    [SAGA_MIGRATING] = { "migrating", false, false },
    [SAGA_CONTRACTING] = { "contracting", false, true },
    [SAGA_COMPLETED_WITH_WARNING] = { "completed-with-warning", true, true },
    [SAGA_FLUSHING_CACHES] = { "flushing-caches", false, false },
};

struct saga_input_info {
    const char *name;
    bool timer; /* fired by a durable timer: carries armed_in */
};

static const struct saga_input_info saga_inputs[SAGA_INPUT_COUNT] = {
    [SAGA_IN_START] = { "start", false },
    [SAGA_IN_SCALED] = { "scaled", false },
    [SAGA_IN_SCALE_FAILED] = { "scale-failed", false },
    [SAGA_IN_DEPLOYED] = { "deployed", false },
    [SAGA_IN_DEPLOY_FAILED] = { "deploy-failed", false },
    [SAGA_IN_VALIDATION_PASSED] = { "validation-passed", false },
    [SAGA_IN_VALIDATION_FAILED] = { "validation-failed", false },
    [SAGA_IN_APPROVED] = { "approved", false },
    [SAGA_IN_SHIFT] = { "shift", false },
    [SAGA_IN_PROMOTE] = { "promote", false },
    [SAGA_IN_PAUSE] = { "pause", false },
    [SAGA_IN_RESUME] = { "resume", false },
    [SAGA_IN_STEP_DUE] = { "step-due", true },
    [SAGA_IN_SHIFTED] = { "shifted", false },
    [SAGA_IN_ROLLBACK] = { "rollback", false },
    [SAGA_IN_ABORT] = { "abort", false },
    [SAGA_IN_ALARM] = { "alarm", false },
    [SAGA_IN_ALARM_OK] = { "alarm-ok", false },
    [SAGA_IN_STAGE_TIMEOUT] = { "stage-timeout", true },
    [SAGA_IN_BAKE_DONE] = { "bake-done", true },
    [SAGA_IN_RETIRED] = { "retired", false },
    [SAGA_IN_ROLLED_BACK] = { "rolled-back", false },
    [SAGA_IN_SUPERSEDE] = { "supersede", false },
    [SAGA_IN_DRILL] = { "drill", false },
    [SAGA_IN_ANALYSIS_PASSED] = { "analysis-passed", false },
    [SAGA_IN_ANALYSIS_FAILED] = { "analysis-failed", false },
    [SAGA_IN_ANALYSIS_INCONCLUSIVE] = { "analysis-inconclusive", false },
    [SAGA_IN_MIGRATED] = { "migrated", false },
    [SAGA_IN_MIGRATION_FAILED] = { "migration-failed", false },
    [SAGA_IN_CONTRACTED] = { "contracted", false },
    [SAGA_IN_CONTRACT_FAILED] = { "contract-failed", false },
    [SAGA_IN_RETRY_CONTRACT] = { "retry-contract", false },
    [SAGA_IN_CACHES_FLUSHED] = { "caches-flushed", false },
    [SAGA_IN_CACHE_FLUSH_FAILED] = { "cache-flush-failed", false },
};

static const char *const saga_effect_names[SAGA_EFFECT_COUNT] = {
    [SAGA_FX_SCALE_NEW] = "scale-new",
    [SAGA_FX_DEPLOY_NEW] = "deploy-new",
    [SAGA_FX_OPEN_PREVIEW] = "open-preview",
    [SAGA_FX_CLOSE_PREVIEW] = "close-preview",
    [SAGA_FX_VALIDATE] = "validate",
    [SAGA_FX_SET_WEIGHTS] = "set-weights",
    [SAGA_FX_START_STEP_TIMER] = "start-step-timer",
    [SAGA_FX_CANCEL_TIMERS] = "cancel-timers",
    [SAGA_FX_START_BAKE_TIMER] = "start-bake-timer",
    [SAGA_FX_START_STAGE_TIMER] = "start-stage-timer",
    [SAGA_FX_RETIRE_OLD] = "retire-old",
    [SAGA_FX_RESTORE_WEIGHTS] = "restore-weights",
    [SAGA_FX_SCALE_NEW_TO_ZERO] = "scale-new-to-zero",
    [SAGA_FX_FLIP_LIVE_COLOR] = "flip-live-color",
    [SAGA_FX_STOP_PROVIDER_DEPLOYMENT] = "stop-provider-deployment",
    [SAGA_FX_EMIT_STATUS] = "emit-status",
    [SAGA_FX_RAISE_EPOCH] = "raise-epoch",
    [SAGA_FX_START_NEXT] = "start-next",
    [SAGA_FX_DRILL_RESTORE] = "drill-restore",
    [SAGA_FX_DRILL_RETURN] = "drill-return",
    [SAGA_FX_START_ANALYSIS] = "start-analysis",
    [SAGA_FX_MIGRATE_EXPAND] = "migrate-expand",
    [SAGA_FX_CHECK_OLD_COLOR] = "check-old-color",
    [SAGA_FX_MIGRATE_CONTRACT] = "migrate-contract",
    [SAGA_FX_FLUSH_CACHES] = "flush-caches",
};

static const char *const saga_verdict_names[] = {
    [SAGA_UNDEFINED] = "undefined",
    [SAGA_TRANSITION] = "transition",
    [SAGA_IGNORE] = "ignore",
    [SAGA_REJECT] = "reject",
    [SAGA_DEFER] = "defer",
};

/* What ending before traffic moved must undo, by the state it ends from. */
struct saga_undo {
    bool stop_deployment;
    bool close_preview;
    bool scale_to_zero;
};

static const struct saga_undo saga_undo_table[SAGA_STATE_COUNT] = {
    [SAGA_SCALING] = { false, false, true },
    [SAGA_DEPLOYING] = { true, false, true },
    [SAGA_VALIDATING] = { false, true, true },
    [SAGA_AWAITING_APPROVAL] = { false, true, true },
    [SAGA_FLUSHING_CACHES] = { false, true, true },
};

/* What the current canary step waits for. */
enum saga_wait {
    SAGA_WAIT_TIMER,     /* its pause timer */
    SAGA_WAIT_OPERATOR,  /* a null pause, or a weight an operator set */
    SAGA_WAIT_PROMOTE,   /* the last step without auto_promote */
    SAGA_WAIT_PROMOTION, /* 100 asked, not yet in effect */
};

static const char *const saga_wait_notes[] = {
    [SAGA_WAIT_TIMER] = "the step's pause timer runs",
    [SAGA_WAIT_OPERATOR] = "waiting for an operator (resume, promote or shift)",
    [SAGA_WAIT_PROMOTE] = "the last step waits for promote",
    [SAGA_WAIT_PROMOTION] = "a promotion to 100 is in flight",
};

/* saga_say - set the verdict and its reason */
static void __attribute__((format(printf, 3, 4)))
saga_say(struct saga_outcome *out, enum saga_verdict verdict, const char *fmt, ...)
{
    va_list ap;

    out->verdict = verdict;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
    va_end(ap);
}

/* saga_add - append an effect; saga_finish() refuses an overflow */
static void saga_add(struct saga_outcome *out, enum saga_effect_kind kind, int arg)
{
    if (out->effect_count < SAGA_MAX_EFFECTS) {
        out->effects[out->effect_count].kind = kind;
        out->effects[out->effect_count].arg = arg;
    }
    out->effect_count++;
}

/* saga_step_count - the number of steps (bluegreen: one) */
static int saga_step_count(const struct saga_state *st)
{
    return st->strategy.kind == SAGA_BLUEGREEN ? 1 : st->strategy.step_count;
}

/* saga_step_at - step i (bluegreen: all at once) */
static struct saga_step saga_step_at(const struct saga_state *st, int i)
{
    static const struct saga_step all_at_once = { 100, 0, false };

    return st->strategy.kind == SAGA_BLUEGREEN ? all_at_once : st->strategy.steps[i];
}

/* saga_step_wait - what the current step waits for */
static enum saga_wait saga_step_wait(const struct saga_state *st)
{
    struct saga_step step = saga_step_at(st, st->step);

    if (st->weight == 100)
        return SAGA_WAIT_PROMOTION;
    if (st->weight != step.weight || step.pause_seconds == SAGA_PAUSE_OPERATOR)
        return SAGA_WAIT_OPERATOR;
    if (st->step == saga_step_count(st) - 1 && !st->strategy.auto_promote)
        return SAGA_WAIT_PROMOTE;
    return SAGA_WAIT_TIMER;
}

/* saga_set_weight - ask for the new color's share */
static void saga_set_weight(struct saga_outcome *out, int weight)
{
    out->next.weight = weight;
    saga_add(out, SAGA_FX_SET_WEIGHTS, weight);
}

/* saga_advance - ask for the next step above the current weight, else 100
 * with auto_promote; -1 when the deployment must wait for PROMOTE */
static int saga_advance(struct saga_outcome *out)
{
    struct saga_state *st = &out->next;

    for (int i = st->step; i < saga_step_count(st); i++) {
        if (saga_step_at(st, i).weight > st->weight) {
            st->step = i;
            saga_set_weight(out, saga_step_at(st, i).weight);
            return 0;
        }
    }
    if (!st->strategy.auto_promote)
        return -1;
    saga_set_weight(out, 100);
    return 0;
}

/* saga_raise_epoch - fence every input issued before this point */
static void saga_raise_epoch(struct saga_outcome *out)
{
    out->next.epoch++;
    saga_add(out, SAGA_FX_RAISE_EPOCH, 0);
}

/* saga_go_scaling - START (or MIGRATED): bring the new color up */
static void saga_go_scaling(const struct saga_input *ev, struct saga_outcome *out)
{
    if (ev->kind == SAGA_IN_MIGRATED)
        saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    out->next.state = SAGA_SCALING;
    saga_add(out, SAGA_FX_SCALE_NEW, 0);
    saga_add(out, SAGA_FX_START_STAGE_TIMER, SAGA_SCALING);
}

/* saga_go_started - START: expand the schema first when the environment
 * has a database, else scale */
static void saga_go_started(const struct saga_input *ev, struct saga_outcome *out)
{
    if (!out->next.database_stage) {
        saga_go_scaling(ev, out);
        return;
    }
    out->next.state = SAGA_MIGRATING;
    saga_add(out, SAGA_FX_MIGRATE_EXPAND, 0);
    saga_add(out, SAGA_FX_CHECK_OLD_COLOR, 0);
    saga_add(out, SAGA_FX_START_STAGE_TIMER, SAGA_MIGRATING);
}

/* saga_go_deploying - SCALED: install the release on the new color */
static void saga_go_deploying(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    out->next.state = SAGA_DEPLOYING;
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    saga_add(out, SAGA_FX_DEPLOY_NEW, 0);
    saga_add(out, SAGA_FX_START_STAGE_TIMER, SAGA_DEPLOYING);
}

/* saga_go_validating - DEPLOYED: check the new color through the preview */
static void saga_go_validating(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    out->next.state = SAGA_VALIDATING;
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    saga_add(out, SAGA_FX_OPEN_PREVIEW, 0);
    saga_add(out, SAGA_FX_VALIDATE, 0);
    saga_add(out, SAGA_FX_START_STAGE_TIMER, SAGA_VALIDATING);
}

/* saga_go_shifting - validated and approved: ask for the first step's weight */
static void saga_go_shifting(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    out->next.state = SAGA_SHIFTING;
    out->next.step = 0;
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    saga_add(out, SAGA_FX_CLOSE_PREVIEW, 0);
    saga_set_weight(out, saga_step_at(&out->next, 0).weight);
}

/* saga_go_flushing - VALIDATION_PASSED with caches: flush them before
 * approval and before any traffic moves */
static void saga_go_flushing(struct saga_outcome *out)
{
    out->next.state = SAGA_FLUSHING_CACHES;
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    saga_add(out, SAGA_FX_FLUSH_CACHES, 0);
    saga_add(out, SAGA_FX_START_STAGE_TIMER, SAGA_FLUSHING_CACHES);
}

/* saga_go_validated - VALIDATION_PASSED: flush the caches first when the
 * environment declares some; CACHES_FLUSHED: wait for approval, or shift */
static void saga_go_validated(const struct saga_input *ev, struct saga_outcome *out)
{
    if (out->next.cache_stage && ev->kind == SAGA_IN_VALIDATION_PASSED) {
        saga_go_flushing(out);
        return;
    }
    if (!out->next.approval_required) {
        saga_go_shifting(ev, out);
        return;
    }
    out->next.state = SAGA_AWAITING_APPROVAL;
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    saga_add(out, SAGA_FX_START_STAGE_TIMER, SAGA_AWAITING_APPROVAL);
}

/* saga_end_early - end before traffic moved, undoing what the stage began */
static void saga_end_early(struct saga_outcome *out, enum saga_state_kind to)
{
    const struct saga_undo *undo = &saga_undo_table[out->next.state];

    saga_raise_epoch(out);
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    if (undo->stop_deployment)
        saga_add(out, SAGA_FX_STOP_PROVIDER_DEPLOYMENT, 0);
    if (undo->close_preview)
        saga_add(out, SAGA_FX_CLOSE_PREVIEW, 0);
    if (undo->scale_to_zero)
        saga_add(out, SAGA_FX_SCALE_NEW_TO_ZERO, 0);
    out->next.state = to;
    out->next.weight = 0;
}

/* saga_go_failed - a failure, an alarm or an operator ends it before traffic moved */
static void saga_go_failed(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    saga_end_early(out, SAGA_FAILED);
}

/* saga_go_superseded - a newer build replaces one that moved no traffic */
static void saga_go_superseded(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    saga_end_early(out, SAGA_SUPERSEDED);
}

/* saga_go_rolling_back - compensate: old color back to 100 %, new color to zero */
static void saga_go_rolling_back(const struct saga_input *ev, struct saga_outcome *out)
{
    struct saga_state *st = &out->next;

    if (st->retiring && (ev->kind == SAGA_IN_ROLLBACK || ev->kind == SAGA_IN_ABORT)) {
        saga_say(out, SAGA_REJECT, "%s while retiring: the old color is going away; "
                 "deploy the previous release instead", saga_input_name(ev->kind));
        return;
    }
    if (st->retiring) {
        saga_say(out, SAGA_IGNORE, "%s while retiring: the old color is going away, "
                 "nothing to roll back to", saga_input_name(ev->kind));
        return;
    }
    saga_raise_epoch(out);
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    saga_add(out, SAGA_FX_RESTORE_WEIGHTS, 0);
    if (st->state == SAGA_PROMOTED)
        saga_add(out, SAGA_FX_FLIP_LIVE_COLOR, 1 - st->new_color);
    saga_add(out, SAGA_FX_SCALE_NEW_TO_ZERO, 0);
    st->state = SAGA_ROLLING_BACK;
    st->weight = 0;
}

/* saga_do_drill - DRILL: the old color's weights, read back, then the
 * deployment's again; the state stays */
static void saga_do_drill(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    if (out->next.retiring) {
        saga_say(out, SAGA_REJECT, "drill while retiring: the old color is going away");
        return;
    }
    saga_add(out, SAGA_FX_DRILL_RESTORE, 0);
    saga_add(out, SAGA_FX_DRILL_RETURN, 0);
}

/* saga_go_rolled_back - ROLLED_BACK: the compensation is done */
static void saga_go_rolled_back(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    out->next.state = SAGA_ROLLED_BACK;
}

/* saga_go_promoted - 100 % took effect: the new color is live, bake begins */
static void saga_go_promoted(struct saga_outcome *out)
{
    out->next.state = SAGA_PROMOTED;
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    saga_add(out, SAGA_FX_FLIP_LIVE_COLOR, out->next.new_color);
    saga_add(out, SAGA_FX_START_BAKE_TIMER, 0);
}

/* saga_go_retiring - BAKE_DONE: scale the old color to zero */
static void saga_go_retiring(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    if (out->next.retiring) {
        saga_say(out, SAGA_IGNORE, "bake-done while retiring: already retiring");
        return;
    }
    out->next.retiring = true;
    saga_add(out, SAGA_FX_RETIRE_OLD, 0);
}

/* saga_go_contracting - the old color is gone: run the contract migrations */
static void saga_go_contracting(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    out->next.state = SAGA_CONTRACTING;
    saga_add(out, SAGA_FX_MIGRATE_CONTRACT, 0);
}

/* saga_go_completed - RETIRED: the old color is gone; contract first when
 * the environment has a database */
static void saga_go_completed(const struct saga_input *ev, struct saga_outcome *out)
{
    if (!out->next.retiring) {
        saga_say(out, SAGA_REJECT, "retired while promoted: the bake has not ended");
        return;
    }
    if (out->next.database_stage) {
        saga_go_contracting(ev, out);
        return;
    }
    out->next.state = SAGA_COMPLETED;
}

/* saga_go_contracted - CONTRACTED: the schema is the new release's alone */
static void saga_go_contracted(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    out->next.state = SAGA_COMPLETED;
}

/* saga_go_contract_failed - CONTRACT_FAILED: live, with a warning to retry */
static void saga_go_contract_failed(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    out->next.state = SAGA_COMPLETED_WITH_WARNING;
}

/* saga_run_pause - the current step's pause: its analysis, else its timer */
static void saga_run_pause(struct saga_outcome *out)
{
    struct saga_step step = saga_step_at(&out->next, out->next.step);

    saga_add(out, step.analysis ? SAGA_FX_START_ANALYSIS : SAGA_FX_START_STEP_TIMER,
             step.pause_seconds);
}

/* saga_on_shifted - SHIFTED in shifting: promote at 100, else run the step */
static void saga_on_shifted(const struct saga_input *ev, struct saga_outcome *out)
{
    const struct saga_state *st = &out->next;
    enum saga_wait wait;

    if (ev->weight != st->weight) {
        saga_say(out, SAGA_IGNORE, "shifted to %d but %d is asked", ev->weight, st->weight);
        return;
    }
    if (st->weight == 100) {
        saga_go_promoted(out);
        return;
    }
    wait = saga_step_wait(st);
    if (wait != SAGA_WAIT_TIMER) {
        saga_say(out, SAGA_IGNORE, "%d took effect at step %d: %s", st->weight, st->step,
                 saga_wait_notes[wait]);
        return;
    }
    saga_run_pause(out);
}

/* saga_on_step_due - STEP_DUE in shifting: on to the next step */
static void saga_on_step_due(const struct saga_input *ev, struct saga_outcome *out)
{
    const struct saga_state *st = &out->next;
    enum saga_wait wait = saga_step_wait(st);

    if (ev->step != st->step) {
        saga_say(out, SAGA_IGNORE, "timer of step %d fired at step %d", ev->step, st->step);
        return;
    }
    if (wait == SAGA_WAIT_TIMER && saga_step_at(st, st->step).analysis) {
        saga_say(out, SAGA_IGNORE, "step-due at step %d: the step's analysis owns its pause",
                 st->step);
        return;
    }
    if (wait != SAGA_WAIT_TIMER || saga_advance(out) != 0)
        saga_say(out, SAGA_IGNORE, "step-due at step %d: %s", st->step, saga_wait_notes[wait]);
}

/* saga_analysis_of_step - 1 when ev concerns the step in force, which
 * runs its analysis; else the outcome says why it is ignored */
static int saga_analysis_of_step(const struct saga_input *ev, struct saga_outcome *out)
{
    const struct saga_state *st = &out->next;

    if (ev->step != st->step) {
        saga_say(out, SAGA_IGNORE, "%s of step %d at step %d", saga_input_name(ev->kind),
                 ev->step, st->step);
        return 0;
    }
    if (!saga_step_at(st, st->step).analysis || saga_step_wait(st) != SAGA_WAIT_TIMER) {
        saga_say(out, SAGA_IGNORE, "%s at step %d: no analysis runs", saga_input_name(ev->kind),
                 st->step);
        return 0;
    }
    return 1;
}

/* saga_on_analysis_passed - the step's pause is over and its checks passed: on */
static void saga_on_analysis_passed(const struct saga_input *ev, struct saga_outcome *out)
{
    if (saga_analysis_of_step(ev, out) && saga_advance(out) != 0)
        saga_say(out, SAGA_IGNORE, "analysis-passed at step %d: %s", out->next.step,
                 saga_wait_notes[SAGA_WAIT_PROMOTE]);
}

/* saga_on_analysis_failed - a check failed: roll back, as an alarm does */
static void saga_on_analysis_failed(const struct saga_input *ev, struct saga_outcome *out)
{
    if (saga_analysis_of_step(ev, out))
        saga_go_rolling_back(ev, out);
}

/* saga_on_analysis_inconclusive - no verdict: pause for an operator */
static void saga_on_analysis_inconclusive(const struct saga_input *ev, struct saga_outcome *out)
{
    if (!saga_analysis_of_step(ev, out))
        return;
    out->next.state = SAGA_PAUSED;
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
}

/* saga_do_promote - PROMOTE (or SHIFT 100): ask for 100 %, promoted once in effect */
static void saga_do_promote(const struct saga_input *ev, struct saga_outcome *out)
{
    if (out->next.state == SAGA_SHIFTING && out->next.weight == 100) {
        saga_say(out, SAGA_IGNORE, "%s while shifting: %s", saga_input_name(ev->kind),
                 saga_wait_notes[SAGA_WAIT_PROMOTION]);
        return;
    }
    out->next.state = SAGA_SHIFTING;
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    saga_set_weight(out, 100);
}

/* saga_do_shift - SHIFT N: an absolute weight that the operator then holds */
static void saga_do_shift(const struct saga_input *ev, struct saga_outcome *out)
{
    if (ev->weight < 0 || ev->weight > 100) {
        saga_say(out, SAGA_REJECT, "shift to %d: a weight is 0..100", ev->weight);
        return;
    }
    if (ev->weight == 100) {
        saga_do_promote(ev, out);
        return;
    }
    if (ev->weight == out->next.weight) {
        saga_say(out, SAGA_IGNORE, "shift to %d: already asked", ev->weight);
        return;
    }
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
    saga_set_weight(out, ev->weight);
}

/* saga_do_pause - PAUSE in shifting: stop the step timers */
static void saga_do_pause(const struct saga_input *ev, struct saga_outcome *out)
{
    (void)ev;
    if (out->next.weight == 100) {
        saga_say(out, SAGA_REJECT, "pause while shifting: %s; roll back instead",
                 saga_wait_notes[SAGA_WAIT_PROMOTION]);
        return;
    }
    out->next.state = SAGA_PAUSED;
    saga_add(out, SAGA_FX_CANCEL_TIMERS, 0);
}

/* saga_do_resume - RESUME in shifting: a step waiting for an operator moves on */
static void saga_do_resume(const struct saga_input *ev, struct saga_outcome *out)
{
    enum saga_wait wait = saga_step_wait(&out->next);

    (void)ev;
    if (wait != SAGA_WAIT_OPERATOR || saga_advance(out) != 0) {
        if (wait == SAGA_WAIT_OPERATOR)
            wait = SAGA_WAIT_PROMOTE;
        saga_say(out, SAGA_IGNORE, "resume while shifting at step %d: %s", out->next.step,
                 saga_wait_notes[wait]);
    }
}

/* saga_do_unpause - RESUME in paused: re-arm the step's pause, or move on */
static void saga_do_unpause(const struct saga_input *ev, struct saga_outcome *out)
{
    enum saga_wait wait = saga_step_wait(&out->next);

    (void)ev;
    out->next.state = SAGA_SHIFTING;
    if (wait == SAGA_WAIT_TIMER) {
        saga_run_pause(out);
        return;
    }
    if (wait == SAGA_WAIT_OPERATOR && saga_advance(out) == 0)
        return;
    if (wait == SAGA_WAIT_OPERATOR)
        wait = SAGA_WAIT_PROMOTE;
    saga_say(out, SAGA_TRANSITION, "%s", saga_wait_notes[wait]);
}

struct saga_rule {
    enum saga_verdict verdict;
    void (*action)(const struct saga_input *ev, struct saga_outcome *out);
    const char *reason;
};

#define GO(action) { SAGA_TRANSITION, action, NULL }
#define IGNORE(why) { SAGA_IGNORE, NULL, why }
#define REJECT(why) { SAGA_REJECT, NULL, why }
#define DEFER(why) { SAGA_DEFER, NULL, why }

/* Every input of a terminal state: ignored, with the state named. */
#define TERMINAL_INPUTS(s) \
    [SAGA_IN_START] = IGNORE("start after " s " changes nothing"), \
    [SAGA_IN_SCALED] = IGNORE("scaled after " s " changes nothing"), \
    [SAGA_IN_SCALE_FAILED] = IGNORE("scale-failed after " s " changes nothing"), \
    [SAGA_IN_DEPLOYED] = IGNORE("deployed after " s " changes nothing"), \
    [SAGA_IN_DEPLOY_FAILED] = IGNORE("deploy-failed after " s " changes nothing"), \
    [SAGA_IN_VALIDATION_PASSED] = IGNORE("validation-passed after " s " changes nothing"), \
    [SAGA_IN_VALIDATION_FAILED] = IGNORE("validation-failed after " s " changes nothing"), \
    [SAGA_IN_APPROVED] = IGNORE("approved after " s " changes nothing"), \
    [SAGA_IN_SHIFT] = IGNORE("shift after " s " changes nothing"), \
    [SAGA_IN_PROMOTE] = IGNORE("promote after " s " changes nothing"), \
    [SAGA_IN_PAUSE] = IGNORE("pause after " s " changes nothing"), \
    [SAGA_IN_RESUME] = IGNORE("resume after " s " changes nothing"), \
    [SAGA_IN_STEP_DUE] = IGNORE("step-due after " s " changes nothing"), \
    [SAGA_IN_SHIFTED] = IGNORE("shifted after " s " changes nothing"), \
    [SAGA_IN_ROLLBACK] = IGNORE("rollback after " s " changes nothing"), \
    [SAGA_IN_ABORT] = IGNORE("abort after " s " changes nothing"), \
    [SAGA_IN_ALARM] = IGNORE("alarm after " s " changes nothing"), \
    [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok after " s " changes nothing"), \
    [SAGA_IN_STAGE_TIMEOUT] = IGNORE("stage-timeout after " s " changes nothing"), \
    [SAGA_IN_BAKE_DONE] = IGNORE("bake-done after " s " changes nothing"), \
    [SAGA_IN_RETIRED] = IGNORE("retired after " s " changes nothing"), \
    [SAGA_IN_ROLLED_BACK] = IGNORE("rolled-back after " s " changes nothing"), \
    [SAGA_IN_SUPERSEDE] = IGNORE("supersede after " s " changes nothing"), \
    [SAGA_IN_DRILL] = IGNORE("drill after " s " changes nothing"), \
    [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed after " s " changes nothing"), \
    [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed after " s " changes nothing"), \
    [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive after " s " changes nothing"), \
    [SAGA_IN_MIGRATED] = IGNORE("migrated after " s " changes nothing"), \
    [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed after " s " changes nothing"), \
    [SAGA_IN_CONTRACTED] = IGNORE("contracted after " s " changes nothing"), \
    [SAGA_IN_CONTRACT_FAILED] = IGNORE("contract-failed after " s " changes nothing"), \
    [SAGA_IN_CACHES_FLUSHED] = IGNORE("caches-flushed after " s " changes nothing"), \
    [SAGA_IN_CACHE_FLUSH_FAILED] = IGNORE("cache-flush-failed after " s " changes nothing"),

#define TERMINAL_ROW(s) { \
    TERMINAL_INPUTS(s) \
    [SAGA_IN_RETRY_CONTRACT] = IGNORE("retry-contract after " s ": no contract failed"), \
}

static const struct saga_rule saga_table[SAGA_STATE_COUNT][SAGA_INPUT_COUNT] = {
    [SAGA_RECEIVED] = {
        [SAGA_IN_START] = GO(saga_go_started),
        [SAGA_IN_SCALED] = REJECT("scaled while received: no scale was asked"),
        [SAGA_IN_SCALE_FAILED] = REJECT("scale-failed while received: no scale was asked"),
        [SAGA_IN_DEPLOYED] = REJECT("deployed while received: no deploy was asked"),
        [SAGA_IN_DEPLOY_FAILED] = REJECT("deploy-failed while received: no deploy was asked"),
        [SAGA_IN_VALIDATION_PASSED] = REJECT("validation-passed while received: nothing deployed"),
        [SAGA_IN_VALIDATION_FAILED] = REJECT("validation-failed while received: nothing deployed"),
        [SAGA_IN_APPROVED] = REJECT("approved while received: not validated yet"),
        [SAGA_IN_SHIFT] = REJECT("shift while received: not validated yet"),
        [SAGA_IN_PROMOTE] = REJECT("promote while received: not validated yet"),
        [SAGA_IN_PAUSE] = REJECT("pause while received: no traffic is shifting"),
        [SAGA_IN_RESUME] = REJECT("resume while received: nothing is paused"),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while received: no step timer runs"),
        [SAGA_IN_SHIFTED] = REJECT("shifted while received: no weight was asked"),
        [SAGA_IN_ROLLBACK] = GO(saga_go_failed),
        [SAGA_IN_ABORT] = GO(saga_go_failed),
        [SAGA_IN_ALARM] = GO(saga_go_failed),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while received: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = IGNORE("stage-timeout while received: no stage timer runs"),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while received: no bake timer runs"),
        [SAGA_IN_RETIRED] = REJECT("retired while received: nothing was promoted"),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while received: no rollback was asked"),
        [SAGA_IN_SUPERSEDE] = GO(saga_go_superseded),
        [SAGA_IN_DRILL] = REJECT("drill while received: traffic has not moved; nothing to drill"),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while received: no analysis runs"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while received: no analysis runs"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while received: no analysis runs"),
        [SAGA_IN_MIGRATED] = REJECT("migrated while received: no migration was asked"),
        [SAGA_IN_MIGRATION_FAILED] = REJECT("migration-failed while received: no migration was asked"),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while received: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while received: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while received: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = REJECT("caches-flushed while received: no flush was asked"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = REJECT("cache-flush-failed while received: no flush was asked"),
    },
    [SAGA_SCALING] = {
        [SAGA_IN_START] = IGNORE("start while scaling: already started"),
        [SAGA_IN_SCALED] = GO(saga_go_deploying),
        [SAGA_IN_SCALE_FAILED] = GO(saga_go_failed),
        [SAGA_IN_DEPLOYED] = REJECT("deployed while scaling: no deploy was asked"),
        [SAGA_IN_DEPLOY_FAILED] = REJECT("deploy-failed while scaling: no deploy was asked"),
        [SAGA_IN_VALIDATION_PASSED] = REJECT("validation-passed while scaling: nothing deployed"),
        [SAGA_IN_VALIDATION_FAILED] = REJECT("validation-failed while scaling: nothing deployed"),
        [SAGA_IN_APPROVED] = REJECT("approved while scaling: not validated yet"),
        [SAGA_IN_SHIFT] = REJECT("shift while scaling: not validated yet"),
        [SAGA_IN_PROMOTE] = REJECT("promote while scaling: not validated yet"),
        [SAGA_IN_PAUSE] = REJECT("pause while scaling: no traffic is shifting"),
        [SAGA_IN_RESUME] = REJECT("resume while scaling: nothing is paused"),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while scaling: no step timer runs"),
        [SAGA_IN_SHIFTED] = REJECT("shifted while scaling: no weight was asked"),
        [SAGA_IN_ROLLBACK] = GO(saga_go_failed),
        [SAGA_IN_ABORT] = GO(saga_go_failed),
        [SAGA_IN_ALARM] = GO(saga_go_failed),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while scaling: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = GO(saga_go_failed),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while scaling: no bake timer runs"),
        [SAGA_IN_RETIRED] = REJECT("retired while scaling: nothing was promoted"),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while scaling: no rollback was asked"),
        [SAGA_IN_SUPERSEDE] = GO(saga_go_superseded),
        [SAGA_IN_DRILL] = REJECT("drill while scaling: traffic has not moved; nothing to drill"),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while scaling: no analysis runs"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while scaling: no analysis runs"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while scaling: no analysis runs"),
        [SAGA_IN_MIGRATED] = IGNORE("migrated while scaling: late"),
        [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed while scaling: late"),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while scaling: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while scaling: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while scaling: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = REJECT("caches-flushed while scaling: no flush was asked"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = REJECT("cache-flush-failed while scaling: no flush was asked"),
    },
    [SAGA_DEPLOYING] = {
        [SAGA_IN_START] = IGNORE("start while deploying: already started"),
        [SAGA_IN_SCALED] = IGNORE("scaled while deploying: late"),
        [SAGA_IN_SCALE_FAILED] = IGNORE("scale-failed while deploying: late"),
        [SAGA_IN_DEPLOYED] = GO(saga_go_validating),
        [SAGA_IN_DEPLOY_FAILED] = GO(saga_go_failed),
        [SAGA_IN_VALIDATION_PASSED] = REJECT("validation-passed while deploying: not deployed yet"),
        [SAGA_IN_VALIDATION_FAILED] = REJECT("validation-failed while deploying: not deployed yet"),
        [SAGA_IN_APPROVED] = REJECT("approved while deploying: not validated yet"),
        [SAGA_IN_SHIFT] = REJECT("shift while deploying: not validated yet"),
        [SAGA_IN_PROMOTE] = REJECT("promote while deploying: not validated yet"),
        [SAGA_IN_PAUSE] = REJECT("pause while deploying: no traffic is shifting"),
        [SAGA_IN_RESUME] = REJECT("resume while deploying: nothing is paused"),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while deploying: no step timer runs"),
        [SAGA_IN_SHIFTED] = REJECT("shifted while deploying: no weight was asked"),
        [SAGA_IN_ROLLBACK] = GO(saga_go_failed),
        [SAGA_IN_ABORT] = GO(saga_go_failed),
        [SAGA_IN_ALARM] = GO(saga_go_failed),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while deploying: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = GO(saga_go_failed),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while deploying: no bake timer runs"),
        [SAGA_IN_RETIRED] = REJECT("retired while deploying: nothing was promoted"),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while deploying: no rollback was asked"),
        [SAGA_IN_SUPERSEDE] = GO(saga_go_superseded),
        [SAGA_IN_DRILL] = REJECT("drill while deploying: traffic has not moved; nothing to drill"),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while deploying: no analysis runs"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while deploying: no analysis runs"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while deploying: no analysis runs"),
        [SAGA_IN_MIGRATED] = IGNORE("migrated while deploying: late"),
        [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed while deploying: late"),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while deploying: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while deploying: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while deploying: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = REJECT("caches-flushed while deploying: no flush was asked"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = REJECT("cache-flush-failed while deploying: no flush was asked"),
    },
    [SAGA_VALIDATING] = {
        [SAGA_IN_START] = IGNORE("start while validating: already started"),
        [SAGA_IN_SCALED] = IGNORE("scaled while validating: late"),
        [SAGA_IN_SCALE_FAILED] = IGNORE("scale-failed while validating: late"),
        [SAGA_IN_DEPLOYED] = IGNORE("deployed while validating: late"),
        [SAGA_IN_DEPLOY_FAILED] = IGNORE("deploy-failed while validating: late"),
        [SAGA_IN_VALIDATION_PASSED] = GO(saga_go_validated),
        [SAGA_IN_VALIDATION_FAILED] = GO(saga_go_failed),
        [SAGA_IN_APPROVED] = REJECT("approved while validating: validation has not passed"),
        [SAGA_IN_SHIFT] = REJECT("shift while validating: validation has not passed"),
        [SAGA_IN_PROMOTE] = REJECT("promote while validating: validation has not passed"),
        [SAGA_IN_PAUSE] = REJECT("pause while validating: no traffic is shifting"),
        [SAGA_IN_RESUME] = REJECT("resume while validating: nothing is paused"),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while validating: no step timer runs"),
        [SAGA_IN_SHIFTED] = REJECT("shifted while validating: no weight was asked"),
        [SAGA_IN_ROLLBACK] = GO(saga_go_failed),
        [SAGA_IN_ABORT] = GO(saga_go_failed),
        [SAGA_IN_ALARM] = GO(saga_go_failed),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while validating: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = GO(saga_go_failed),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while validating: no bake timer runs"),
        [SAGA_IN_RETIRED] = REJECT("retired while validating: nothing was promoted"),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while validating: no rollback was asked"),
        [SAGA_IN_SUPERSEDE] = GO(saga_go_superseded),
        [SAGA_IN_DRILL] = REJECT("drill while validating: traffic has not moved; nothing to drill"),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while validating: no analysis runs"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while validating: no analysis runs"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while validating: no analysis runs"),
        [SAGA_IN_MIGRATED] = IGNORE("migrated while validating: late"),
        [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed while validating: late"),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while validating: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while validating: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while validating: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = REJECT("caches-flushed while validating: no flush was asked"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = REJECT("cache-flush-failed while validating: no flush was asked"),
    },
    [SAGA_AWAITING_APPROVAL] = {
        [SAGA_IN_START] = IGNORE("start while awaiting-approval: already started"),
        [SAGA_IN_SCALED] = IGNORE("scaled while awaiting-approval: late"),
        [SAGA_IN_SCALE_FAILED] = IGNORE("scale-failed while awaiting-approval: late"),
        [SAGA_IN_DEPLOYED] = IGNORE("deployed while awaiting-approval: late"),
        [SAGA_IN_DEPLOY_FAILED] = IGNORE("deploy-failed while awaiting-approval: late"),
        [SAGA_IN_VALIDATION_PASSED] =
            IGNORE("validation-passed while awaiting-approval: already passed"),
        [SAGA_IN_VALIDATION_FAILED] =
            IGNORE("validation-failed while awaiting-approval: already passed"),
        [SAGA_IN_APPROVED] = GO(saga_go_shifting),
        [SAGA_IN_SHIFT] = REJECT("shift while awaiting-approval: approve first"),
        [SAGA_IN_PROMOTE] = REJECT("promote while awaiting-approval: approve first"),
        [SAGA_IN_PAUSE] = REJECT("pause while awaiting-approval: no traffic is shifting"),
        [SAGA_IN_RESUME] = REJECT("resume while awaiting-approval: nothing is paused"),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while awaiting-approval: no step timer runs"),
        [SAGA_IN_SHIFTED] = REJECT("shifted while awaiting-approval: no weight was asked"),
        [SAGA_IN_ROLLBACK] = GO(saga_go_failed),
        [SAGA_IN_ABORT] = GO(saga_go_failed),
        [SAGA_IN_ALARM] = GO(saga_go_failed),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while awaiting-approval: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = GO(saga_go_failed),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while awaiting-approval: no bake timer runs"),
        [SAGA_IN_RETIRED] = REJECT("retired while awaiting-approval: nothing was promoted"),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while awaiting-approval: no rollback"),
        [SAGA_IN_SUPERSEDE] = GO(saga_go_superseded),
        [SAGA_IN_DRILL] = REJECT("drill while awaiting-approval: traffic has not moved"),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while awaiting-approval: no analysis runs"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while awaiting-approval: no analysis runs"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while awaiting-approval: no analysis runs"),
        [SAGA_IN_MIGRATED] = IGNORE("migrated while awaiting-approval: late"),
        [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed while awaiting-approval: late"),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while awaiting-approval: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while awaiting-approval: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while awaiting-approval: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = IGNORE("caches-flushed while awaiting-approval: late"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = IGNORE("cache-flush-failed while awaiting-approval: late"),
    },
    [SAGA_SHIFTING] = {
        [SAGA_IN_START] = IGNORE("start while shifting: already started"),
        [SAGA_IN_SCALED] = IGNORE("scaled while shifting: late"),
        [SAGA_IN_SCALE_FAILED] = IGNORE("scale-failed while shifting: late"),
        [SAGA_IN_DEPLOYED] = IGNORE("deployed while shifting: late"),
        [SAGA_IN_DEPLOY_FAILED] = IGNORE("deploy-failed while shifting: late"),
        [SAGA_IN_VALIDATION_PASSED] = IGNORE("validation-passed while shifting: already passed"),
        [SAGA_IN_VALIDATION_FAILED] = IGNORE("validation-failed while shifting: already passed"),
        [SAGA_IN_APPROVED] = IGNORE("approved while shifting: already past approval"),
        [SAGA_IN_SHIFT] = GO(saga_do_shift),
        [SAGA_IN_PROMOTE] = GO(saga_do_promote),
        [SAGA_IN_PAUSE] = GO(saga_do_pause),
        [SAGA_IN_RESUME] = GO(saga_do_resume),
        [SAGA_IN_STEP_DUE] = GO(saga_on_step_due),
        [SAGA_IN_SHIFTED] = GO(saga_on_shifted),
        [SAGA_IN_ROLLBACK] = GO(saga_go_rolling_back),
        [SAGA_IN_ABORT] = GO(saga_go_rolling_back),
        [SAGA_IN_ALARM] = GO(saga_go_rolling_back),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while shifting: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = GO(saga_go_rolling_back),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while shifting: no bake timer runs"),
        [SAGA_IN_RETIRED] = REJECT("retired while shifting: not promoted yet"),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while shifting: no rollback was asked"),
        [SAGA_IN_SUPERSEDE] = DEFER("supersede while shifting: traffic has moved; "
                                    "the newer build waits until this deployment ends"),
        [SAGA_IN_DRILL] = GO(saga_do_drill),
        [SAGA_IN_ANALYSIS_PASSED] = GO(saga_on_analysis_passed),
        [SAGA_IN_ANALYSIS_FAILED] = GO(saga_on_analysis_failed),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = GO(saga_on_analysis_inconclusive),
        [SAGA_IN_MIGRATED] = IGNORE("migrated while shifting: late"),
        [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed while shifting: late"),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while shifting: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while shifting: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while shifting: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = IGNORE("caches-flushed while shifting: late"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = IGNORE("cache-flush-failed while shifting: late"),
    },
    [SAGA_PAUSED] = {
        [SAGA_IN_START] = IGNORE("start while paused: already started"),
        [SAGA_IN_SCALED] = IGNORE("scaled while paused: late"),
        [SAGA_IN_SCALE_FAILED] = IGNORE("scale-failed while paused: late"),
        [SAGA_IN_DEPLOYED] = IGNORE("deployed while paused: late"),
        [SAGA_IN_DEPLOY_FAILED] = IGNORE("deploy-failed while paused: late"),
        [SAGA_IN_VALIDATION_PASSED] = IGNORE("validation-passed while paused: already passed"),
        [SAGA_IN_VALIDATION_FAILED] = IGNORE("validation-failed while paused: already passed"),
        [SAGA_IN_APPROVED] = IGNORE("approved while paused: already past approval"),
        [SAGA_IN_SHIFT] = GO(saga_do_shift),
        [SAGA_IN_PROMOTE] = GO(saga_do_promote),
        [SAGA_IN_PAUSE] = IGNORE("pause while paused: already paused"),
        [SAGA_IN_RESUME] = GO(saga_do_unpause),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while paused: step timers are cancelled"),
        [SAGA_IN_SHIFTED] = IGNORE("shifted while paused: recorded; timers wait for resume"),
        [SAGA_IN_ROLLBACK] = GO(saga_go_rolling_back),
        [SAGA_IN_ABORT] = GO(saga_go_rolling_back),
        [SAGA_IN_ALARM] = GO(saga_go_rolling_back),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while paused: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = GO(saga_go_rolling_back),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while paused: no bake timer runs"),
        [SAGA_IN_RETIRED] = REJECT("retired while paused: not promoted yet"),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while paused: no rollback was asked"),
        [SAGA_IN_SUPERSEDE] = DEFER("supersede while paused: traffic has moved; "
                                    "the newer build waits until this deployment ends"),
        [SAGA_IN_DRILL] = GO(saga_do_drill),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while paused: the pause stopped the analysis"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while paused: the pause stopped the analysis"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while paused: the pause stopped the analysis"),
        [SAGA_IN_MIGRATED] = IGNORE("migrated while paused: late"),
        [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed while paused: late"),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while paused: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while paused: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while paused: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = IGNORE("caches-flushed while paused: late"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = IGNORE("cache-flush-failed while paused: late"),
    },
    [SAGA_PROMOTED] = {
        [SAGA_IN_START] = IGNORE("start while promoted: already started"),
        [SAGA_IN_SCALED] = IGNORE("scaled while promoted: late"),
        [SAGA_IN_SCALE_FAILED] = IGNORE("scale-failed while promoted: late"),
        [SAGA_IN_DEPLOYED] = IGNORE("deployed while promoted: late"),
        [SAGA_IN_DEPLOY_FAILED] = IGNORE("deploy-failed while promoted: late"),
        [SAGA_IN_VALIDATION_PASSED] = IGNORE("validation-passed while promoted: already passed"),
        [SAGA_IN_VALIDATION_FAILED] = IGNORE("validation-failed while promoted: already passed"),
        [SAGA_IN_APPROVED] = IGNORE("approved while promoted: already past approval"),
        [SAGA_IN_SHIFT] = REJECT("shift while promoted: all traffic is on the new color; "
                                 "roll back instead"),
        [SAGA_IN_PROMOTE] = IGNORE("promote while promoted: already promoted"),
        [SAGA_IN_PAUSE] = REJECT("pause while promoted: no traffic is shifting"),
        [SAGA_IN_RESUME] = REJECT("resume while promoted: nothing is paused"),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while promoted: the steps are over"),
        [SAGA_IN_SHIFTED] = IGNORE("shifted while promoted: already promoted"),
        [SAGA_IN_ROLLBACK] = GO(saga_go_rolling_back),
        [SAGA_IN_ABORT] = GO(saga_go_rolling_back),
        [SAGA_IN_ALARM] = GO(saga_go_rolling_back),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while promoted: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = GO(saga_go_rolling_back),
        [SAGA_IN_BAKE_DONE] = GO(saga_go_retiring),
        [SAGA_IN_RETIRED] = GO(saga_go_completed),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while promoted: no rollback was asked"),
        [SAGA_IN_SUPERSEDE] = DEFER("supersede while promoted: traffic has moved; "
                                    "the newer build waits until this deployment ends"),
        [SAGA_IN_DRILL] = GO(saga_do_drill),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while promoted: the steps are over"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while promoted: the steps are over"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while promoted: the steps are over"),
        [SAGA_IN_MIGRATED] = IGNORE("migrated while promoted: late"),
        [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed while promoted: late"),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while promoted: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while promoted: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while promoted: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = IGNORE("caches-flushed while promoted: late"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = IGNORE("cache-flush-failed while promoted: late"),
    },
    [SAGA_ROLLING_BACK] = {
        [SAGA_IN_START] = IGNORE("start while rolling-back: already started"),
        [SAGA_IN_SCALED] = IGNORE("scaled while rolling-back: late"),
        [SAGA_IN_SCALE_FAILED] = IGNORE("scale-failed while rolling-back: late"),
        [SAGA_IN_DEPLOYED] = IGNORE("deployed while rolling-back: late"),
        [SAGA_IN_DEPLOY_FAILED] = IGNORE("deploy-failed while rolling-back: late"),
        [SAGA_IN_VALIDATION_PASSED] = IGNORE("validation-passed while rolling-back: late"),
        [SAGA_IN_VALIDATION_FAILED] = IGNORE("validation-failed while rolling-back: late"),
        [SAGA_IN_APPROVED] = IGNORE("approved while rolling-back: late"),
        [SAGA_IN_SHIFT] = REJECT("shift while rolling-back: the rollback restores the weights"),
        [SAGA_IN_PROMOTE] = REJECT("promote while rolling-back: the rollback wins"),
        [SAGA_IN_PAUSE] = REJECT("pause while rolling-back: a rollback is not paused"),
        [SAGA_IN_RESUME] = REJECT("resume while rolling-back: nothing is paused"),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while rolling-back: the steps are over"),
        [SAGA_IN_SHIFTED] = IGNORE("shifted while rolling-back: the rollback restores the weights"),
        [SAGA_IN_ROLLBACK] = IGNORE("rollback while rolling-back: already rolling back"),
        [SAGA_IN_ABORT] = IGNORE("abort while rolling-back: already rolling back"),
        [SAGA_IN_ALARM] = IGNORE("alarm while rolling-back: already rolling back"),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while rolling-back: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = IGNORE("stage-timeout while rolling-back: already rolling back"),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while rolling-back: the bake is over"),
        [SAGA_IN_RETIRED] = IGNORE("retired while rolling-back: late"),
        [SAGA_IN_ROLLED_BACK] = GO(saga_go_rolled_back),
        [SAGA_IN_SUPERSEDE] = DEFER("supersede while rolling-back: "
                                    "the newer build waits until the rollback ends"),
        [SAGA_IN_DRILL] = REJECT("drill while rolling-back: a real rollback is in flight"),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while rolling-back: the rollback wins"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while rolling-back: the rollback wins"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while rolling-back: the rollback wins"),
        [SAGA_IN_MIGRATED] = IGNORE("migrated while rolling-back: late"),
        [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed while rolling-back: late"),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while rolling-back: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while rolling-back: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while rolling-back: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = IGNORE("caches-flushed while rolling-back: late"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = IGNORE("cache-flush-failed while rolling-back: late"),
    },
    [SAGA_COMPLETED] = TERMINAL_ROW("completed"),
    [SAGA_FAILED] = TERMINAL_ROW("failed"),
    [SAGA_ROLLED_BACK] = TERMINAL_ROW("rolled-back"),
    [SAGA_SUPERSEDED] = TERMINAL_ROW("superseded"),
    [SAGA_MIGRATING] = {
        [SAGA_IN_START] = IGNORE("start while migrating: already started"),
        [SAGA_IN_SCALED] = REJECT("scaled while migrating: no scale was asked"),
        [SAGA_IN_SCALE_FAILED] = REJECT("scale-failed while migrating: no scale was asked"),
        [SAGA_IN_DEPLOYED] = REJECT("deployed while migrating: no deploy was asked"),
        [SAGA_IN_DEPLOY_FAILED] = REJECT("deploy-failed while migrating: no deploy was asked"),
        [SAGA_IN_VALIDATION_PASSED] = REJECT("validation-passed while migrating: nothing deployed"),
        [SAGA_IN_VALIDATION_FAILED] = REJECT("validation-failed while migrating: nothing deployed"),
        [SAGA_IN_APPROVED] = REJECT("approved while migrating: not validated yet"),
        [SAGA_IN_SHIFT] = REJECT("shift while migrating: not validated yet"),
        [SAGA_IN_PROMOTE] = REJECT("promote while migrating: not validated yet"),
        [SAGA_IN_PAUSE] = REJECT("pause while migrating: no traffic is shifting"),
        [SAGA_IN_RESUME] = REJECT("resume while migrating: nothing is paused"),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while migrating: no step timer runs"),
        [SAGA_IN_SHIFTED] = REJECT("shifted while migrating: no weight was asked"),
        [SAGA_IN_ROLLBACK] = GO(saga_go_failed),
        [SAGA_IN_ABORT] = GO(saga_go_failed),
        [SAGA_IN_ALARM] = GO(saga_go_failed),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while migrating: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = GO(saga_go_failed),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while migrating: no bake timer runs"),
        [SAGA_IN_RETIRED] = REJECT("retired while migrating: nothing was promoted"),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while migrating: no rollback was asked"),
        [SAGA_IN_SUPERSEDE] = DEFER("supersede while migrating: a schema change is in flight; "
                                    "the newer build waits until this deployment ends"),
        [SAGA_IN_DRILL] = REJECT("drill while migrating: traffic has not moved; nothing to drill"),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while migrating: no analysis runs"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while migrating: no analysis runs"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while migrating: no analysis runs"),
        [SAGA_IN_MIGRATED] = GO(saga_go_scaling),
        [SAGA_IN_MIGRATION_FAILED] = GO(saga_go_failed),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while migrating: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while migrating: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while migrating: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = REJECT("caches-flushed while migrating: no flush was asked"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = REJECT("cache-flush-failed while migrating: no flush was asked"),
    },
    [SAGA_CONTRACTING] = {
        [SAGA_IN_START] = IGNORE("start while contracting: already started"),
        [SAGA_IN_SCALED] = IGNORE("scaled while contracting: late"),
        [SAGA_IN_SCALE_FAILED] = IGNORE("scale-failed while contracting: late"),
        [SAGA_IN_DEPLOYED] = IGNORE("deployed while contracting: late"),
        [SAGA_IN_DEPLOY_FAILED] = IGNORE("deploy-failed while contracting: late"),
        [SAGA_IN_VALIDATION_PASSED] = IGNORE("validation-passed while contracting: already passed"),
        [SAGA_IN_VALIDATION_FAILED] = IGNORE("validation-failed while contracting: already passed"),
        [SAGA_IN_APPROVED] = IGNORE("approved while contracting: already past approval"),
        [SAGA_IN_SHIFT] = REJECT("shift while contracting: the old color is retired"),
        [SAGA_IN_PROMOTE] = IGNORE("promote while contracting: already promoted"),
        [SAGA_IN_PAUSE] = REJECT("pause while contracting: no traffic is shifting"),
        [SAGA_IN_RESUME] = REJECT("resume while contracting: nothing is paused"),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while contracting: the steps are over"),
        [SAGA_IN_SHIFTED] = IGNORE("shifted while contracting: already promoted"),
        [SAGA_IN_ROLLBACK] = REJECT("rollback while contracting: the old color is retired; "
                                    "deploy the previous release instead"),
        [SAGA_IN_ABORT] = REJECT("abort while contracting: the old color is retired; "
                                 "deploy the previous release instead"),
        [SAGA_IN_ALARM] = IGNORE("alarm while contracting: the old color is retired, "
                                 "nothing to roll back to"),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while contracting: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = IGNORE("stage-timeout while contracting: no stage timer runs"),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while contracting: the bake is over"),
        [SAGA_IN_RETIRED] = IGNORE("retired while contracting: already retired"),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while contracting: no rollback was asked"),
        [SAGA_IN_SUPERSEDE] = DEFER("supersede while contracting: a schema change is in flight; "
                                    "the newer build waits until this deployment ends"),
        [SAGA_IN_DRILL] = REJECT("drill while contracting: the old color is retired"),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while contracting: the steps are over"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while contracting: the steps are over"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while contracting: the steps are over"),
        [SAGA_IN_MIGRATED] = IGNORE("migrated while contracting: late"),
        [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed while contracting: late"),
        [SAGA_IN_CONTRACTED] = GO(saga_go_contracted),
        [SAGA_IN_CONTRACT_FAILED] = GO(saga_go_contract_failed),
        [SAGA_IN_RETRY_CONTRACT] = IGNORE("retry-contract while contracting: already contracting"),
        [SAGA_IN_CACHES_FLUSHED] = IGNORE("caches-flushed while contracting: late"),
        [SAGA_IN_CACHE_FLUSH_FAILED] = IGNORE("cache-flush-failed while contracting: late"),
    },
    [SAGA_COMPLETED_WITH_WARNING] = {
        TERMINAL_INPUTS("completed-with-warning")
        [SAGA_IN_RETRY_CONTRACT] = GO(saga_go_contracting),
    },
    [SAGA_FLUSHING_CACHES] = {
        [SAGA_IN_START] = IGNORE("start while flushing-caches: already started"),
        [SAGA_IN_SCALED] = IGNORE("scaled while flushing-caches: late"),
        [SAGA_IN_SCALE_FAILED] = IGNORE("scale-failed while flushing-caches: late"),
        [SAGA_IN_DEPLOYED] = IGNORE("deployed while flushing-caches: late"),
        [SAGA_IN_DEPLOY_FAILED] = IGNORE("deploy-failed while flushing-caches: late"),
        [SAGA_IN_VALIDATION_PASSED] = IGNORE("validation-passed while flushing-caches: already passed"),
        [SAGA_IN_VALIDATION_FAILED] = IGNORE("validation-failed while flushing-caches: already passed"),
        [SAGA_IN_APPROVED] = REJECT("approved while flushing-caches: the caches are not flushed yet"),
        [SAGA_IN_SHIFT] = REJECT("shift while flushing-caches: the caches are not flushed yet"),
        [SAGA_IN_PROMOTE] = REJECT("promote while flushing-caches: the caches are not flushed yet"),
        [SAGA_IN_PAUSE] = REJECT("pause while flushing-caches: no traffic is shifting"),
        [SAGA_IN_RESUME] = REJECT("resume while flushing-caches: nothing is paused"),
        [SAGA_IN_STEP_DUE] = IGNORE("step-due while flushing-caches: no step timer runs"),
        [SAGA_IN_SHIFTED] = REJECT("shifted while flushing-caches: no weight was asked"),
        [SAGA_IN_ROLLBACK] = GO(saga_go_failed),
        [SAGA_IN_ABORT] = GO(saga_go_failed),
        [SAGA_IN_ALARM] = GO(saga_go_failed),
        [SAGA_IN_ALARM_OK] = IGNORE("alarm-ok while flushing-caches: recorded"),
        [SAGA_IN_STAGE_TIMEOUT] = GO(saga_go_failed),
        [SAGA_IN_BAKE_DONE] = IGNORE("bake-done while flushing-caches: no bake timer runs"),
        [SAGA_IN_RETIRED] = REJECT("retired while flushing-caches: nothing was promoted"),
        [SAGA_IN_ROLLED_BACK] = REJECT("rolled-back while flushing-caches: no rollback was asked"),
        [SAGA_IN_SUPERSEDE] = GO(saga_go_superseded),
        [SAGA_IN_DRILL] = REJECT("drill while flushing-caches: traffic has not moved; nothing to drill"),
        [SAGA_IN_ANALYSIS_PASSED] = IGNORE("analysis-passed while flushing-caches: no analysis runs"),
        [SAGA_IN_ANALYSIS_FAILED] = IGNORE("analysis-failed while flushing-caches: no analysis runs"),
        [SAGA_IN_ANALYSIS_INCONCLUSIVE] = IGNORE("analysis-inconclusive while flushing-caches: no analysis runs"),
        [SAGA_IN_MIGRATED] = IGNORE("migrated while flushing-caches: late"),
        [SAGA_IN_MIGRATION_FAILED] = IGNORE("migration-failed while flushing-caches: late"),
        [SAGA_IN_CONTRACTED] = REJECT("contracted while flushing-caches: no contract was asked"),
        [SAGA_IN_CONTRACT_FAILED] = REJECT("contract-failed while flushing-caches: no contract was asked"),
        [SAGA_IN_RETRY_CONTRACT] = REJECT("retry-contract while flushing-caches: no contract failed"),
        [SAGA_IN_CACHES_FLUSHED] = GO(saga_go_validated),
        [SAGA_IN_CACHE_FLUSH_FAILED] = GO(saga_go_failed),
    },
};

#undef GO
#undef IGNORE
#undef REJECT
#undef DEFER
#undef TERMINAL_ROW
#undef TERMINAL_INPUTS

/* saga_guard_stale - an epoch below the state's: work from before a fence */
static int saga_guard_stale(const struct saga_state *in, const struct saga_input *ev,
                            struct saga_outcome *out)
{
    if (ev->epoch == 0 || ev->epoch >= in->epoch)
        return 0;
    saga_say(out, SAGA_IGNORE, "stale epoch %lld < %lld", (long long)ev->epoch,
             (long long)in->epoch);
    return 1;
}

/* saga_guard_unissued - an epoch above the state's was never handed out */
static int saga_guard_unissued(const struct saga_state *in, const struct saga_input *ev,
                               struct saga_outcome *out)
{
    if (ev->epoch <= in->epoch)
        return 0;
    saga_say(out, SAGA_REJECT, "epoch %lld > %lld was never issued", (long long)ev->epoch,
             (long long)in->epoch);
    return 1;
}

/* saga_guard_timer - a timer armed in another state fired too late */
static int saga_guard_timer(const struct saga_state *in, const struct saga_input *ev,
                            struct saga_outcome *out)
{
    if (!saga_inputs[ev->kind].timer || ev->armed_in == in->state)
        return 0;
    saga_say(out, SAGA_IGNORE, "%s timer armed in %s fired in %s", saga_inputs[ev->kind].name,
             saga_states[ev->armed_in].name, saga_states[in->state].name);
    return 1;
}

static int (*const saga_guards[])(const struct saga_state *, const struct saga_input *,
                                  struct saga_outcome *) = {
    saga_guard_stale,
    saga_guard_unissued,
    saga_guard_timer,
};

/* saga_check_state - a state this module could have produced */
static int saga_check_state(const struct saga_state *in, struct saga_outcome *out)
{
    char why[96];

    if ((unsigned)in->state >= SAGA_STATE_COUNT)
        saga_say(out, SAGA_UNDEFINED, "unknown state %d", (int)in->state);
    else if (in->epoch < 1)
        saga_say(out, SAGA_UNDEFINED, "epoch %lld is below 1", (long long)in->epoch);
    else if (in->new_color != 0 && in->new_color != 1)
        saga_say(out, SAGA_UNDEFINED, "new color %d is not 0 or 1", in->new_color);
    else if (saga_strategy_check(&in->strategy, why, sizeof(why)) != 0)
        saga_say(out, SAGA_UNDEFINED, "strategy: %s", why);
    else if (in->step < 0 || in->step >= saga_step_count(in))
        saga_say(out, SAGA_UNDEFINED, "step %d out of range", in->step);
    else if (in->weight < 0 || in->weight > 100)
        saga_say(out, SAGA_UNDEFINED, "weight %d is not 0..100", in->weight);
    else
        return 0;
    return -1;
}

/* saga_check_input - an input kind this module knows */
static int saga_check_input(const struct saga_input *ev, struct saga_outcome *out)
{
    if ((unsigned)ev->kind >= SAGA_INPUT_COUNT)
        saga_say(out, SAGA_UNDEFINED, "unknown input %d", (int)ev->kind);
    else if (ev->epoch < 0)
        saga_say(out, SAGA_UNDEFINED, "epoch %lld is negative", (long long)ev->epoch);
    else if (saga_inputs[ev->kind].timer && (unsigned)ev->armed_in >= SAGA_STATE_COUNT)
        saga_say(out, SAGA_UNDEFINED, "timer armed in unknown state %d", (int)ev->armed_in);
    else
        return 0;
    return -1;
}

/* saga_finish - what every change of state carries; undo a declined action */
static int saga_finish(const struct saga_state *in, struct saga_outcome *out)
{
    if (out->verdict != SAGA_TRANSITION) {
        out->next = *in;
        out->effect_count = 0;
        return 0;
    }
    if (out->next.state != in->state)
        saga_add(out, SAGA_FX_EMIT_STATUS, 0);
    if (out->next.state != in->state && saga_is_terminal(out->next.state))
        saga_add(out, SAGA_FX_START_NEXT, 0);
    if (out->effect_count <= SAGA_MAX_EFFECTS)
        return 0;
    out->effect_count = SAGA_MAX_EFFECTS;
    saga_say(out, SAGA_UNDEFINED, "more than %d effects", SAGA_MAX_EFFECTS);
    return -1;
}

/* saga_rule_defined - a verdict, and an action exactly for a transition */
static bool saga_rule_defined(const struct saga_rule *rule)
{
    if (rule->verdict == SAGA_TRANSITION)
        return rule->action != NULL;
    return rule->verdict != SAGA_UNDEFINED && rule->action == NULL && rule->reason != NULL;
}

/* saga_apply - (state, input) -> (verdict, new state, effects); -1 on broken invariants */
int saga_apply(const struct saga_state *in, const struct saga_input *ev,
               struct saga_outcome *out)
{
    const struct saga_rule *rule;

    if (in == NULL || ev == NULL || out == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    out->next = *in;
    if (saga_check_state(in, out) != 0 || saga_check_input(ev, out) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(saga_guards) / sizeof(saga_guards[0]); i++)
        if (saga_guards[i](in, ev, out))
            return 0;
    rule = &saga_table[in->state][ev->kind];
    if (!saga_rule_defined(rule)) {
        saga_say(out, SAGA_UNDEFINED, "no rule for %s while %s", saga_inputs[ev->kind].name,
                 saga_states[in->state].name);
        return -1;
    }
    if (rule->verdict != SAGA_TRANSITION) {
        saga_say(out, rule->verdict, "%s", rule->reason);
        return 0;
    }
    out->verdict = SAGA_TRANSITION;
    rule->action(ev, out);
    return saga_finish(in, out);
}

/* saga_state_init - a received deployment at epoch 1, weight 0 */
void saga_state_init(struct saga_state *st, const struct saga_strategy *strategy,
                     int new_color, bool approval_required)
{
    memset(st, 0, sizeof(*st));
    st->state = SAGA_RECEIVED;
    st->epoch = 1;
    st->new_color = new_color;
    st->approval_required = approval_required;
    st->strategy = *strategy;
}

/* saga_step_check - one canary step, against the one before it */
static int saga_step_check(const struct saga_strategy *s, int i, char *why, size_t why_len)
{
    const struct saga_step *step = &s->steps[i];

    if (step->weight < 1 || step->weight > 100)
        snprintf(why, why_len, "step %d: weight %d is not 1..100", i, step->weight);
    else if (step->pause_seconds < SAGA_PAUSE_OPERATOR)
        snprintf(why, why_len, "step %d: pause_seconds %d is below 0", i, step->pause_seconds);
    else if (i > 0 && step->weight <= s->steps[i - 1].weight)
        snprintf(why, why_len, "step %d: weight %d does not rise above %d", i, step->weight,
                 s->steps[i - 1].weight);
    else if (step->analysis && step->pause_seconds == SAGA_PAUSE_OPERATOR)
        snprintf(why, why_len, "step %d: an analysis needs a timed pause (pause_seconds)", i);
    else
        return 0;
    return -1;
}

/* saga_strategy_check - 0, or -1 with why */
int saga_strategy_check(const struct saga_strategy *s, char *why, size_t why_len)
{
    if (s->kind == SAGA_BLUEGREEN)
        return 0;
    if (s->kind != SAGA_CANARY) {
        snprintf(why, why_len, "unknown strategy kind %d", (int)s->kind);
        return -1;
    }
    if (s->step_count < 1 || s->step_count > SAGA_MAX_STEPS) {
        snprintf(why, why_len, "a canary has 1..%d steps, not %d", SAGA_MAX_STEPS,
                 s->step_count);
        return -1;
    }
    for (int i = 0; i < s->step_count; i++)
        if (saga_step_check(s, i, why, why_len) != 0)
            return -1;
    return 0;
}

/* saga_state_name - "received", "awaiting-approval", ...; "?" when unknown */
const char *saga_state_name(enum saga_state_kind s)
{
    return (unsigned)s < SAGA_STATE_COUNT ? saga_states[s].name : "?";
}

/* saga_state_parse - a state's name to its kind; 0 or -1 */
int saga_state_parse(const char *name, enum saga_state_kind *out)
{
    for (int i = 0; i < SAGA_STATE_COUNT; i++) {
        if (strcmp(name, saga_states[i].name) == 0) {
            *out = (enum saga_state_kind)i;
            return 0;
        }
    }
    return -1;
}

/* saga_input_name - "start", "step-due", ...; "?" when unknown */
const char *saga_input_name(enum saga_input_kind i)
{
    return (unsigned)i < SAGA_INPUT_COUNT ? saga_inputs[i].name : "?";
}

/* saga_input_parse - an input's name to its kind; 0 or -1 */
int saga_input_parse(const char *name, enum saga_input_kind *out)
{
    for (int i = 0; i < SAGA_INPUT_COUNT; i++) {
        if (strcmp(name, saga_inputs[i].name) == 0) {
            *out = (enum saga_input_kind)i;
            return 0;
        }
    }
    return -1;
}

/* saga_effect_name - "set-weights", ...; "?" when unknown */
const char *saga_effect_name(enum saga_effect_kind e)
{
    return (unsigned)e < SAGA_EFFECT_COUNT ? saga_effect_names[e] : "?";
}

/* saga_verdict_name - "transition", "ignore", ...; "?" when unknown */
const char *saga_verdict_name(enum saga_verdict v)
{
    return (unsigned)v <= SAGA_DEFER ? saga_verdict_names[v] : "?";
}

/* saga_is_terminal - completed, failed, rolled-back, superseded,
 * completed-with-warning */
bool saga_is_terminal(enum saga_state_kind s)
{
    return (unsigned)s < SAGA_STATE_COUNT && saga_states[s].terminal;
}

/* saga_has_shifted - traffic may have moved to the new color */
bool saga_has_shifted(enum saga_state_kind s)
{
    return (unsigned)s < SAGA_STATE_COUNT && saga_states[s].shifted;
}
