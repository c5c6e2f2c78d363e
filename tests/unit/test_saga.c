/*
 * test_saga - the deployment state machine: every (state, input) pair,
 *             the scenarios of DESIGN.md section 4, and seeded random walks.
 *
 * DESCRIPTION
 *	check_outcome() holds the invariants that every outcome must keep
 *	(a defined verdict, EMIT_STATUS exactly on a change of state,
 *	START_NEXT last on entering a terminal state, no weights from a
 *	terminal or rolling-back state, RESTORE_WEIGHTS before
 *	SCALE_NEW_TO_ZERO on entering rolling-back, epochs only raised by
 *	RAISE_EPOCH, expand migrations only from received and contract
 *	migrations only once the old color is retired). The exhaustive walk
 *	and the random walks both run it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "saga/saga.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* strategy_bluegreen - all at once */
static struct saga_strategy strategy_bluegreen(void)
{
    struct saga_strategy s;

    memset(&s, 0, sizeof(s));
    s.kind = SAGA_BLUEGREEN;
    return s;
}

/* strategy_canary - steps given as weight, pause pairs */
static struct saga_strategy strategy_canary(bool auto_promote, int n, ...)
{
    struct saga_strategy s;
    va_list ap;

    memset(&s, 0, sizeof(s));
    s.kind = SAGA_CANARY;
    s.auto_promote = auto_promote;
    s.step_count = n;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        s.steps[i].weight = va_arg(ap, int);
        s.steps[i].pause_seconds = va_arg(ap, int);
    }
    va_end(ap);
    return s;
}

/* fx_index - position of the first effect of kind, -1 when absent */
static int fx_index(const struct saga_outcome *out, enum saga_effect_kind kind)
{
    for (size_t i = 0; i < out->effect_count; i++)
        if (out->effects[i].kind == kind)
            return (int)i;
    return -1;
}

/* fx_count - how many effects of kind */
static int fx_count(const struct saga_outcome *out, enum saga_effect_kind kind)
{
    int n = 0;

    for (size_t i = 0; i < out->effect_count; i++)
        n += out->effects[i].kind == kind;
    return n;
}

/* fx_arg - the argument of the last effect of kind */
static int fx_arg(const struct saga_outcome *out, enum saga_effect_kind kind)
{
    int arg = -1000;

    for (size_t i = 0; i < out->effect_count; i++)
        if (out->effects[i].kind == kind)
            arg = out->effects[i].arg;
    return arg;
}

/* state_equal - field by field, padding aside */
static bool state_equal(const struct saga_state *a, const struct saga_state *b)
{
    return a->state == b->state && a->epoch == b->epoch && a->new_color == b->new_color &&
           a->step == b->step && a->weight == b->weight && a->retiring == b->retiring &&
           a->approval_required == b->approval_required &&
           a->database_stage == b->database_stage && a->cache_stage == b->cache_stage &&
           memcmp(&a->strategy.steps, &b->strategy.steps, sizeof(a->strategy.steps)) == 0 &&
           a->strategy.step_count == b->strategy.step_count &&
           a->strategy.kind == b->strategy.kind &&
           a->strategy.auto_promote == b->strategy.auto_promote;
}

/* check_verdict_only - a non-transition changes nothing and says why */
static void check_verdict_only(const struct saga_state *in, const struct saga_outcome *out)
{
    assert_true(state_equal(in, &out->next));
    assert_int_equal(out->effect_count, 0);
    assert_true(out->reason[0] != '\0');
}

/* check_entry - what entering a state carries */
static void check_entry(const struct saga_state *in, const struct saga_outcome *out)
{
    enum saga_state_kind to = out->next.state;
    bool changed = to != in->state;

    assert_int_equal(fx_count(out, SAGA_FX_EMIT_STATUS), changed ? 1 : 0);
    assert_int_equal(fx_count(out, SAGA_FX_START_NEXT), changed && saga_is_terminal(to));
    if (changed && saga_is_terminal(to))
        assert_int_equal(out->effects[out->effect_count - 1].kind, SAGA_FX_START_NEXT);
    if (changed && to == SAGA_ROLLING_BACK) {
        assert_true(fx_index(out, SAGA_FX_RESTORE_WEIGHTS) >= 0);
        assert_true(fx_index(out, SAGA_FX_RESTORE_WEIGHTS) <
                    fx_index(out, SAGA_FX_SCALE_NEW_TO_ZERO));
        assert_int_equal(out->next.weight, 0);
    }
    if (changed && to == SAGA_PROMOTED) {
        assert_int_equal(out->next.weight, 100);
        assert_int_equal(fx_arg(out, SAGA_FX_FLIP_LIVE_COLOR), in->new_color);
    }
    if (changed && (to == SAGA_FAILED || to == SAGA_SUPERSEDED || to == SAGA_ROLLING_BACK))
        assert_int_equal(out->next.epoch, in->epoch + 1);
}

/* is_contract_retry - the one input a terminal state takes */
static bool is_contract_retry(const struct saga_state *in, const struct saga_input *ev)
{
    return in->state == SAGA_COMPLETED_WITH_WARNING && ev->kind == SAGA_IN_RETRY_CONTRACT;
}

/* check_transition - effects and new state agree */
static void check_transition(const struct saga_state *in, const struct saga_input *ev,
                             const struct saga_outcome *out)
{
    bool weights = fx_index(out, SAGA_FX_SET_WEIGHTS) >= 0;

    assert_true(out->effect_count > 0);
    assert_true(out->effect_count <= SAGA_MAX_EFFECTS);
    assert_false(saga_is_terminal(in->state) && !is_contract_retry(in, ev));
    /* contract migrations only once the old color is retired */
    if (fx_index(out, SAGA_FX_MIGRATE_CONTRACT) >= 0)
        assert_true(is_contract_retry(in, ev) ||
                    (in->state == SAGA_PROMOTED && in->retiring && in->database_stage));
    /* expand migrations only at the start, before the new color exists */
    if (fx_index(out, SAGA_FX_MIGRATE_EXPAND) >= 0)
        assert_true(in->state == SAGA_RECEIVED && in->database_stage);
    /* caches are flushed once, right after validation passed */
    if (fx_index(out, SAGA_FX_FLUSH_CACHES) >= 0)
        assert_true(in->state == SAGA_VALIDATING && in->cache_stage &&
                    ev->kind == SAGA_IN_VALIDATION_PASSED &&
                    out->next.state == SAGA_FLUSHING_CACHES);
    /* with caches, no traffic moves before they are flushed */
    if (in->cache_stage && in->state == SAGA_VALIDATING)
        assert_false(weights || out->next.state == SAGA_AWAITING_APPROVAL);
    assert_false(weights && (in->state == SAGA_ROLLING_BACK || saga_is_terminal(out->next.state) ||
                             out->next.state == SAGA_ROLLING_BACK));
    if (weights)
        assert_int_equal(fx_arg(out, SAGA_FX_SET_WEIGHTS), out->next.weight);
    assert_int_equal(out->next.epoch,
                     in->epoch + (fx_index(out, SAGA_FX_RAISE_EPOCH) >= 0 ? 1 : 0));
    assert_true(out->next.weight >= 0 && out->next.weight <= 100);
    assert_int_equal(out->next.new_color, in->new_color);
    if (fx_index(out, SAGA_FX_DRILL_RESTORE) >= 0) { /* a drill changes nothing else */
        assert_int_equal(out->effect_count, 2);
        assert_int_equal(fx_index(out, SAGA_FX_DRILL_RESTORE), 0);
        assert_int_equal(fx_index(out, SAGA_FX_DRILL_RETURN), 1);
        assert_true(state_equal(in, &out->next));
    }
    check_entry(in, out);
}

