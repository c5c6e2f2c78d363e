/*
 * analysis - the analysis gates between canary steps (see analysis.h).
 */
#include "saga/analysis.h"

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "saga/analysis_metric.h"
#include "saga/deployment.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One running analysis, as this check sees it. */
struct analysis_run {
    const char *id;
    const char *deployment_id;
    const char *environment;
    int64_t epoch;
    int step;
    int pause_seconds;
    double elapsed_s; /* since it started, on the database's clock */
    cJSON *spec;      /* the step's "analysis" */
    cJSON *env;       /* the environment's document */
    struct analysis_vars vars;
};

/* A verdict reached, and why. */
struct analysis_end {
    enum analysis_verdict verdict;
    char reason[320];
};

static const char analysis_runs_sql[] =
    "SELECT a.id, a.deployment_id, a.environment, a.epoch, a.step, a.pause_seconds,"
    "  extract(epoch FROM now() - a.started_at),"
    "  coalesce((coalesce(d.strategy, e.config->'strategy')->'steps'->a.step->'analysis')::text,"
    "           'null'), e.config::text, d.new_color, coalesce(d.old_color, ''), d.version"
    " FROM analyses a JOIN deployments d ON d.id = a.deployment_id"
    " JOIN environments e ON e.name = a.environment"
    " WHERE a.status = 'running' AND a.environment ~ $1 AND d.state = 'shifting'"
    "  AND d.epoch = a.epoch AND d.step = a.step"
    " ORDER BY a.id LIMIT $2::int";

static struct metric_family *analysis_measured, *analysis_verdicts, *analysis_values;

/* analysis_metrics_start - register the families once */
static void analysis_metrics_start(void)
{
    static const char *const outcome[] = {"outcome"}, *const verdict[] = {"verdict"},
                             *const env_metric[] = {"environment", "metric"};

    if (analysis_measured != NULL)
        return;
    analysis_measured = metrics_counter("cutover_analysis_measurements_total",
                                        "Analysis measurements taken, by outcome.", outcome, 1);
    analysis_verdicts = metrics_counter("cutover_analysis_verdicts_total",
                                        "Analyses ended, by verdict.", verdict, 1);
    analysis_values = metrics_gauge("cutover_analysis_value",
                                    "The last value an analysis metric measured.", env_metric, 2);
    metrics_bound(analysis_measured, ANALYSIS_OUTCOME_COUNT + 1);
    metrics_bound(analysis_verdicts, 4);
    metrics_bound(analysis_values, 256);
}

/* analysis_run_of - row i of the runs query; -1 when its documents do not parse */
static int analysis_run_of(PGresult *res, int i, struct analysis_run *r)
{
    memset(r, 0, sizeof(*r));
    r->id = PQgetvalue(res, i, 0);
    r->deployment_id = PQgetvalue(res, i, 1);
    r->environment = PQgetvalue(res, i, 2);
    r->epoch = strtoll(PQgetvalue(res, i, 3), NULL, 10);
    r->step = atoi(PQgetvalue(res, i, 4));
    r->pause_seconds = atoi(PQgetvalue(res, i, 5));
    r->elapsed_s = strtod(PQgetvalue(res, i, 6), NULL);
    r->spec = cJSON_Parse(PQgetvalue(res, i, 7));
    r->env = cJSON_Parse(PQgetvalue(res, i, 8));
    r->vars = (struct analysis_vars){PQgetvalue(res, i, 9), PQgetvalue(res, i, 10),
                                     PQgetvalue(res, i, 11), r->environment};
    return r->spec && r->env ? 0 : -1;
}

/* analysis_run_free - the parsed documents */
static void analysis_run_free(struct analysis_run *r)
{
    cJSON_Delete(r->spec);
    cJSON_Delete(r->env);
}

/* analysis_outcomes - the outcomes of a metric so far, in order, and the
 * last one's detail; their number or -1 */
static int analysis_outcomes(struct saga_ctx *ctx, const struct analysis_run *r, const char *metric,
                             enum analysis_outcome *out, int max, char *last, size_t last_len)
{
    const char *params[] = {r->id, metric};
    PGresult *res = db_query(ctx->db,
                             "SELECT outcome, coalesce(detail, '') FROM analysis_measurements"
                             " WHERE analysis_id = $1::bigint AND metric = $2 ORDER BY seq",
                             2, params);
    int n = res ? PQntuples(res) : -1;

    for (int i = 0; i < n && i < max; i++)
        if (analysis_outcome_parse(PQgetvalue(res, i, 0), &out[i]) != 0)
            out[i] = ANALYSIS_ERROR;
    if (n > 0)
        snprintf(last, last_len, "%s", PQgetvalue(res, n - 1, 1));
    if (res)
        PQclear(res);
    return n > max ? max : n;
}

