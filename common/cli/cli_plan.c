/*
 * cli_plan - `cutover plan ENV`: the path a deployment would take and every
 *            provider call it would make, changing nothing.
 *
 * SYNOPSIS
 *	cutover plan shop [--build B] [--version V] [--artifact URI]
 *	                  [--sha256 H] [--bluegreen | --canary 10:30,100] [--json]
 *
 * DESCRIPTION
 *	Reads the environment's row (document, live color), asks its real
 *	provider only the read-only questions (weights, health of both
 *	colors), then walks the pure saga machine (saga_apply) from "start",
 *	feeding it the inputs a successful deployment would get: each effect
 *	is handed to the plan provider, which records the call it stands for,
 *	and answered with the input the worker performing it would publish
 *	(scaled, deployed, shifted, step-due, bake-done, ...). When nothing is
 *	pending, an operator's approve, resume or promote is tried in turn.
 *	No event is published, no row written, no mutating provider call made.
 *	States added to the machine show up without a change here.
 *
 *	On an environment whose document has an "aws" object, each call also
 *	names the AWS calls it stands for (the group, the CodeDeploy
 *	application and deployment group, the listener and each target
 *	group's weight, the preview rule, the CloudFront invalidation's
 *	paths): the plan provider reads them from the document. Before the
 *	new color's first share, the cache flush the shifter starts is listed
 *	when the environment's provider has one. With a database stage, the
 *	migrations the migrator would run are listed by name, expand before
 *	traffic and contract after retirement, read from the artifact when it
 *	is local (cli_plan_migrations.c), otherwise said to be unknown.
 *
 *	A build named by --build, --version or --artifact is checked as
 *	cutover publish build-ready would check it (schemas/build-ready.json).
 *
 *	Exit status: 0 a plan, 1 unknown environment, a build refused by the
 *	schema or a refused strategy, 2 bad usage.
 */
#include "cli/cli.h"
#include "cli/cli_plan.h"
#include "provider/plan/provider_plan.h"
#include "provider/provider.h"
#include "saga/deployment.h"
#include "saga/saga.h"
#include "saga/traffic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_USAGE "plan ENV [--build B] [--version V] [--artifact URI] [--sha256 H]" \
                   " [--bluegreen|--canary 10:30,50:30,100] [--json]"
#define PLAN_MAX_TRANSITIONS 400
#define PLAN_QUEUE_MAX 64

/* What cutover plan was asked. */
struct plan_args {
    char env[64];
    const char *build, *version, *artifact, *sha256;
    const char *kind;   /* "bluegreen", "canary" or NULL: the environment's */
    const char *canary; /* --canary's steps, "10:30,50:30,100" */
    int json;
};

/* The walk: the machine's state, inputs waiting, the plan provider. */
struct plan_walk {
    struct saga_state st;
    struct saga_input queue[PLAN_QUEUE_MAX];
    size_t queued;
    void *recorder;
    struct provider_release rel;
    int capacity;
    int has_cache; /* the environment's provider flushes a cache before the first share */
    int flushed;
    struct plan_migrations migrations; /* read when the database stage runs */
    const cJSON *caches; /* the document's cache actions (the cache stage) */
    cJSON *steps; /* the transitions, for --json and the text output */
};