/* check_outcome - the invariants every outcome keeps */
static void check_outcome(const struct saga_state *in, const struct saga_input *ev,
                          const struct saga_outcome *out, int rc)
{
    struct saga_outcome again;

    assert_int_equal(rc, 0);
    assert_true(out->verdict >= SAGA_TRANSITION && out->verdict <= SAGA_DEFER);
    if (saga_is_terminal(in->state) && !is_contract_retry(in, ev))
        assert_int_equal(out->verdict, SAGA_IGNORE);
    if (out->verdict == SAGA_DEFER)
        assert_int_equal(ev->kind, SAGA_IN_SUPERSEDE);
    if (out->verdict != SAGA_TRANSITION)
        check_verdict_only(in, out);
    else
        check_transition(in, ev, out);
    /* the new state is one saga_apply() accepts */
    struct saga_input probe = { .kind = SAGA_IN_ALARM_OK };
    assert_int_equal(saga_apply(&out->next, &probe, &again), 0);
}

/* input_for - a well-formed input of kind for the state st is in */
static struct saga_input input_for(const struct saga_state *st, enum saga_input_kind kind)
{
    struct saga_input ev = { .kind = kind, .epoch = st->epoch, .armed_in = st->state,
                             .step = st->step, .weight = st->weight };

    return ev;
}

/* apply - apply ev to *st, check the outcome, keep the new state */
static void apply(struct saga_state *st, const struct saga_input *ev, struct saga_outcome *out)
{
    int rc = saga_apply(st, ev, out);

    check_outcome(st, ev, out, rc);
    *st = out->next;
}

/* feed - apply a well-formed input of kind */
static void feed(struct saga_state *st, enum saga_input_kind kind, struct saga_outcome *out)
{
    struct saga_input ev = input_for(st, kind);

    apply(st, &ev, out);
}

/* feed_shift - an operator's SHIFT to weight (epoch 0) */
static void feed_shift(struct saga_state *st, int weight, struct saga_outcome *out)
{
    struct saga_input ev = { .kind = SAGA_IN_SHIFT, .weight = weight };

    apply(st, &ev, out);
}

/* to_shifting - drive a new deployment up to shifting */
static void to_shifting(struct saga_state *st, const struct saga_strategy *s,
                        struct saga_outcome *out)
{
    saga_state_init(st, s, 1, false);
    feed(st, SAGA_IN_START, out);
    feed(st, SAGA_IN_SCALED, out);
    feed(st, SAGA_IN_DEPLOYED, out);
    feed(st, SAGA_IN_VALIDATION_PASSED, out);
    assert_int_equal(st->state, SAGA_SHIFTING);
}

/* strategy_analysed - a canary whose timed steps carry an analysis */
static struct saga_strategy strategy_analysed(void)
{
    struct saga_strategy s = strategy_canary(true, 3, 10, 60, 50, SAGA_PAUSE_OPERATOR, 100, 30);

    s.steps[0].analysis = true;
    s.steps[2].analysis = true;
    return s;
}

/* sample_states - states of every kind, in several shapes; returns how many */
static size_t sample_states(struct saga_state *samples, size_t max)
{
    struct saga_strategy strategies[] = {
        strategy_bluegreen(),
        strategy_canary(true, 3, 10, 60, 50, SAGA_PAUSE_OPERATOR, 100, 30),
        strategy_canary(false, 2, 10, 60, 40, 30),
        strategy_canary(true, 2, 20, SAGA_PAUSE_OPERATOR, 40, SAGA_PAUSE_OPERATOR),
        strategy_analysed(),
    };
    const int weights[] = { 0, 10, 33, 50, 100 };
    size_t n = 0;

    for (int k = 0; k < SAGA_STATE_COUNT; k++)
        for (size_t s = 0; s < COUNT(strategies); s++)
            for (int step = 0; step < 3; step++)
                for (size_t w = 0; w < COUNT(weights); w++)
                    for (int flags = 0; flags < 16; flags++) {
                        struct saga_state *st = &samples[n];
                        saga_state_init(st, &strategies[s], flags & 1, flags & 2);
                        st->state = (enum saga_state_kind)k;
                        st->epoch = 3;
                        st->step = step;
                        st->weight = weights[w];
                        st->retiring = (flags & 3) == 3;
                        st->database_stage = flags & 4;
                        st->cache_stage = flags & 8;
                        if (step < (s == 0 ? 1 : strategies[s].step_count) && n + 1 < max)
                            n++;
                    }
    return n;
}

static struct saga_state samples[SAGA_STATE_COUNT * 5 * 3 * 5 * 16];

/* test_every_pair - every (state, input) pair has a defined, sound outcome */
static void test_every_pair(void **unused)
{
    size_t n = sample_states(samples, COUNT(samples));
    unsigned seen[SAGA_STATE_COUNT][SAGA_INPUT_COUNT] = { { 0 } };
    const int shift_weights[] = { 0, 10, 50, 100, 101, -1 };

    (void)unused;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < SAGA_INPUT_COUNT; k++) {
            struct saga_input ev = input_for(&samples[i], (enum saga_input_kind)k);
            struct saga_outcome out;
            for (size_t w = 0; w < COUNT(shift_weights); w++) {
                if (k == SAGA_IN_SHIFT || (k == SAGA_IN_SHIFTED && w < 4))
                    ev.weight = shift_weights[w];
                check_outcome(&samples[i], &ev, &out, saga_apply(&samples[i], &ev, &out));
            }
            seen[samples[i].state][k]++;
        }
    }
    for (int s = 0; s < SAGA_STATE_COUNT; s++)
        for (int k = 0; k < SAGA_INPUT_COUNT; k++)
            assert_true(seen[s][k] > 0);
}

/* test_stale_and_unissued_epochs - every pair fences epochs the same way */
static void test_stale_and_unissued_epochs(void **unused)
{
    size_t n = sample_states(samples, COUNT(samples));

    (void)unused;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < SAGA_INPUT_COUNT; k++) {
            struct saga_input ev = input_for(&samples[i], (enum saga_input_kind)k);
            struct saga_outcome out;
            ev.epoch = samples[i].epoch - 1;
            assert_int_equal(saga_apply(&samples[i], &ev, &out), 0);
            assert_int_equal(out.verdict, SAGA_IGNORE);
            assert_string_equal(out.reason, "stale epoch 2 < 3");
            assert_int_equal(out.effect_count, 0);
            ev.epoch = samples[i].epoch + 1;
            assert_int_equal(saga_apply(&samples[i], &ev, &out), 0);
            assert_int_equal(out.verdict, SAGA_REJECT);
        }
    }
}

