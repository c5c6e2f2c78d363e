/*
 * saga - a deployment's state machine: (state, input) -> (new state, effects).
 *
 * SYNOPSIS
 *	struct saga_state st;
 *	saga_state_init(&st, &strategy, COLOR_GREEN, approval_required);
 *
 *	struct saga_input ev = { .kind = SAGA_IN_START, .epoch = st.epoch };
 *	struct saga_outcome out;
 *	if (saga_apply(&st, &ev, &out) != 0)
 *		log_panic("saga_apply: %s", out.reason);	(broken invariant)
 *	switch (out.verdict) {
 *	case SAGA_TRANSITION: store out.next, perform out.effects[0..effect_count) in order
 *	case SAGA_IGNORE:     record out.reason in the history, change nothing
 *	case SAGA_REJECT:     the input is not allowed now: record/report out.reason
 *	case SAGA_DEFER:      a newer build waits until this deployment ends
 *	}
 *
 * DESCRIPTION
 *	A pure function, with no I/O at all: one table names the outcome of
 *	every (state, input) pair, so that none is left undefined and the whole
 *	machine can be walked by a test. The states are those of DESIGN.md
 *	section 4, named exactly as there ("received", "awaiting-approval",
 *	"rolling-back", ...).
 *
 *	Epochs fence late work. A deployment starts at epoch 1; every exit from
 *	the forward path (failed, superseded, rolling-back) raises it. An input
 *	that carries an epoch below the state's is stale and ignored ("stale
 *	epoch N < M"); epoch 0 means not fenced (operator commands, alarms); an
 *	epoch above the state's was never issued and is rejected.
 *
 *	Timers. START_STAGE_TIMER (arg: the stage, a saga_state_kind),
 *	START_STEP_TIMER (arg: seconds) and START_BAKE_TIMER ask the caller for
 *	a durable timer that records (deployment, input kind, epoch = next.epoch,
 *	armed_in = next.state, step = next.step). When it fires it comes back
 *	as STAGE_TIMEOUT, STEP_DUE or BAKE_DONE carrying those values; a timer
 *	armed in another state than the current one is ignored, and STEP_DUE
 *	for another step than the current one is ignored, so a timer that was
 *	already on its way when it was cancelled changes nothing.
 *	CANCEL_TIMERS deletes every timer of the deployment armed before it;
 *	timers started after it in the same outcome stand. Stage timers run in
 *	scaling, deploying, validating and awaiting-approval (an approval
 *	deadline); their durations are the caller's configuration.
 *
 *	Shifting. Bluegreen is one step {100, 0}. Entering shifting sets the
 *	first step's weight; SHIFTED (carrying the weight that took effect:
 *	a confirmation of another weight than the one asked is ignored) starts
 *	the step's pause timer, or waits for an operator when the pause is
 *	SAGA_PAUSE_OPERATOR. STEP_DUE moves to the next step whose weight is
 *	above the current one; past the last step, auto_promote asks for 100,
 *	otherwise the deployment waits for PROMOTE (and no timer is armed for a
 *	last step that cannot promote by itself). SHIFTED at 100 enters
 *	promoted. PROMOTE and SHIFT 100 ask for 100 and stay in shifting until
 *	it took effect. SHIFT N (0..99) sets an absolute weight: in shifting
 *	the weight is then held by the operator (no step timer) until RESUME,
 *	PROMOTE or another SHIFT; in paused the deployment stays paused.
 *	SHIFT 0 keeps the deployment shifting at 0. RESUME from paused re-arms
 *	the current step's full pause; when the step waits for an operator
 *	(null pause, or a held weight) RESUME moves to the next step above the
 *	current weight. PAUSE is rejected while a promotion to 100 is in flight.
 *
 *	Promotion and bake. Entering promoted performs FLIP_LIVE_COLOR (arg:
 *	the color that now takes all traffic, absolute so that it is
 *	idempotent) and START_BAKE_TIMER. BAKE_DONE asks RETIRE_OLD and marks
 *	the state retiring; RETIRED then completes. A rollback of a promoted
 *	deployment restores the weights and flips the live color back to the
 *	old color. Once retiring, the old color is going away, so a rollback
 *	is no longer one weight change: ROLLBACK and ABORT are rejected and an
 *	alarm is ignored (deploy the previous release instead).
 *
 *	Failure and compensation. Before traffic moved, a failure, ROLLBACK,
 *	ABORT, STAGE_TIMEOUT or ALARM ends in failed: RAISE_EPOCH,
 *	CANCEL_TIMERS, STOP_PROVIDER_DEPLOYMENT (deploying), CLOSE_PREVIEW
 *	(validating, awaiting-approval), SCALE_NEW_TO_ZERO (from scaling on),
 *	EMIT_STATUS, START_NEXT. An ALARM before traffic moved concerns the
 *	live color, which still takes all traffic; the deployment fails,
 *	because traffic should not be shifted during an incident. After traffic
 *	moved (shifting, paused, promoted), ROLLBACK, ABORT, ALARM and
 *	STAGE_TIMEOUT enter rolling-back: RAISE_EPOCH, CANCEL_TIMERS,
 *	RESTORE_WEIGHTS, (FLIP_LIVE_COLOR back, from promoted),
 *	SCALE_NEW_TO_ZERO, EMIT_STATUS; ROLLED_BACK then ends in rolled-back.
 *	SUPERSEDE before traffic moved ends in superseded with the same undo
 *	as failed; from shifting on it is deferred.
 *
 *	Analysis. A step with a timed pause may carry an analysis (metric
 *	checks; their definition is the strategy document's, not this
 *	machine's). Its weight in effect asks START_ANALYSIS (arg: the pause)
 *	instead of START_STEP_TIMER: the analysis then owns the pause.
 *	ANALYSIS_PASSED (the pause is over and every check passed) moves on
 *	as STEP_DUE does; ANALYSIS_FAILED rolls back as an alarm does;
 *	ANALYSIS_INCONCLUSIVE pauses the canary for an operator, whose RESUME
 *	starts the step's analysis again. The three carry the step they
 *	concern and are ignored for another step. CANCEL_TIMERS also stops a
 *	running analysis.
 *
 *	Drill. While a rollback would be one weight change (shifting, paused,
 *	promoted before retiring), DRILL keeps the state and asks
 *	DRILL_RESTORE (the old color's weights, read back: what a rollback
 *	does first) then DRILL_RETURN (the deployment's weights again). A
 *	rollback raises the epoch, so a drill caught by one never returns the
 *	traffic. Before traffic moved, while rolling back or retiring, DRILL
 *	is rejected; a finished deployment ignores it.
 *
 *	Database stage. When database_stage is set (the environment has a
 *	database), START enters migrating instead of scaling: MIGRATE_EXPAND
 *	(lint, then the release's expand migrations) and CHECK_OLD_COLOR
 *	(the environment's checks again against the old color, which still
 *	takes all the traffic: the old code runs on the expanded schema) and
 *	a stage timer. MIGRATED goes on to scaling; MIGRATION_FAILED (a
 *	refusal, a failed migration, or the old color's checks failing) ends
 *	in failed with nothing to undo: the expand migrations stay, being
 *	backward compatible. A newer build waits behind a schema change in
 *	flight (deferred). RETIRED of such a deployment enters contracting
 *	(MIGRATE_CONTRACT) instead of completed; CONTRACTED completes it and
 *	CONTRACT_FAILED ends in completed-with-warning: the new release is
 *	live, the contract is left to RETRY_CONTRACT, the one input a
 *	terminal state takes, which enters contracting again. While
 *	contracting the old color is gone: ROLLBACK and ABORT are rejected,
 *	an alarm is ignored. A rollback never reaches contracting, so it
 *	never runs a contract migration.
 *
 *	Cache stage. When cache_stage is set (the environment declares
 *	caches), VALIDATION_PASSED enters flushing-caches instead of
 *	awaiting-approval or shifting: FLUSH_CACHES (every cache action, in
 *	order, once per deployment) and a stage timer, the preview still
 *	open. CACHES_FLUSHED then goes on as VALIDATION_PASSED does without
 *	caches (awaiting-approval, or shifting); CACHE_FLUSH_FAILED ends in
 *	failed before any traffic moved, undone as a failed validation is
 *	(preview closed, new color to zero). Rollback, abort, alarm, a stage
 *	timeout and a newer build behave as while validating.
 *
 *	Every change of state carries EMIT_STATUS (and no other outcome does);
 *	every entry into a terminal state (completed, failed, rolled-back,
 *	superseded, completed-with-warning) carries START_NEXT last. Terminal
 *	states ignore every input, with a reason ("alarm after completed
 *	changes nothing"), but RETRY_CONTRACT in completed-with-warning.
 *
 *	saga_apply() returns 0 with a defined verdict, or -1 (verdict
 *	SAGA_UNDEFINED, out->reason says why) for arguments that break an
 *	invariant: an unknown state or input kind, a strategy that fails
 *	saga_strategy_check(), a step or weight out of range.
 */