/* plan_option - the value of option name at argv[*i]; NULL when it is not */
static const char *plan_option(int argc, char **argv, int *i, const char *name)
{
    if (strcmp(argv[*i], name) != 0 || *i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* plan_parse_args - fill a; 0, -1 for --help, 2 after printing the usage */
static int plan_parse_args(int argc, char **argv, struct plan_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return -1;
        if (strcmp(argv[i], "--json") == 0)
            a->json = 1;
        else if (strcmp(argv[i], "--bluegreen") == 0)
            a->kind = "bluegreen";
        else if ((v = plan_option(argc, argv, &i, "--canary")) != NULL)
            a->kind = "canary", a->canary = v;
        else if ((v = plan_option(argc, argv, &i, "--build")) != NULL)
            a->build = v;
        else if ((v = plan_option(argc, argv, &i, "--version")) != NULL)
            a->version = v;
        else if ((v = plan_option(argc, argv, &i, "--artifact")) != NULL)
            a->artifact = v;
        else if ((v = plan_option(argc, argv, &i, "--sha256")) != NULL)
            a->sha256 = v;
        else if (argv[i][0] != '-' && a->env[0] == '\0' && strlen(argv[i]) < sizeof(a->env))
            snprintf(a->env, sizeof(a->env), "%s", argv[i]);
        else
            return cli_usage_fail(PLAN_USAGE, "unexpected argument \"%s\"", argv[i]);
    }
    return a->env[0] ? 0 : cli_usage_fail(PLAN_USAGE, "which environment?");
}

/* plan_env_load - the environment's provider name, document and live color; 0 or -1 */
static int plan_env_load(const char *env, char *provider, size_t provider_len, cJSON **config,
                         enum color *live)
{
    struct db *db = cli_db_open();
    const char *params[] = {env};
    PGresult *res = db ? db_query(db, "SELECT provider, config::text, live_color"
                                      " FROM environments WHERE name = $1", 1, params)
                       : NULL;
    int rc = -1;

    if (res == NULL || PQntuples(res) != 1)
        fprintf(stderr, "cutover: no environment \"%s\" (cutover env apply FILE)\n", env);
    else if ((*config = cJSON_Parse(PQgetvalue(res, 0, 1))) == NULL ||
             color_parse(PQgetvalue(res, 0, 2), live) != 0)
        fprintf(stderr, "cutover: %s: unreadable environment row\n", env);
    else {
        snprintf(provider, provider_len, "%s", PQgetvalue(res, 0, 0));
        rc = 0;
    }
    if (res)
        PQclear(res);
    db_close(db);
    return rc;
}

/* plan_read_current - the real provider's weights and both colors' health,
 * read-only calls only, as a JSON object the caller frees; NULL on failure */
static cJSON *plan_read_current(const char *env, const char *provider, const cJSON *config)
{
    const struct provider_ops *ops = provider_find(provider);
    struct provider_weights w;
    struct provider_health h;
    void *state = NULL;
    char err[512];
    cJSON *cur;

    if (ops == NULL || ops->open(env, config, &state, err, sizeof(err)) != 0) {
        fprintf(stderr, "cutover: %s: provider %s: %s\n", env, provider,
                ops ? err : "unknown");
        return NULL;
    }
    cur = cJSON_CreateObject();
    if (ops->get_weights(state, &w, err, sizeof(err)) == 0) {
        cJSON_AddNumberToObject(cur, "blue", w.blue);
        cJSON_AddNumberToObject(cur, "green", w.green);
    } else
        cJSON_AddStringToObject(cur, "weights_error", err);
    for (enum color c = COLOR_BLUE; c <= COLOR_GREEN; c++) {
        char key[32];
        snprintf(key, sizeof(key), "%s_healthy", color_name(c));
        if (ops->health(state, c, &h, err, sizeof(err)) == 0)
            cJSON_AddNumberToObject(cur, key, h.healthy);
    }
    ops->close(state);
    return cur;
}

/* plan_push - queue the input a worker would publish after an effect */
static void plan_push(struct plan_walk *w, enum saga_input_kind kind, int weight, int step)
{
    if (w->queued == PLAN_QUEUE_MAX)
        return;
    struct saga_input in = {.kind = kind, .epoch = w->st.epoch, .weight = weight,
                            .armed_in = w->st.state, .step = step};
    w->queue[w->queued++] = in;
}

/* plan_flush_cache - the cache flush the shifter makes before the new
 * color's first share (workers/shifter.c), once */
static void plan_flush_cache(struct plan_walk *w)
{
    char reference[128], handle[128], err[128];
    int done;

    if (!w->has_cache || w->flushed)
        return;
    w->flushed = 1;
    snprintf(reference, sizeof(reference), "cutover-%s", w->rel.deployment_id);
    provider_plan_ops.cache_flush_start(w->recorder, reference, handle, sizeof(handle), err,
                                        sizeof(err));
    if (handle[0] != '\0')
        provider_plan_ops.cache_flush_poll(w->recorder, handle, &done, err, sizeof(err));
}

/* plan_member - obj's string member key, or fallback */
static const char *plan_member(const cJSON *obj, const char *key, const char *fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : fallback;
}

/* plan_cache_note - a cache action cutover runs itself (no provider call) */
static void plan_cache_note(struct plan_walk *w, const cJSON *cache, const char *name)
{
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(cache, "port");
    const cJSON *db = cJSON_GetObjectItemCaseSensitive(cache, "db");
    char line[1024];

    if (strcmp(plan_member(cache, "kind", ""), "redis-prefix") == 0)
        snprintf(line, sizeof(line),
                 "flush cache %s: redis-prefix %s on %s:%d db %d (SCAN + UNLINK)", name,
                 plan_member(cache, "prefix", "?"), plan_member(cache, "host", "?"),
                 cJSON_IsNumber(port) ? port->valueint : 0,
                 cJSON_IsNumber(db) ? db->valueint : 0);
    else
        snprintf(line, sizeof(line), "flush cache %s: command on the host: %s", name,
                 plan_member(cache, "command", "?"));
    provider_plan_note(w->recorder, line);
}

/* plan_cache_action - one of the cache stage's actions (saga/cache_flush.c):
 * a CloudFront invalidation or a command on the new color's instances go
 * through the provider, the others are cutover's own */
static void plan_cache_action(struct plan_walk *w, const cJSON *cache)
{
    const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(cache, "timeout_seconds");
    const char *name = plan_member(cache, "name", "?"), *kind = plan_member(cache, "kind", "");
    char reference[128], handle[256], err[128];
    struct provider_command_report report;
    int done;

    snprintf(reference, sizeof(reference), "cutover-%s-%s", w->rel.deployment_id, name);
    if (strcmp(kind, "cloudfront") == 0) {
        provider_plan_ops.cache_flush_start(w->recorder, reference, handle, sizeof(handle), err,
                                            sizeof(err));
        if (handle[0] != '\0')
            provider_plan_ops.cache_flush_poll(w->recorder, handle, &done, err, sizeof(err));
    } else if (strcmp(kind, "command") == 0 &&
               strcmp(plan_member(cache, "on", "host"), "instances") == 0) {
        provider_plan_ops.command_start(w->recorder, (enum color)w->st.new_color,
                                        plan_member(cache, "command", ""),
                                        cJSON_IsNumber(timeout) ? timeout->valueint : 300,
                                        reference, handle, sizeof(handle), err, sizeof(err));
        provider_plan_ops.command_poll(w->recorder, handle, &report, &done, err, sizeof(err));
    } else
        plan_cache_note(w, cache, name);
}

/* plan_set_weights - the plan provider told the new color's share */
static void plan_set_weights(struct plan_walk *w, int share)
{
    struct provider_weights want;
    char err[128];
    if (share > 0)
        plan_flush_cache(w);
    traffic_weights_for((enum color)w->st.new_color, share, &want);
    provider_plan_ops.set_weights(w->recorder, &want, err, sizeof(err));
}

/* plan_perform - the provider calls of effect fx, and the answer queued */
static void plan_perform(struct plan_walk *w, const struct saga_effect *fx)
{
    enum color new_color = (enum color)w->st.new_color;
    char err[128], handle[128], detail[128];
    enum provider_deploy_status status;
    struct provider_health health;
    void *r = w->recorder;
    const cJSON *cache;

    switch (fx->kind) {
    case SAGA_FX_SCALE_NEW:
        provider_plan_ops.scale(r, new_color, w->capacity, err, sizeof(err));
        provider_plan_ops.health(r, new_color, &health, err, sizeof(err));
        plan_push(w, SAGA_IN_SCALED, 0, 0);
        break;
    case SAGA_FX_DEPLOY_NEW:
        provider_plan_ops.deploy_start(r, new_color, &w->rel, handle, sizeof(handle), err,
                                       sizeof(err));
        provider_plan_ops.deploy_poll(r, handle, &status, detail, sizeof(detail));
        plan_push(w, SAGA_IN_DEPLOYED, 0, 0);
        break;
    case SAGA_FX_OPEN_PREVIEW:
        provider_plan_ops.preview_open(r, new_color, w->rel.deployment_id, handle,
                                       sizeof(handle), err, sizeof(err));
        break;
    case SAGA_FX_CLOSE_PREVIEW:
        provider_plan_ops.preview_close(r, w->rel.deployment_id, err, sizeof(err));
        break;
    case SAGA_FX_VALIDATE:
        plan_push(w, SAGA_IN_VALIDATION_PASSED, 0, 0);
        break;
    case SAGA_FX_SET_WEIGHTS:
        plan_set_weights(w, fx->arg);
        plan_push(w, SAGA_IN_SHIFTED, fx->arg, 0);
        break;
    case SAGA_FX_RESTORE_WEIGHTS:
        plan_set_weights(w, 0);
        break;
    case SAGA_FX_START_STEP_TIMER:
        plan_push(w, SAGA_IN_STEP_DUE, 0, w->st.step);
        break;
    case SAGA_FX_START_ANALYSIS:
        plan_push(w, SAGA_IN_ANALYSIS_PASSED, 0, w->st.step);
        break;
    case SAGA_FX_START_BAKE_TIMER:
        plan_push(w, SAGA_IN_BAKE_DONE, 0, 0);
        break;
    case SAGA_FX_RETIRE_OLD:
        provider_plan_ops.scale(r, color_other(new_color), 0, err, sizeof(err));
        plan_push(w, SAGA_IN_RETIRED, 0, 0);
        break;
    case SAGA_FX_SCALE_NEW_TO_ZERO:
        provider_plan_ops.scale(r, new_color, 0, err, sizeof(err));
        break;
    case SAGA_FX_STOP_PROVIDER_DEPLOYMENT:
        provider_plan_ops.deploy_stop(r, "", err, sizeof(err));
        break;
    case SAGA_FX_MIGRATE_EXPAND:
        plan_migrations_note(&w->migrations, SQL_PHASE_EXPAND, r);
        plan_push(w, SAGA_IN_MIGRATED, 0, 0);
        break;
    case SAGA_FX_MIGRATE_CONTRACT:
        plan_migrations_note(&w->migrations, SQL_PHASE_CONTRACT, r);
        plan_push(w, SAGA_IN_CONTRACTED, 0, 0);
        break;
    case SAGA_FX_FLUSH_CACHES:
        cJSON_ArrayForEach(cache, w->caches)
            plan_cache_action(w, cache);
        plan_push(w, SAGA_IN_CACHES_FLUSHED, 0, 0);
        break;
    default:
        break; /* bookkeeping effects: no provider call, no answer */
    }
}

/* plan_record_step - one transition with its effects and the calls they made */
static void plan_record_step(struct plan_walk *w, const struct saga_input *in,
                             const struct saga_outcome *out, size_t first_call)
{
    cJSON *step = cJSON_CreateObject();
    cJSON *effects = cJSON_AddArrayToObject(step, "effects");
    cJSON *calls = cJSON_AddArrayToObject(step, "calls");

    cJSON_AddStringToObject(step, "input", saga_input_name(in->kind));
    cJSON_AddStringToObject(step, "state", saga_state_name(out->next.state));
    for (size_t i = 0; i < out->effect_count; i++)
        cJSON_AddItemToArray(effects,
                             cJSON_CreateString(saga_effect_name(out->effects[i].kind)));
    cJSON *aws = cJSON_CreateArray();
    int named = 0;
    for (size_t i = first_call; i < provider_plan_count(w->recorder); i++) {
        const char *aws_call = provider_plan_aws_call(w->recorder, i);
        cJSON_AddItemToArray(calls, cJSON_CreateString(provider_plan_call(w->recorder, i)));
        cJSON_AddItemToArray(aws, aws_call ? cJSON_CreateString(aws_call) : cJSON_CreateNull());
        named += aws_call != NULL;
    }
    if (named) /* "aws": each call's AWS calls (null: none), on an aws environment */
        cJSON_AddItemToObject(step, "aws", aws);
    else
        cJSON_Delete(aws);
    cJSON_AddItemToArray(w->steps, step);
}

/* plan_apply - feed in to the machine; 1 when it moved, 0 when not */
static int plan_apply(struct plan_walk *w, const struct saga_input *in)
{
    struct saga_outcome out;
    size_t first_call = provider_plan_count(w->recorder);

    if (saga_apply(&w->st, in, &out) != 0 || out.verdict != SAGA_TRANSITION)
        return 0;
    w->st = out.next;
    for (size_t i = 0; i < out.effect_count; i++)
        plan_perform(w, &out.effects[i]);
    plan_record_step(w, in, &out, first_call);
    return 1;
}

/* plan_operator - what an operator would do when nothing is pending; 1 moved */
static int plan_operator(struct plan_walk *w)
{
    static const enum saga_input_kind operator_inputs[] = {SAGA_IN_APPROVED, SAGA_IN_RESUME,
                                                           SAGA_IN_PROMOTE};
    for (size_t i = 0; i < sizeof(operator_inputs) / sizeof(operator_inputs[0]); i++) {
        struct saga_input in = {.kind = operator_inputs[i], .epoch = w->st.epoch,
                                .armed_in = w->st.state};
        if (plan_apply(w, &in))
            return 1;
    }
    return 0;
}

/* plan_walk_run - from start until a terminal state (or nothing moves) */
static void plan_walk_run(struct plan_walk *w)
{
    plan_push(w, SAGA_IN_START, 0, 0);
    for (int n = 0; n < PLAN_MAX_TRANSITIONS && !saga_is_terminal(w->st.state); n++) {
        if (w->queued > 0) {
            struct saga_input in = w->queue[0];
            memmove(w->queue, w->queue + 1, --w->queued * sizeof(w->queue[0]));
            plan_apply(w, &in);
        } else if (!plan_operator(w)) {
            break;
        }
    }
}

/* plan_strategy - the build's strategy (--bluegreen, --canary STEPS) as
 * cutover publish build-ready would send it, else the environment's; 0 or
 * -1 when the steps are malformed */
static int plan_strategy(const cJSON *config, const struct plan_args *a,
                         struct saga_strategy *out)
{
    cJSON *doc, *steps = NULL;

    if (a->canary && (steps = cli_canary_steps(a->canary)) == NULL)
        return -1;
    if (a->kind == NULL)
        doc = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(config, "strategy"), 1);
    else {
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "kind", a->kind);
        if (steps)
            cJSON_AddItemToObject(doc, "steps", steps);
    }
    deployment_strategy_parse(doc, out);
    cJSON_Delete(doc);
    return 0;
}