/* test_names - names exactly as DESIGN, round trips, unknowns */
static void test_names(void **unused)
{
    enum saga_state_kind s;
    enum saga_input_kind in;

    (void)unused;
    assert_string_equal(saga_state_name(SAGA_AWAITING_APPROVAL), "awaiting-approval");
    assert_string_equal(saga_state_name(SAGA_ROLLING_BACK), "rolling-back");
    assert_string_equal(saga_state_name(SAGA_ROLLED_BACK), "rolled-back");
    assert_string_equal(saga_state_name(SAGA_STATE_COUNT), "?");
    for (int i = 0; i < SAGA_STATE_COUNT; i++) {
        assert_int_equal(saga_state_parse(saga_state_name((enum saga_state_kind)i), &s), 0);
        assert_int_equal(s, i);
    }
    for (int i = 0; i < SAGA_INPUT_COUNT; i++) {
        assert_int_equal(saga_input_parse(saga_input_name((enum saga_input_kind)i), &in), 0);
        assert_int_equal(in, i);
    }
    for (int i = 0; i < SAGA_EFFECT_COUNT; i++)
        for (int j = 0; j < i; j++)
            assert_string_not_equal(saga_effect_name((enum saga_effect_kind)i),
                                    saga_effect_name((enum saga_effect_kind)j));
    assert_int_equal(saga_state_parse("shifted", &s), -1);
    assert_int_equal(saga_input_parse("SHIFT", &in), -1);
    assert_string_equal(saga_input_name(SAGA_IN_STEP_DUE), "step-due");
    assert_string_equal(saga_effect_name(SAGA_FX_SET_WEIGHTS), "set-weights");
    assert_string_equal(saga_verdict_name(SAGA_DEFER), "defer");
    assert_true(saga_is_terminal(SAGA_SUPERSEDED));
    assert_false(saga_is_terminal(SAGA_ROLLING_BACK));
    assert_true(saga_has_shifted(SAGA_PAUSED));
    assert_false(saga_has_shifted(SAGA_AWAITING_APPROVAL));
}

/* test_bad_arguments - broken invariants return -1, never a verdict */
static void test_bad_arguments(void **unused)
{
    struct saga_strategy bg = strategy_bluegreen();
    struct saga_state st;
    struct saga_input ev = { .kind = SAGA_IN_START };
    struct saga_outcome out;

    (void)unused;
    saga_state_init(&st, &bg, 1, false);
    st.state = SAGA_STATE_COUNT;
    assert_int_equal(saga_apply(&st, &ev, &out), -1);
    assert_int_equal(out.verdict, SAGA_UNDEFINED);
    saga_state_init(&st, &bg, 1, false);
    st.weight = 101;
    assert_int_equal(saga_apply(&st, &ev, &out), -1);
    saga_state_init(&st, &bg, 1, false);
    ev.kind = SAGA_INPUT_COUNT;
    assert_int_equal(saga_apply(&st, &ev, &out), -1);
    ev.kind = SAGA_IN_START;
    st.strategy = strategy_canary(true, 2, 50, 0, 50, 0);
    assert_int_equal(saga_apply(&st, &ev, &out), -1);
    assert_non_null(strstr(out.reason, "does not rise"));
}

/* test_strategy_check - what a build-ready's strategy must be */
static void test_strategy_check(void **unused)
{
    struct saga_strategy s = strategy_canary(true, 3, 10, 0, 50, -1, 100, 5);
    char why[96];

    (void)unused;
    assert_int_equal(saga_strategy_check(&s, why, sizeof(why)), 0);
    s.steps[1].pause_seconds = -2;
    assert_int_equal(saga_strategy_check(&s, why, sizeof(why)), -1);
    s = strategy_canary(true, 1, 101, 0);
    assert_int_equal(saga_strategy_check(&s, why, sizeof(why)), -1);
    s = strategy_canary(true, 0);
    assert_int_equal(saga_strategy_check(&s, why, sizeof(why)), -1);
    s.step_count = SAGA_MAX_STEPS + 1;
    assert_int_equal(saga_strategy_check(&s, why, sizeof(why)), -1);
    s = strategy_bluegreen();
    assert_int_equal(saga_strategy_check(&s, why, sizeof(why)), 0);
}

/* test_bluegreen_happy_path - scale, deploy, validate, 100 %, bake, retire */
static void test_bluegreen_happy_path(void **unused)
{
    struct saga_strategy s = strategy_bluegreen();
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    saga_state_init(&st, &s, 1, false);
    feed(&st, SAGA_IN_START, &out);
    assert_int_equal(st.state, SAGA_SCALING);
    assert_true(fx_index(&out, SAGA_FX_SCALE_NEW) >= 0);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_STAGE_TIMER), SAGA_SCALING);
    feed(&st, SAGA_IN_SCALED, &out);
    assert_int_equal(st.state, SAGA_DEPLOYING);
    assert_true(fx_index(&out, SAGA_FX_CANCEL_TIMERS) < fx_index(&out, SAGA_FX_START_STAGE_TIMER));
    feed(&st, SAGA_IN_DEPLOYED, &out);
    assert_int_equal(st.state, SAGA_VALIDATING);
    assert_true(fx_index(&out, SAGA_FX_OPEN_PREVIEW) < fx_index(&out, SAGA_FX_VALIDATE));
    feed(&st, SAGA_IN_VALIDATION_PASSED, &out);
    assert_int_equal(st.state, SAGA_SHIFTING);
    assert_true(fx_index(&out, SAGA_FX_CLOSE_PREVIEW) >= 0);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 100);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(st.state, SAGA_PROMOTED);
    assert_true(fx_index(&out, SAGA_FX_START_BAKE_TIMER) >= 0);
    feed(&st, SAGA_IN_BAKE_DONE, &out);
    assert_int_equal(st.state, SAGA_PROMOTED);
    assert_true(st.retiring && fx_index(&out, SAGA_FX_RETIRE_OLD) >= 0);
    feed(&st, SAGA_IN_RETIRED, &out);
    assert_int_equal(st.state, SAGA_COMPLETED);
    assert_int_equal(st.epoch, 1);
}

/* test_canary_with_timers - 10 -> 50 -> 100, each step after its pause */
static void test_canary_with_timers(void **unused)
{
    struct saga_strategy s = strategy_canary(true, 3, 10, 60, 50, 120, 100, 30);
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    to_shifting(&st, &s, &out);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 10);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_STEP_TIMER), 60);
    feed(&st, SAGA_IN_STEP_DUE, &out);
    assert_int_equal(st.step, 1);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 50);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_STEP_TIMER), 120);
    feed(&st, SAGA_IN_STEP_DUE, &out);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 100);
    assert_int_equal(st.state, SAGA_SHIFTING);
    feed(&st, SAGA_IN_STEP_DUE, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(st.state, SAGA_PROMOTED);
    assert_int_equal(fx_arg(&out, SAGA_FX_FLIP_LIVE_COLOR), 1);
}