#ifndef CUTOVER_SAGA_H
#define CUTOVER_SAGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAGA_MAX_STEPS 16
#define SAGA_MAX_EFFECTS 12
#define SAGA_PAUSE_OPERATOR (-1) /* pause_seconds: wait for an operator */

enum saga_state_kind {
    SAGA_RECEIVED,
    SAGA_SCALING,
    SAGA_DEPLOYING,
    SAGA_VALIDATING,
    SAGA_AWAITING_APPROVAL,
    SAGA_SHIFTING,
    SAGA_PAUSED,
    SAGA_PROMOTED,
    SAGA_COMPLETED,
    SAGA_FAILED,
    SAGA_ROLLING_BACK,
    SAGA_ROLLED_BACK,
    SAGA_SUPERSEDED,
    SAGA_MIGRATING,              /* "migrating": expand migrations, then the old color checked */
    SAGA_CONTRACTING,            /* "contracting": contract migrations after retirement */
    SAGA_COMPLETED_WITH_WARNING, /* "completed-with-warning": live, a contract failed */
    SAGA_FLUSHING_CACHES,        /* "flushing-caches": the environment's cache actions run */
    SAGA_STATE_COUNT
};

enum saga_input_kind {
    SAGA_IN_START,             /* "start": build-ready accepted */
    SAGA_IN_SCALED,            /* "scaled" */
    SAGA_IN_SCALE_FAILED,      /* "scale-failed" */
    SAGA_IN_DEPLOYED,          /* "deployed" */
    SAGA_IN_DEPLOY_FAILED,     /* "deploy-failed" */
    SAGA_IN_VALIDATION_PASSED, /* "validation-passed" */
    SAGA_IN_VALIDATION_FAILED, /* "validation-failed" */
    SAGA_IN_APPROVED,          /* "approved": manual approval */
    SAGA_IN_SHIFT,             /* "shift": an operator sets a weight */
    SAGA_IN_PROMOTE,           /* "promote" */
    SAGA_IN_PAUSE,             /* "pause" */
    SAGA_IN_RESUME,            /* "resume" */
    SAGA_IN_STEP_DUE,          /* "step-due": a canary pause timer fired */
    SAGA_IN_SHIFTED,           /* "shifted": a weight change took effect */
    SAGA_IN_ROLLBACK,          /* "rollback" */
    SAGA_IN_ABORT,             /* "abort" */
    SAGA_IN_ALARM,             /* "alarm" */
    SAGA_IN_ALARM_OK,          /* "alarm-ok" */
    SAGA_IN_STAGE_TIMEOUT,     /* "stage-timeout": a stage deadline timer fired */
    SAGA_IN_BAKE_DONE,         /* "bake-done": the bake timer fired */
    SAGA_IN_RETIRED,           /* "retired": old color scaled to zero */
    SAGA_IN_ROLLED_BACK,       /* "rolled-back": weights restored, new color at zero */
    SAGA_IN_SUPERSEDE,         /* "supersede": a newer build arrived */
    SAGA_IN_DRILL,             /* "drill": an operator's rollback drill */
    SAGA_IN_ANALYSIS_PASSED,   /* "analysis-passed": the step's pause is over, its analysis passed */
    SAGA_IN_ANALYSIS_FAILED,   /* "analysis-failed" */
    SAGA_IN_ANALYSIS_INCONCLUSIVE, /* "analysis-inconclusive": no verdict (no data, low traffic) */
    SAGA_IN_MIGRATED,          /* "migrated": expand applied, the old color passed its checks */
    SAGA_IN_MIGRATION_FAILED,  /* "migration-failed": refused, failed, or the old color's checks failed */
    SAGA_IN_CONTRACTED,        /* "contracted": contract migrations applied */
    SAGA_IN_CONTRACT_FAILED,   /* "contract-failed" */
    SAGA_IN_RETRY_CONTRACT,    /* "retry-contract": an operator retries a failed contract */
    SAGA_IN_CACHES_FLUSHED,    /* "caches-flushed": every cache action succeeded */
    SAGA_IN_CACHE_FLUSH_FAILED, /* "cache-flush-failed": an action failed or timed out */
    SAGA_INPUT_COUNT
};