/* plan_print_text - the path and the calls, one per line */
static void plan_print_text(const char *env, enum color live, const cJSON *current,
                            const cJSON *steps)
{
    const cJSON *step, *item;
    printf("plan for %s: live %s, current weights blue=%d green=%d\n", env, color_name(live),
           cJSON_GetObjectItem(current, "blue") ? cJSON_GetObjectItem(current, "blue")->valueint : -1,
           cJSON_GetObjectItem(current, "green") ? cJSON_GetObjectItem(current, "green")->valueint : -1);
    cJSON_ArrayForEach(step, steps)
    {
        printf("%s -> %s\n", cJSON_GetObjectItem(step, "input")->valuestring,
               cJSON_GetObjectItem(step, "state")->valuestring);
        const cJSON *aws = cJSON_GetObjectItem(step, "aws");
        int i = 0;
        cJSON_ArrayForEach(item, cJSON_GetObjectItem(step, "calls")) {
            const cJSON *aws_call = cJSON_GetArrayItem(aws, i++);
            printf("  call: %s\n", item->valuestring);
            if (cJSON_IsString(aws_call))
                printf("    aws: %s\n", aws_call->valuestring);
        }
    }
}

/* plan_output - print the plan as text or JSON */
static void plan_output(const struct plan_args *a, enum color live, cJSON *current,
                        cJSON *steps)
{
    if (!a->json) {
        plan_print_text(a->env, live, current, steps);
        return;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "environment", a->env);
    cJSON_AddStringToObject(doc, "live_color", color_name(live));
    cJSON_AddItemReferenceToObject(doc, "current", current);
    cJSON_AddItemReferenceToObject(doc, "path", steps);
    char *text = cJSON_Print(doc);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(doc);
}