/* analysis_note - the history line of a measurement */
static void analysis_note(const struct analysis_run *r, const char *metric, int seq,
                          const struct analysis_measurement *m, char *out, size_t len)
{
    snprintf(out, len, "analysis of step %d: %s #%d %s: %s (query: %.600s)", r->step, metric, seq,
             analysis_outcome_name(m->outcome), m->detail, m->query);
}

/* analysis_insert - the measurement's row; 1 inserted, 0 another copy had it, -1 error */
static int analysis_insert(struct saga_ctx *ctx, const struct analysis_run *r, const char *metric,
                           int seq, const struct analysis_measurement *m)
{
    char seq_text[16], value[40], baseline[40];
    const char *params[] = {r->id, metric, seq_text, m->query,
                            m->has_value ? value : NULL, m->has_baseline ? baseline : NULL,
                            analysis_outcome_name(m->outcome), m->detail};
    PGresult *res;
    int inserted;

    snprintf(seq_text, sizeof(seq_text), "%d", seq);
    snprintf(value, sizeof(value), "%.17g", m->value);
    snprintf(baseline, sizeof(baseline), "%.17g", m->baseline);
    res = db_query(ctx->db,
                   "INSERT INTO analysis_measurements (analysis_id, metric, seq, query, value,"
                   " baseline, outcome, detail) VALUES ($1::bigint, $2, $3::int, $4,"
                   " $5::double precision, $6::double precision, $7, $8)"
                   " ON CONFLICT DO NOTHING RETURNING seq",
                   8, params);
    inserted = res ? PQntuples(res) == 1 : -1;
    if (res)
        PQclear(res);
    return inserted;
}

/* analysis_record - the measurement and its history line, in one transaction */
static void analysis_record(struct saga_ctx *ctx, const struct analysis_run *r, const char *metric,
                            int seq, const struct analysis_measurement *m)
{
    char reason[1024];
    struct deployment_note note = {"analysis:measurement", NULL, ctx->worker, reason};
    struct deployment d;
    int inserted, rc = -1;

    analysis_note(r, metric, seq, m, reason, sizeof(reason));
    if (db_begin(ctx->db) != 0)
        return;
    if ((inserted = analysis_insert(ctx, r, metric, seq, m)) == 1 &&
        deployment_load(ctx->db, r->deployment_id, &d) == 0) {
        rc = deployment_record(ctx, &d, &note);
        deployment_release(&d);
    }
    if ((inserted == 0 || rc == 0) && db_commit(ctx->db) == 0) {
        if (inserted == 1) {
            log_info("%s", reason);
            metrics_add(analysis_measured, 1, (const char *const[]){analysis_outcome_name(m->outcome)});
        }
        return;
    }
    db_rollback(ctx->db);
}

/* analysis_metric_step - measure one metric when due; its verdict so far */
static enum analysis_verdict analysis_metric_step(struct saga_ctx *ctx, const struct analysis_run *r,
                                                  const struct analysis_metric *m,
                                                  struct analysis_end *end)
{
    enum analysis_outcome outcomes[ANALYSIS_MEASUREMENTS_MAX];
    char last[256] = "";
    int planned = analysis_planned(m, r->pause_seconds);
    int n = analysis_outcomes(ctx, r, m->name, outcomes, ANALYSIS_MEASUREMENTS_MAX, last,
                              sizeof(last));
    enum analysis_verdict v;
    struct analysis_measurement measured;

    if (n < 0)
        return ANALYSIS_RUNNING;
    v = analysis_metric_verdict(m, outcomes, n, planned);
    if (v != ANALYSIS_RUNNING)
        snprintf(end->reason, sizeof(end->reason), "%s %s after %d measurement(s): %s", m->name,
                 analysis_verdict_name(v), n, last);
    else if (r->elapsed_s >= (double)(n + 1) * m->interval_seconds) {
        analysis_measure(m, &r->vars, &measured);
        analysis_record(ctx, r, m->name, n + 1, &measured);
        if (measured.has_value)
            metrics_set(analysis_values, measured.value,
                        (const char *const[]){r->environment, m->name});
    }
    return v;
}