enum saga_effect_kind {
    SAGA_FX_SCALE_NEW,                /* "scale-new" */
    SAGA_FX_DEPLOY_NEW,               /* "deploy-new" */
    SAGA_FX_OPEN_PREVIEW,             /* "open-preview" */
    SAGA_FX_CLOSE_PREVIEW,            /* "close-preview" */
    SAGA_FX_VALIDATE,                 /* "validate" */
    SAGA_FX_SET_WEIGHTS,              /* "set-weights": arg = new color's share */
    SAGA_FX_START_STEP_TIMER,         /* "start-step-timer": arg = seconds */
    SAGA_FX_CANCEL_TIMERS,            /* "cancel-timers" */
    SAGA_FX_START_BAKE_TIMER,         /* "start-bake-timer" */
    SAGA_FX_START_STAGE_TIMER,        /* "start-stage-timer": arg = stage (saga_state_kind) */
    SAGA_FX_RETIRE_OLD,               /* "retire-old": old color to zero */
    SAGA_FX_RESTORE_WEIGHTS,          /* "restore-weights": 100 % old color */
    SAGA_FX_SCALE_NEW_TO_ZERO,        /* "scale-new-to-zero" */
    SAGA_FX_FLIP_LIVE_COLOR,          /* "flip-live-color": arg = color now live */
    SAGA_FX_STOP_PROVIDER_DEPLOYMENT, /* "stop-provider-deployment" */
    SAGA_FX_EMIT_STATUS,              /* "emit-status": every change of state */
    SAGA_FX_RAISE_EPOCH,              /* "raise-epoch": the new epoch is next.epoch */
    SAGA_FX_START_NEXT,               /* "start-next": a deferred build may start */
    SAGA_FX_DRILL_RESTORE,            /* "drill-restore": 100 % old color, read back */
    SAGA_FX_DRILL_RETURN,             /* "drill-return": the deployment's weights again */
    SAGA_FX_START_ANALYSIS,           /* "start-analysis": arg = seconds of the step's pause */
    SAGA_FX_MIGRATE_EXPAND,           /* "migrate-expand": the release's expand migrations */
    SAGA_FX_CHECK_OLD_COLOR,          /* "check-old-color": the checks against the live old color */
    SAGA_FX_MIGRATE_CONTRACT,         /* "migrate-contract": the release's contract migrations */
    SAGA_FX_FLUSH_CACHES,             /* "flush-caches": the environment's cache actions */
    SAGA_EFFECT_COUNT
};