/* test_timer_fencing - timers of another state or step change nothing */
static void test_timer_fencing(void **unused)
{
    struct saga_strategy s = strategy_canary(true, 3, 10, 60, 50, 120, 100, 30);
    struct saga_state st;
    struct saga_outcome out;
    struct saga_input ev;

    (void)unused;
    to_shifting(&st, &s, &out);
    ev = input_for(&st, SAGA_IN_STAGE_TIMEOUT);
    ev.armed_in = SAGA_VALIDATING;
    apply(&st, &ev, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    assert_string_equal(out.reason, "stage-timeout timer armed in validating fired in shifting");
    ev = input_for(&st, SAGA_IN_STEP_DUE);
    ev.step = 1;
    apply(&st, &ev, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    ev = input_for(&st, SAGA_IN_SHIFTED);
    ev.weight = 50;
    apply(&st, &ev, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    assert_int_equal(st.weight, 10);
}

/* test_operator_pause_step - a null pause waits; PAUSE/RESUME move it on */
static void test_operator_pause_step(void **unused)
{
    struct saga_strategy s = strategy_canary(false, 3, 10, SAGA_PAUSE_OPERATOR, 50, 60, 100, 0);
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    to_shifting(&st, &s, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    assert_int_equal(st.step, 0);
    feed(&st, SAGA_IN_PAUSE, &out);
    assert_int_equal(st.state, SAGA_PAUSED);
    assert_true(fx_index(&out, SAGA_FX_CANCEL_TIMERS) >= 0);
    feed(&st, SAGA_IN_RESUME, &out);
    assert_int_equal(st.state, SAGA_SHIFTING);
    assert_int_equal(st.step, 1);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 50);
    feed(&st, SAGA_IN_SHIFTED, &out);
    feed(&st, SAGA_IN_PAUSE, &out);
    feed(&st, SAGA_IN_RESUME, &out);
    assert_int_equal(st.step, 1);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_STEP_TIMER), 60);
    assert_int_equal(fx_index(&out, SAGA_FX_SET_WEIGHTS), -1);
}

/* test_last_step_below_100 - auto_promote promotes after the pause, else PROMOTE */
static void test_last_step_below_100(void **unused)
{
    struct saga_strategy s = strategy_canary(true, 1, 30, 45);
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    to_shifting(&st, &s, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_STEP_TIMER), 45);
    feed(&st, SAGA_IN_STEP_DUE, &out);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 100);

    s.auto_promote = false;
    to_shifting(&st, &s, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    assert_int_equal(fx_index(&out, SAGA_FX_START_STEP_TIMER), -1);
    feed(&st, SAGA_IN_PROMOTE, &out);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 100);
    feed(&st, SAGA_IN_PAUSE, &out);
    assert_int_equal(out.verdict, SAGA_REJECT);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(st.state, SAGA_PROMOTED);
}