/* analysis_progress - every metric once; the analysis's verdict so far */
static enum analysis_verdict analysis_progress(struct saga_ctx *ctx, const struct analysis_run *r,
                                               struct analysis_end *end)
{
    const cJSON *item;
    struct analysis_metric m;
    char err[256];
    int passed = 1, inconclusive = 0;

    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->spec, "metrics")) == 0) {
        snprintf(end->reason, sizeof(end->reason), "the step's analysis names no metric");
        return ANALYSIS_INCONCLUSIVE;
    }
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(r->spec, "metrics")) {
        if (analysis_metric_parse(item, r->env, &m, err, sizeof(err)) != 0) {
            snprintf(end->reason, sizeof(end->reason), "bad analysis: %s", err);
            return ANALYSIS_INCONCLUSIVE;
        }
        struct analysis_end one = {ANALYSIS_RUNNING, ""};
        enum analysis_verdict v = analysis_metric_step(ctx, r, &m, &one);

        if (v == ANALYSIS_FAILED) {
            *end = one;
            return ANALYSIS_FAILED;
        }
        if (v == ANALYSIS_INCONCLUSIVE && !inconclusive)
            *end = one;
        inconclusive |= v == ANALYSIS_INCONCLUSIVE;
        passed &= v == ANALYSIS_PASSED;
    }
    if (inconclusive)
        return ANALYSIS_INCONCLUSIVE;
    if (passed && r->elapsed_s >= r->pause_seconds) {
        snprintf(end->reason, sizeof(end->reason), "every metric passed");
        return ANALYSIS_PASSED;
    }
    return ANALYSIS_RUNNING;
}

/* analysis_close - the analysis row's verdict; 1 closed here, 0 not running any more, -1 error */
static int analysis_close(struct saga_ctx *ctx, const struct analysis_run *r,
                          const struct analysis_end *end)
{
    const char *params[] = {r->id, analysis_verdict_name(end->verdict), end->reason};
    PGresult *res = db_query(ctx->db,
                             "UPDATE analyses SET status = $2, reason = $3, finished_at = now()"
                             " WHERE id = $1::bigint AND status = 'running' RETURNING id",
                             3, params);
    int closed = res ? PQntuples(res) == 1 : -1;

    if (res)
        PQclear(res);
    return closed;
}

/* analysis_input - the saga input of a verdict */
static enum saga_input_kind analysis_input(enum analysis_verdict v)
{
    return v == ANALYSIS_PASSED   ? SAGA_IN_ANALYSIS_PASSED
           : v == ANALYSIS_FAILED ? SAGA_IN_ANALYSIS_FAILED
                                  : SAGA_IN_ANALYSIS_INCONCLUSIVE;
}

/* analysis_decide - close the analysis and feed its verdict to the saga, in one transaction */
static void analysis_decide(struct saga_ctx *ctx, const struct analysis_run *r,
                            const struct analysis_end *end)
{
    char event_type[48], reason[400], why[256];
    struct deployment_note note = {event_type, NULL, ctx->worker, reason};
    struct saga_input in = {.kind = analysis_input(end->verdict), .epoch = r->epoch, .step = r->step};
    struct deployment d;
    int rc = -1;

    snprintf(event_type, sizeof(event_type), "analysis:%s", analysis_verdict_name(end->verdict));
    snprintf(reason, sizeof(reason), "analysis of step %d %s: %s", r->step,
             analysis_verdict_name(end->verdict), end->reason);
    if (db_begin(ctx->db) != 0)
        return;
    if (deployment_lock(ctx->db, r->deployment_id, &d) == 0) {
        rc = analysis_close(ctx, r, end);
        if (rc == 1)
            rc = deployment_apply(ctx, &d, &in, &note, why, sizeof(why)) < 0 ? -1 : 1;
        deployment_release(&d);
    }
    if (rc < 0 || db_commit(ctx->db) != 0) {
        db_rollback(ctx->db);
        return;
    }
    if (rc == 1) {
        log_info("%s", reason);
        metrics_add(analysis_verdicts, 1, (const char *const[]){analysis_verdict_name(end->verdict)});
    }
    saga_publish(ctx);
}

/* analysis_check - measure what is due in each running analysis, decide what is over */
void analysis_check(struct saga_ctx *ctx)
{
    char limit[16];
    const char *params[] = {config_get("CUTOVER_ENVIRONMENTS"), limit};
    PGresult *res;

    analysis_metrics_start();
    snprintf(limit, sizeof(limit), "%d", ANALYSIS_RUNS_PER_CHECK);
    if ((res = db_query(ctx->db, analysis_runs_sql, 2, params)) == NULL)
        return;
    for (int i = 0; i < PQntuples(res); i++) {
        struct analysis_run r;
        struct analysis_end end = {ANALYSIS_RUNNING, ""};

        if (analysis_run_of(res, i, &r) == 0) {
            log_context_set(r.environment, r.deployment_id, NULL);
            if ((end.verdict = analysis_progress(ctx, &r, &end)) != ANALYSIS_RUNNING)
                analysis_decide(ctx, &r, &end);
            log_context_clear();
        }
        analysis_run_free(&r);
    }
    PQclear(res);
}