enum saga_verdict {
    SAGA_UNDEFINED = 0, /* only with saga_apply() == -1 */
    SAGA_TRANSITION,    /* new state and/or effects */
    SAGA_IGNORE,        /* nothing changes; reason goes to the history */
    SAGA_REJECT,        /* not allowed in this state; reason says why */
    SAGA_DEFER,         /* a newer build waits until this deployment ends */
};

enum saga_strategy_kind { SAGA_BLUEGREEN, SAGA_CANARY };

struct saga_step {
    int weight;        /* 1..100, strictly increasing along the steps */
    int pause_seconds; /* >= 0, or SAGA_PAUSE_OPERATOR */
    bool analysis;     /* metric checks gate the end of the pause */
};

struct saga_strategy {
    enum saga_strategy_kind kind;
    int step_count; /* canary: 1..SAGA_MAX_STEPS; bluegreen: ignored */
    struct saga_step steps[SAGA_MAX_STEPS];
    bool auto_promote;
};

struct saga_state {
    enum saga_state_kind state;
    int64_t epoch;    /* >= 1 */
    int new_color;    /* enum color of provider.h: 0 blue, 1 green */
    int step;         /* index of the current step (bluegreen: 0) */
    int weight;       /* new color's share asked, 0..100 */
    bool retiring;    /* promoted: BAKE_DONE seen, old color going to zero */
    bool approval_required;
    bool database_stage; /* the environment has a database: migrations run */
    bool cache_stage;    /* the environment declares caches: flushed before traffic */
    struct saga_strategy strategy;
};