/* test_alarm_second_step - rollback restores weights before scaling to zero */
static void test_alarm_second_step(void **unused)
{
    struct saga_strategy s = strategy_canary(true, 3, 10, 60, 50, 120, 100, 30);
    struct saga_state st;
    struct saga_outcome out;
    struct saga_input alarm = { .kind = SAGA_IN_ALARM };
    struct saga_input late;

    (void)unused;
    to_shifting(&st, &s, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    feed(&st, SAGA_IN_STEP_DUE, &out);
    assert_int_equal(st.step, 1);
    late = input_for(&st, SAGA_IN_SHIFTED);
    apply(&st, &alarm, &out);
    assert_int_equal(st.state, SAGA_ROLLING_BACK);
    assert_int_equal(st.epoch, 2);
    assert_true(fx_index(&out, SAGA_FX_RAISE_EPOCH) < fx_index(&out, SAGA_FX_RESTORE_WEIGHTS));
    assert_true(fx_index(&out, SAGA_FX_RESTORE_WEIGHTS) <
                fx_index(&out, SAGA_FX_SCALE_NEW_TO_ZERO));
    assert_int_equal(fx_index(&out, SAGA_FX_FLIP_LIVE_COLOR), -1);
    apply(&st, &late, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    assert_string_equal(out.reason, "stale epoch 1 < 2");
    apply(&st, &alarm, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    feed(&st, SAGA_IN_ROLLED_BACK, &out);
    assert_int_equal(st.state, SAGA_ROLLED_BACK);
    assert_true(fx_index(&out, SAGA_FX_START_NEXT) >= 0);
}

/* test_rollback_while_baking - flips the live color back; not once retiring */
static void test_rollback_while_baking(void **unused)
{
    struct saga_strategy s = strategy_bluegreen();
    struct saga_state st, retiring;
    struct saga_outcome out;
    struct saga_input rollback = { .kind = SAGA_IN_ROLLBACK };
    struct saga_input alarm = { .kind = SAGA_IN_ALARM };

    (void)unused;
    to_shifting(&st, &s, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    retiring = st;
    apply(&st, &rollback, &out);
    assert_int_equal(st.state, SAGA_ROLLING_BACK);
    assert_int_equal(fx_arg(&out, SAGA_FX_FLIP_LIVE_COLOR), 0);
    assert_true(fx_index(&out, SAGA_FX_RESTORE_WEIGHTS) < fx_index(&out, SAGA_FX_FLIP_LIVE_COLOR));
    feed(&retiring, SAGA_IN_BAKE_DONE, &out);
    apply(&retiring, &rollback, &out);
    assert_int_equal(out.verdict, SAGA_REJECT);
    apply(&retiring, &alarm, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    assert_int_equal(retiring.state, SAGA_PROMOTED);
}

/* drill_on - a drill in st: the verdict, the state kept, the effects asked */
static void drill_on(struct saga_state *st, enum saga_verdict verdict, struct saga_outcome *out)
{
    struct saga_state before = *st;

    feed(st, SAGA_IN_DRILL, out);
    assert_int_equal(out->verdict, verdict);
    assert_true(state_equal(&before, st));
    assert_int_equal(fx_count(out, SAGA_FX_DRILL_RESTORE), verdict == SAGA_TRANSITION);
    assert_int_equal(fx_count(out, SAGA_FX_DRILL_RETURN), verdict == SAGA_TRANSITION);
}

/* test_drill - allowed while a rollback would be one weight change; the
 * state, step, weight and epoch stay; a rollback after it raises the epoch */
static void test_drill(void **unused)
{
    struct saga_strategy s = strategy_canary(false, 2, 25, SAGA_PAUSE_OPERATOR, 100, 0);
    struct saga_state st, early;
    struct saga_outcome out;
    struct saga_input rollback = { .kind = SAGA_IN_ROLLBACK };

    (void)unused;
    saga_state_init(&early, &s, 1, false);
    drill_on(&early, SAGA_REJECT, &out);
    assert_string_equal(out.reason, "drill while received: traffic has not moved; nothing to drill");
    feed(&early, SAGA_IN_START, &out);
    drill_on(&early, SAGA_REJECT, &out);
    to_shifting(&st, &s, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    drill_on(&st, SAGA_TRANSITION, &out);
    assert_int_equal(st.weight, 25);
    feed(&st, SAGA_IN_PAUSE, &out);
    drill_on(&st, SAGA_TRANSITION, &out);
    feed(&st, SAGA_IN_PROMOTE, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(st.state, SAGA_PROMOTED);
    drill_on(&st, SAGA_TRANSITION, &out);
    early = st;
    feed(&early, SAGA_IN_BAKE_DONE, &out);
    drill_on(&early, SAGA_REJECT, &out);
    assert_string_equal(out.reason, "drill while retiring: the old color is going away");
    apply(&st, &rollback, &out);
    assert_int_equal(st.epoch, 2);
    drill_on(&st, SAGA_REJECT, &out);
    feed(&st, SAGA_IN_ROLLED_BACK, &out);
    drill_on(&st, SAGA_IGNORE, &out);
    assert_string_equal(out.reason, "drill after rolled-back changes nothing");
}

/* analysis_input - an analysis verdict of kind about step */
static struct saga_input analysis_input(enum saga_input_kind kind, const struct saga_state *st,
                                        int step)
{
    struct saga_input ev = { .kind = kind, .epoch = st->epoch, .step = step };

    return ev;
}

/* test_analysis - a step with an analysis waits for its verdict, not a timer */
static void test_analysis(void **unused)
{
    struct saga_strategy s = strategy_analysed();
    struct saga_state st, failing;
    struct saga_outcome out;
    struct saga_input ev;

    (void)unused;
    to_shifting(&st, &s, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_ANALYSIS), 60);
    assert_int_equal(fx_index(&out, SAGA_FX_START_STEP_TIMER), -1);
    feed(&st, SAGA_IN_STEP_DUE, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE); /* no timer was armed: a stray one moves nothing */
    ev = analysis_input(SAGA_IN_ANALYSIS_PASSED, &st, 1);
    apply(&st, &ev, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    assert_string_equal(out.reason, "analysis-passed of step 1 at step 0");
    failing = st;
    ev = analysis_input(SAGA_IN_ANALYSIS_INCONCLUSIVE, &st, 0);
    apply(&st, &ev, &out);
    assert_int_equal(st.state, SAGA_PAUSED);
    assert_true(fx_index(&out, SAGA_FX_CANCEL_TIMERS) >= 0);
    feed(&st, SAGA_IN_RESUME, &out);
    assert_int_equal(st.state, SAGA_SHIFTING);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_ANALYSIS), 60);
    ev = analysis_input(SAGA_IN_ANALYSIS_PASSED, &st, 0);
    apply(&st, &ev, &out);
    assert_int_equal(st.step, 1);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 50);
    ev = analysis_input(SAGA_IN_ANALYSIS_FAILED, &failing, 0);
    apply(&failing, &ev, &out);
    assert_int_equal(failing.state, SAGA_ROLLING_BACK);
    assert_int_equal(failing.epoch, 2);
    assert_true(fx_index(&out, SAGA_FX_RESTORE_WEIGHTS) >= 0);
}

/* test_analysis_needs_a_timed_pause - the strategy check refuses an analysis on an operator step */
static void test_analysis_needs_a_timed_pause(void **unused)
{
    struct saga_strategy s = strategy_analysed();
    char why[128];

    (void)unused;
    assert_int_equal(saga_strategy_check(&s, why, sizeof(why)), 0);
    s.steps[1].analysis = true;
    assert_int_equal(saga_strategy_check(&s, why, sizeof(why)), -1);
    assert_string_equal(why, "step 1: an analysis needs a timed pause (pause_seconds)");
}

/* test_alarm_after_completed - recorded with its reason, nothing changes */
static void test_alarm_after_completed(void **unused)
{
    struct saga_strategy s = strategy_bluegreen();
    struct saga_state st;
    struct saga_outcome out;
    struct saga_input alarm = { .kind = SAGA_IN_ALARM };

    (void)unused;
    to_shifting(&st, &s, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    feed(&st, SAGA_IN_BAKE_DONE, &out);
    feed(&st, SAGA_IN_RETIRED, &out);
    apply(&st, &alarm, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    assert_string_equal(out.reason, "alarm after completed changes nothing");
    assert_int_equal(st.state, SAGA_COMPLETED);
}

/* test_alarm_before_traffic - the deployment fails, the new color goes to zero */
static void test_alarm_before_traffic(void **unused)
{
    struct saga_strategy s = strategy_bluegreen();
    struct saga_state st;
    struct saga_outcome out;
    struct saga_input alarm = { .kind = SAGA_IN_ALARM };

    (void)unused;
    saga_state_init(&st, &s, 0, false);
    feed(&st, SAGA_IN_START, &out);
    feed(&st, SAGA_IN_SCALED, &out);
    apply(&st, &alarm, &out);
    assert_int_equal(st.state, SAGA_FAILED);
    assert_true(fx_index(&out, SAGA_FX_STOP_PROVIDER_DEPLOYMENT) <
                fx_index(&out, SAGA_FX_SCALE_NEW_TO_ZERO));
    assert_int_equal(fx_index(&out, SAGA_FX_CLOSE_PREVIEW), -1);
    assert_int_equal(fx_index(&out, SAGA_FX_RESTORE_WEIGHTS), -1);
}

/* test_supersede_and_defer - superseded while validating, deferred while shifting */
static void test_supersede_and_defer(void **unused)
{
    struct saga_strategy s = strategy_bluegreen();
    struct saga_state st;
    struct saga_outcome out;
    struct saga_input newer = { .kind = SAGA_IN_SUPERSEDE };

    (void)unused;
    saga_state_init(&st, &s, 1, false);
    feed(&st, SAGA_IN_START, &out);
    feed(&st, SAGA_IN_SCALED, &out);
    feed(&st, SAGA_IN_DEPLOYED, &out);
    apply(&st, &newer, &out);
    assert_int_equal(st.state, SAGA_SUPERSEDED);
    assert_true(fx_index(&out, SAGA_FX_CLOSE_PREVIEW) >= 0);
    assert_true(fx_index(&out, SAGA_FX_SCALE_NEW_TO_ZERO) >= 0);
    assert_true(fx_index(&out, SAGA_FX_RAISE_EPOCH) >= 0);
    assert_int_equal(out.effects[out.effect_count - 1].kind, SAGA_FX_START_NEXT);

    to_shifting(&st, &s, &out);
    apply(&st, &newer, &out);
    assert_int_equal(out.verdict, SAGA_DEFER);
    assert_int_equal(st.state, SAGA_SHIFTING);
}

/* test_shift_weights - SHIFT N holds, SHIFT 0 stays shifting, SHIFT 100 promotes */
static void test_shift_weights(void **unused)
{
    struct saga_strategy s = strategy_canary(true, 3, 10, 60, 50, 120, 100, 30);
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    to_shifting(&st, &s, &out);
    feed_shift(&st, 0, &out);
    assert_int_equal(st.state, SAGA_SHIFTING);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 0);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    feed(&st, SAGA_IN_RESUME, &out);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 10);
    feed_shift(&st, 30, &out);
    feed(&st, SAGA_IN_RESUME, &out);
    assert_int_equal(st.step, 1);
    assert_int_equal(st.weight, 50);
    feed_shift(&st, 101, &out);
    assert_int_equal(out.verdict, SAGA_REJECT);
    feed_shift(&st, 100, &out);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 100);
    feed(&st, SAGA_IN_SHIFTED, &out);
    assert_int_equal(st.state, SAGA_PROMOTED);
}

/* test_approval_required - validated deployments wait for an operator */
static void test_approval_required(void **unused)
{
    struct saga_strategy s = strategy_bluegreen();
    struct saga_state st;
    struct saga_outcome out;
    struct saga_input approve = { .kind = SAGA_IN_APPROVED };

    (void)unused;
    saga_state_init(&st, &s, 1, true);
    feed(&st, SAGA_IN_START, &out);
    feed(&st, SAGA_IN_SCALED, &out);
    feed(&st, SAGA_IN_DEPLOYED, &out);
    apply(&st, &approve, &out);
    assert_int_equal(out.verdict, SAGA_REJECT);
    feed(&st, SAGA_IN_VALIDATION_PASSED, &out);
    assert_int_equal(st.state, SAGA_AWAITING_APPROVAL);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_STAGE_TIMER), SAGA_AWAITING_APPROVAL);
    assert_int_equal(fx_index(&out, SAGA_FX_SET_WEIGHTS), -1);
    feed(&st, SAGA_IN_PROMOTE, &out);
    assert_int_equal(out.verdict, SAGA_REJECT);
    apply(&st, &approve, &out);
    assert_int_equal(st.state, SAGA_SHIFTING);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 100);
}