/* plan_build_refused - when a build is named (--build, --version or
 * --artifact), its build-ready data refused by the schema; 1 refused, 0 not */
static int plan_build_refused(const struct plan_args *a)
{
    if (a->build == NULL && a->version == NULL && a->artifact == NULL)
        return 0;
    cJSON *data = cJSON_CreateObject();
    cJSON *artifact = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "environment", a->env);
    if (a->build)
        cJSON_AddStringToObject(data, "build_id", a->build);
    if (a->version)
        cJSON_AddStringToObject(data, "version", a->version);
    if (a->artifact)
        cJSON_AddStringToObject(artifact, "uri", a->artifact);
    if (a->sha256)
        cJSON_AddStringToObject(artifact, "sha256", a->sha256);
    cJSON_AddItemToObject(data, "artifact", artifact);
    int refused = cli_validate("build-ready", data) != 0;
    cJSON_Delete(data);
    return refused;
}

/* plan_walk_env - set the walk up for the environment's document (its
 * provider, for whether it flushes a cache) and walk it */
static int plan_walk_env(const struct plan_args *a, const char *provider, const cJSON *config,
                         enum color live, struct plan_walk *w)
{
    const struct provider_ops *ops = provider_find(provider);
    const cJSON *capacity = cJSON_GetObjectItemCaseSensitive(config, "capacity");
    const cJSON *approval = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(config, "approval"), "required");
    struct saga_strategy strategy;
    char err[256];

    if (plan_strategy(config, a, &strategy) != 0) {
        fprintf(stderr, "cutover: %s: --canary wants WEIGHT[:PAUSE],... not \"%s\"\n", a->env,
                a->canary);
        return -1;
    }
    if (saga_strategy_check(&strategy, err, sizeof(err)) != 0) {
        fprintf(stderr, "cutover: %s: strategy refused: %s\n", a->env, err);
        return -1;
    }
    saga_state_init(&w->st, &strategy, color_other(live), cJSON_IsTrue(approval));
    /* as deployment_receive.c: an environment with a database runs migrations */
    w->st.database_stage = cJSON_HasObjectItem(config, "database");
    w->caches = cJSON_GetObjectItemCaseSensitive(config, "caches");
    w->st.cache_stage = cJSON_GetArraySize(w->caches) > 0;
    if (w->st.database_stage)
        plan_migrations_read(a->artifact, a->sha256, &w->migrations);
    w->has_cache = ops != NULL && ops->cache_flush_start != NULL;
    w->capacity = cJSON_IsNumber(capacity) ? capacity->valueint : DEPLOYMENT_DEFAULT_CAPACITY;
    w->rel = (struct provider_release){"plan", a->version ? a->version : "?",
                                       a->artifact ? a->artifact : "?", a->sha256};
    if (provider_plan_ops.open(a->env, config, &w->recorder, err, sizeof(err)) != 0)
        return -1;
    w->steps = cJSON_CreateArray();
    plan_walk_run(w);
    return 0;
}

/* cli_plan_cmd - cutover plan ENV [build options] [--json] */
int cli_plan_cmd(int argc, char **argv)
{
    struct plan_args a = {0};
    struct plan_walk w = {0};
    char provider[32];
    cJSON *config = NULL, *current = NULL;
    enum color live;
    int rc;

    if ((rc = plan_parse_args(argc, argv, &a)) != 0)
        return cli_help_or(rc, PLAN_USAGE);
    rc = 1;
    if (plan_build_refused(&a) ||
        plan_env_load(a.env, provider, sizeof(provider), &config, &live) != 0 ||
        (current = plan_read_current(a.env, provider, config)) == NULL ||
        plan_walk_env(&a, provider, config, live, &w) != 0)
        goto out;
    plan_output(&a, live, current, w.steps);
    rc = 0;
out:
    if (w.recorder)
        provider_plan_ops.close(w.recorder);
    plan_migrations_free(&w.migrations);
    cJSON_Delete(w.steps);
    cJSON_Delete(current);
    cJSON_Delete(config);
    return rc;
}