struct saga_input {
    enum saga_input_kind kind;
    int64_t epoch;                 /* 0: not fenced */
    int weight;                    /* SHIFT: asked; SHIFTED: took effect */
    enum saga_state_kind armed_in; /* timer inputs: the state that armed it */
    int step;                      /* STEP_DUE: the step whose pause ended */
};

struct saga_effect {
    enum saga_effect_kind kind;
    int arg; /* see enum saga_effect_kind; 0 when unused */
};

struct saga_outcome {
    enum saga_verdict verdict;
    struct saga_state next; /* equals the input state unless SAGA_TRANSITION */
    size_t effect_count;
    struct saga_effect effects[SAGA_MAX_EFFECTS]; /* in the order to perform */
    char reason[160]; /* ignore/reject/defer: why; transition: a note or "" */
};

int saga_apply(const struct saga_state *in, const struct saga_input *ev,
               struct saga_outcome *out);

/* saga_state_init - a received deployment at epoch 1, weight 0 */
void saga_state_init(struct saga_state *st, const struct saga_strategy *strategy,
                     int new_color, bool approval_required);
/* saga_strategy_check - 0, or -1 with why (for a build-ready's dead letter) */
int saga_strategy_check(const struct saga_strategy *s, char *why, size_t why_len);

const char *saga_state_name(enum saga_state_kind s);    /* "?" when unknown */
int saga_state_parse(const char *name, enum saga_state_kind *out); /* 0 or -1 */
const char *saga_input_name(enum saga_input_kind i);    /* "?" when unknown */
int saga_input_parse(const char *name, enum saga_input_kind *out); /* 0 or -1 */
const char *saga_effect_name(enum saga_effect_kind e);  /* "?" when unknown */
const char *saga_verdict_name(enum saga_verdict v);     /* "?" when unknown */

/* saga_is_terminal - completed, failed, rolled-back, superseded,
 * completed-with-warning */
bool saga_is_terminal(enum saga_state_kind s);
/* saga_has_shifted - traffic may have moved: shifting, paused, promoted,
 * rolling-back, rolled-back, completed */
bool saga_has_shifted(enum saga_state_kind s);

#endif