/* rng_next - xorshift64*, so that a failing seed can be replayed */
static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ULL;
}

/* rng_below - 0..n-1 */
static int rng_below(uint64_t *x, int n)
{
    return (int)(rng_next(x) % (uint64_t)n);
}

/* random_strategy - bluegreen or a canary of rising steps */
static struct saga_strategy random_strategy(uint64_t *x)
{
    struct saga_strategy s = strategy_bluegreen();
    const int pauses[] = { SAGA_PAUSE_OPERATOR, 0, 30 };
    int weight = 0;
    char why[96];

    if (rng_below(x, 3) == 0)
        return s;
    s.kind = SAGA_CANARY;
    s.auto_promote = rng_below(x, 2);
    s.step_count = 1 + rng_below(x, 5);
    for (int i = 0; i < s.step_count; i++) {
        int room = (100 - weight) / (s.step_count - i);
        weight += 1 + (room > 1 ? rng_below(x, room) : 0);
        s.steps[i].weight = i == s.step_count - 1 && rng_below(x, 2) ? 100 : weight;
        s.steps[i].pause_seconds = pauses[rng_below(x, 3)];
    }
    assert_int_equal(saga_strategy_check(&s, why, sizeof(why)), 0);
    return s;
}

/* Inputs that move each state forward, so that walks get past the start. */
static const enum saga_input_kind forward_inputs[SAGA_STATE_COUNT][4] = {
    [SAGA_RECEIVED] = { SAGA_IN_START, SAGA_IN_START, SAGA_IN_START, SAGA_IN_START },
    [SAGA_SCALING] = { SAGA_IN_SCALED, SAGA_IN_SCALED, SAGA_IN_SCALED, SAGA_IN_SCALED },
    [SAGA_DEPLOYING] = { SAGA_IN_DEPLOYED, SAGA_IN_DEPLOYED, SAGA_IN_DEPLOYED, SAGA_IN_DEPLOYED },
    [SAGA_VALIDATING] = { SAGA_IN_VALIDATION_PASSED, SAGA_IN_VALIDATION_PASSED,
                          SAGA_IN_VALIDATION_PASSED, SAGA_IN_APPROVED },
    [SAGA_AWAITING_APPROVAL] = { SAGA_IN_APPROVED, SAGA_IN_APPROVED, SAGA_IN_APPROVED,
                                 SAGA_IN_PROMOTE },
    [SAGA_SHIFTING] = { SAGA_IN_SHIFTED, SAGA_IN_STEP_DUE, SAGA_IN_PAUSE, SAGA_IN_RESUME },
    [SAGA_PAUSED] = { SAGA_IN_RESUME, SAGA_IN_SHIFT, SAGA_IN_PROMOTE, SAGA_IN_SHIFTED },
    [SAGA_PROMOTED] = { SAGA_IN_BAKE_DONE, SAGA_IN_RETIRED, SAGA_IN_BAKE_DONE, SAGA_IN_ROLLBACK },
    [SAGA_ROLLING_BACK] = { SAGA_IN_ROLLED_BACK, SAGA_IN_ALARM, SAGA_IN_ROLLED_BACK,
                            SAGA_IN_SHIFT },
    [SAGA_MIGRATING] = { SAGA_IN_MIGRATED, SAGA_IN_MIGRATED, SAGA_IN_MIGRATED,
                         SAGA_IN_MIGRATION_FAILED },
    [SAGA_CONTRACTING] = { SAGA_IN_CONTRACTED, SAGA_IN_CONTRACT_FAILED, SAGA_IN_CONTRACTED,
                           SAGA_IN_ALARM },
    [SAGA_FLUSHING_CACHES] = { SAGA_IN_CACHES_FLUSHED, SAGA_IN_CACHES_FLUSHED,
                               SAGA_IN_CACHES_FLUSHED, SAGA_IN_CACHE_FLUSH_FAILED },
};

/* random_kind - a forward input three times in four, else any */
static enum saga_input_kind random_kind(uint64_t *x, const struct saga_state *st)
{
    if (saga_is_terminal(st->state) || rng_below(x, 4) == 0)
        return (enum saga_input_kind)rng_below(x, SAGA_INPUT_COUNT);
    return forward_inputs[st->state][rng_below(x, 4)];
}

/* random_input - mostly well-formed for st, sometimes stale or misplaced */
static struct saga_input random_input(uint64_t *x, const struct saga_state *st)
{
    struct saga_input ev = input_for(st, random_kind(x, st));
    const int64_t epochs[] = { 0, st->epoch, st->epoch, st->epoch - 1, st->epoch + 1 };

    ev.epoch = epochs[rng_below(x, 5)];
    if (ev.kind == SAGA_IN_SHIFT || rng_below(x, 6) == 0)
        ev.weight = rng_below(x, 106);
    if (rng_below(x, 8) == 0)
        ev.armed_in = (enum saga_state_kind)rng_below(x, SAGA_STATE_COUNT);
    if (rng_below(x, 8) == 0)
        ev.step = rng_below(x, 4);
    return ev;
}

/* test_random_walks - thousands of seeded sequences keep every invariant */
static void test_random_walks(void **unused)
{
    unsigned reached[SAGA_STATE_COUNT] = { 0 };

    (void)unused;
    for (uint64_t seed = 1; seed <= 5000; seed++) {
        uint64_t x = seed * 0x9E3779B97F4A7C15ULL;
        struct saga_strategy s = random_strategy(&x);
        struct saga_state st;
        struct saga_outcome out;

        saga_state_init(&st, &s, rng_below(&x, 2), rng_below(&x, 2));
        st.database_stage = rng_below(&x, 2);
        st.cache_stage = rng_below(&x, 2);
        for (int i = 0; i < 200 && !saga_is_terminal(st.state); i++) {
            struct saga_input ev = random_input(&x, &st);
            apply(&st, &ev, &out);
            reached[st.state]++;
        }
    }
    for (int k = SAGA_SCALING; k < SAGA_STATE_COUNT; k++) {
        if (reached[k] == 0)
            print_message("%s never reached\n", saga_state_name((enum saga_state_kind)k));
        assert_true(reached[k] > 0);
    }
}

/* db_state - a received deployment of an environment with a database */
static void db_state(struct saga_state *st, const struct saga_strategy *s)
{
    saga_state_init(st, s, 1, false);
    st->database_stage = true;
}

/* to_contracting - drive a database deployment from start to contracting */
static void to_contracting(struct saga_state *st, struct saga_outcome *out)
{
    struct saga_strategy s = strategy_bluegreen();

    db_state(st, &s);
    feed(st, SAGA_IN_START, out);
    feed(st, SAGA_IN_MIGRATED, out);
    feed(st, SAGA_IN_SCALED, out);
    feed(st, SAGA_IN_DEPLOYED, out);
    feed(st, SAGA_IN_VALIDATION_PASSED, out);
    feed(st, SAGA_IN_SHIFTED, out);
    feed(st, SAGA_IN_BAKE_DONE, out);
    feed(st, SAGA_IN_RETIRED, out);
    assert_int_equal(st->state, SAGA_CONTRACTING);
    assert_int_equal(out->effects[0].kind, SAGA_FX_MIGRATE_CONTRACT);
}

/* test_database_stage_happy_path - expand and the old color's checks
 * before scaling, contract after retirement, then completed */
static void test_database_stage_happy_path(void **unused)
{
    struct saga_strategy s = strategy_bluegreen();
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    db_state(&st, &s);
    feed(&st, SAGA_IN_START, &out);
    assert_int_equal(st.state, SAGA_MIGRATING);
    assert_int_equal(fx_index(&out, SAGA_FX_MIGRATE_EXPAND), 0);
    assert_int_equal(fx_index(&out, SAGA_FX_CHECK_OLD_COLOR), 1);
    assert_int_equal(fx_index(&out, SAGA_FX_SCALE_NEW), -1);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_STAGE_TIMER), SAGA_MIGRATING);
    feed(&st, SAGA_IN_SCALED, &out);
    assert_int_equal(out.verdict, SAGA_REJECT);
    feed(&st, SAGA_IN_MIGRATED, &out);
    assert_int_equal(st.state, SAGA_SCALING);
    assert_true(fx_index(&out, SAGA_FX_CANCEL_TIMERS) < fx_index(&out, SAGA_FX_SCALE_NEW));
    feed(&st, SAGA_IN_MIGRATED, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    to_contracting(&st, &out);
    feed(&st, SAGA_IN_CONTRACTED, &out);
    assert_int_equal(st.state, SAGA_COMPLETED);
    feed(&st, SAGA_IN_RETRY_CONTRACT, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
}

/* test_no_database_no_stage - without a database nothing changes */
static void test_no_database_no_stage(void **unused)
{
    struct saga_strategy s = strategy_bluegreen();
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    to_shifting(&st, &s, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    feed(&st, SAGA_IN_BAKE_DONE, &out);
    feed(&st, SAGA_IN_RETIRED, &out);
    assert_int_equal(st.state, SAGA_COMPLETED);
    saga_state_init(&st, &s, 1, false);
    feed(&st, SAGA_IN_START, &out);
    assert_int_equal(st.state, SAGA_SCALING);
    assert_int_equal(fx_index(&out, SAGA_FX_MIGRATE_EXPAND), -1);
}

/* test_migration_failed - a refusal or the old color's checks failing end
 * the deployment with nothing to undo; an operator's abort too */
static void test_migration_failed(void **unused)
{
    const enum saga_input_kind enders[] = { SAGA_IN_MIGRATION_FAILED, SAGA_IN_ABORT,
                                            SAGA_IN_STAGE_TIMEOUT, SAGA_IN_ALARM };
    struct saga_strategy s = strategy_bluegreen();
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    for (size_t i = 0; i < COUNT(enders); i++) {
        db_state(&st, &s);
        feed(&st, SAGA_IN_START, &out);
        feed(&st, enders[i], &out);
        assert_int_equal(st.state, SAGA_FAILED);
        assert_int_equal(st.epoch, 2);
        assert_int_equal(fx_index(&out, SAGA_FX_SCALE_NEW_TO_ZERO), -1);
        assert_int_equal(fx_index(&out, SAGA_FX_STOP_PROVIDER_DEPLOYMENT), -1);
    }
    db_state(&st, &s);
    feed(&st, SAGA_IN_START, &out);
    feed(&st, SAGA_IN_SUPERSEDE, &out);
    assert_int_equal(out.verdict, SAGA_DEFER);
}

/* test_rollback_never_contracts - a rollback after expand, in every state
 * where one is possible, ends without a contract migration */
static void test_rollback_never_contracts(void **unused)
{
    struct saga_strategy s = strategy_bluegreen();
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    db_state(&st, &s);
    feed(&st, SAGA_IN_START, &out);
    feed(&st, SAGA_IN_MIGRATED, &out);
    feed(&st, SAGA_IN_SCALED, &out);
    feed(&st, SAGA_IN_DEPLOYED, &out);
    feed(&st, SAGA_IN_VALIDATION_PASSED, &out);
    feed(&st, SAGA_IN_SHIFTED, &out);
    feed(&st, SAGA_IN_ROLLBACK, &out);
    assert_int_equal(st.state, SAGA_ROLLING_BACK);
    feed(&st, SAGA_IN_ROLLED_BACK, &out);
    assert_int_equal(st.state, SAGA_ROLLED_BACK);
    assert_int_equal(fx_index(&out, SAGA_FX_MIGRATE_CONTRACT), -1);
    feed(&st, SAGA_IN_RETIRED, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    to_contracting(&st, &out);
    feed(&st, SAGA_IN_ROLLBACK, &out);
    assert_int_equal(out.verdict, SAGA_REJECT);
    feed(&st, SAGA_IN_ALARM, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    feed(&st, SAGA_IN_SUPERSEDE, &out);
    assert_int_equal(out.verdict, SAGA_DEFER);
}

/* test_contract_failed_and_retry - completed-with-warning, retried, completed */
static void test_contract_failed_and_retry(void **unused)
{
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    to_contracting(&st, &out);
    feed(&st, SAGA_IN_CONTRACT_FAILED, &out);
    assert_int_equal(st.state, SAGA_COMPLETED_WITH_WARNING);
    assert_true(saga_is_terminal(st.state));
    assert_int_equal(out.effects[out.effect_count - 1].kind, SAGA_FX_START_NEXT);
    feed(&st, SAGA_IN_ALARM, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    feed(&st, SAGA_IN_RETRY_CONTRACT, &out);
    assert_int_equal(st.state, SAGA_CONTRACTING);
    assert_int_equal(out.effects[0].kind, SAGA_FX_MIGRATE_CONTRACT);
    feed(&st, SAGA_IN_RETRY_CONTRACT, &out);
    assert_int_equal(out.verdict, SAGA_IGNORE);
    feed(&st, SAGA_IN_CONTRACTED, &out);
    assert_int_equal(st.state, SAGA_COMPLETED);
}

/* to_flushing - a deployment of an environment with caches, up to flushing-caches */
static void to_flushing(struct saga_state *st, bool approval, struct saga_outcome *out)
{
    struct saga_strategy s = strategy_canary(true, 2, 10, 60, 50, 60);

    saga_state_init(st, &s, 1, approval);
    st->cache_stage = true;
    feed(st, SAGA_IN_START, out);
    feed(st, SAGA_IN_SCALED, out);
    feed(st, SAGA_IN_DEPLOYED, out);
    feed(st, SAGA_IN_VALIDATION_PASSED, out);
}

/* test_cache_stage_happy_path - validated, then flushed, then the first weight */
static void test_cache_stage_happy_path(void **unused)
{
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    to_flushing(&st, false, &out);
    assert_int_equal(st.state, SAGA_FLUSHING_CACHES);
    assert_true(fx_index(&out, SAGA_FX_FLUSH_CACHES) >= 0);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_STAGE_TIMER), SAGA_FLUSHING_CACHES);
    assert_int_equal(fx_index(&out, SAGA_FX_SET_WEIGHTS), -1);
    assert_int_equal(fx_index(&out, SAGA_FX_CLOSE_PREVIEW), -1);
    assert_int_equal(st.weight, 0);
    feed(&st, SAGA_IN_PROMOTE, &out);
    assert_int_equal(out.verdict, SAGA_REJECT);
    feed(&st, SAGA_IN_CACHES_FLUSHED, &out);
    assert_int_equal(st.state, SAGA_SHIFTING);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 10);
    assert_true(fx_index(&out, SAGA_FX_CLOSE_PREVIEW) >= 0);
    assert_int_equal(fx_index(&out, SAGA_FX_FLUSH_CACHES), -1);
    feed(&st, SAGA_IN_CACHES_FLUSHED, &out); /* a late duplicate */
    assert_int_equal(out.verdict, SAGA_IGNORE);
}

/* test_cache_stage_before_approval - the flush runs before an approval is asked */
static void test_cache_stage_before_approval(void **unused)
{
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    to_flushing(&st, true, &out);
    assert_int_equal(st.state, SAGA_FLUSHING_CACHES);
    feed(&st, SAGA_IN_APPROVED, &out);
    assert_int_equal(out.verdict, SAGA_REJECT);
    feed(&st, SAGA_IN_CACHES_FLUSHED, &out);
    assert_int_equal(st.state, SAGA_AWAITING_APPROVAL);
    assert_int_equal(fx_arg(&out, SAGA_FX_START_STAGE_TIMER), SAGA_AWAITING_APPROVAL);
    feed(&st, SAGA_IN_APPROVED, &out);
    assert_int_equal(st.state, SAGA_SHIFTING);
}

/* test_cache_flush_failed - a failed flush, and whatever ends a validation,
 * ends before traffic moved: preview closed, new color to zero */
static void test_cache_flush_failed(void **unused)
{
    const enum saga_input_kind enders[] = { SAGA_IN_CACHE_FLUSH_FAILED, SAGA_IN_ROLLBACK,
                                            SAGA_IN_ABORT, SAGA_IN_ALARM, SAGA_IN_STAGE_TIMEOUT };

    (void)unused;
    for (size_t i = 0; i < COUNT(enders); i++) {
        struct saga_state st;
        struct saga_outcome out;
        int64_t epoch;

        to_flushing(&st, false, &out);
        epoch = st.epoch;
        feed(&st, enders[i], &out);
        assert_int_equal(st.state, SAGA_FAILED);
        assert_int_equal(st.epoch, epoch + 1);
        assert_true(fx_index(&out, SAGA_FX_CLOSE_PREVIEW) >= 0);
        assert_true(fx_index(&out, SAGA_FX_SCALE_NEW_TO_ZERO) >= 0);
        assert_int_equal(fx_index(&out, SAGA_FX_SET_WEIGHTS), -1);
        assert_int_equal(fx_index(&out, SAGA_FX_RESTORE_WEIGHTS), -1);
    }
}

/* test_cache_stage_superseded - a newer build replaces a deployment flushing */
static void test_cache_stage_superseded(void **unused)
{
    struct saga_state st;
    struct saga_outcome out;

    (void)unused;
    to_flushing(&st, false, &out);
    feed(&st, SAGA_IN_SUPERSEDE, &out);
    assert_int_equal(st.state, SAGA_SUPERSEDED);
    assert_true(fx_index(&out, SAGA_FX_SCALE_NEW_TO_ZERO) >= 0);
}

/* test_no_caches_no_stage - without caches validation goes straight on */
static void test_no_caches_no_stage(void **unused)
{
    struct saga_state st;
    struct saga_outcome out;
    struct saga_strategy s = strategy_bluegreen();

    (void)unused;
    to_shifting(&st, &s, &out);
    assert_int_equal(fx_index(&out, SAGA_FX_FLUSH_CACHES), -1);
    assert_int_equal(fx_arg(&out, SAGA_FX_SET_WEIGHTS), 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pair),
        cmocka_unit_test(test_stale_and_unissued_epochs),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_strategy_check),
        cmocka_unit_test(test_bluegreen_happy_path),
        cmocka_unit_test(test_canary_with_timers),
        cmocka_unit_test(test_timer_fencing),
        cmocka_unit_test(test_operator_pause_step),
        cmocka_unit_test(test_last_step_below_100),
        cmocka_unit_test(test_alarm_second_step),
        cmocka_unit_test(test_rollback_while_baking),
        cmocka_unit_test(test_drill),
        cmocka_unit_test(test_analysis),
        cmocka_unit_test(test_analysis_needs_a_timed_pause),
        cmocka_unit_test(test_alarm_after_completed),
        cmocka_unit_test(test_alarm_before_traffic),
        cmocka_unit_test(test_supersede_and_defer),
        cmocka_unit_test(test_shift_weights),
        cmocka_unit_test(test_approval_required),
        cmocka_unit_test(test_database_stage_happy_path),
        cmocka_unit_test(test_no_database_no_stage),
        cmocka_unit_test(test_migration_failed),
        cmocka_unit_test(test_rollback_never_contracts),
        cmocka_unit_test(test_contract_failed_and_retry),
        cmocka_unit_test(test_cache_stage_happy_path),
        cmocka_unit_test(test_cache_stage_before_approval),
        cmocka_unit_test(test_cache_flush_failed),
        cmocka_unit_test(test_cache_stage_superseded),
        cmocka_unit_test(test_no_caches_no_stage),
        cmocka_unit_test(test_random_walks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
