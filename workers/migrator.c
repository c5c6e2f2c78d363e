/*
 * migrator - cutover-migrator: performs the saga's database stage, the
 *            release's schema migrations against the application's
 *            database and the proof that the old color still works on
 *            the expanded schema.
 *
 * DESCRIPTION
 *	A deployment of an environment whose document has a "database"
 *	section starts in migrating (saga.h). Effects (saga/effect.h),
 *	stepped on the saga's tick (saga/saga_worker.h):
 *	migrate-expand	fetch and unpack the release (saga/migration.h),
 *			then apply the expand migrations of its
 *			cutover/migrations.yml (appdb/appdb.h: lint first,
 *			each migration once, recorded in the application's
 *			database) and record each one with the deployment.
 *			A release without a manifest has nothing to apply.
 *			A refusal (the lint: nothing ran) or a failure
 *			applies migration-failed with the statement and the
 *			reason: the deployment fails before anything changed
 *			on the colors.
 *	check-old-color	the environment's checks (validate/checks.h) again,
 *			through a preview route to the old color, which still
 *			takes all the traffic: the old code must work on the
 *			expanded schema. Passing emits schema-migrated
 *			{old_color, migrations, checks}, on which the scaler
 *			goes on; failing applies migration-failed, saying that
 *			the expand migrations stay in place (they are
 *			backward compatible by construction).
 *	migrate-contract	after the old color is retired: the contract
 *			migrations; contracted, or contract-failed with the
 *			reason (the deployment ends completed-with-warning;
 *			`cutover migrations retry ENV` runs them again).
 *
 *	The migrations run in a process of their own (cutover-migrator
 *	--apply PHASE DEPLOYMENT RELEASE_DIR OUTCOME, killed with the worker
 *	by PR_SET_PDEATHSIG) that writes its outcome to a file named after
 *	the effect; the worker polls it on each tick, so its loop never
 *	blocks and its lease is renewed however long a migration takes
 *	(pt-online-schema-change on a large table). A migrator killed at any
 *	point loses its lease and the effect is claimed again: an outcome
 *	written before the kill is read and recorded, otherwise the
 *	migrations are applied again and the application's database records
 *	which already ran, so that each runs once.
 *	Crash points: migrator-<effect>-before-call and -after-call around
 *	the apply (or the preview call) and -before-finish.
 */
#include "base/buf.h"
#include "base/child.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "appdb/appdb.h"
#include "saga/migration.h"
#include "saga/saga_worker.h"
#include "validate/checks.h"
#include "validate/migration_manifest.h"
#include "worker/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIGRATOR_MAX_RUNS 8
#define MIGRATOR_OUTPUT_MAX (1 << 20) /* the executor's report kept for the log */

/* A check run against the old color, held across ticks. */
struct migrator_run {
    int64_t effect_id;
    int64_t stepped_ms;
    struct checks_run *checks; /* NULL: the slot is free */
};

static struct migrator_run migrator_runs[MIGRATOR_MAX_RUNS];

/* migrator_text - a string member of a JSON object, or NULL */
static const char *migrator_text(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* ---- each migration recorded with the deployment ----------------------------- */

/* migrator_status_recorded - a migration's status in an apply's report
 * as deployment_migrations keeps it: applied (now, or by an earlier run),
 * refused, or failed */
static const char *migrator_status_recorded(const char *status)
{
    if (strcmp(status, "refused") == 0 || strcmp(status, "failed") == 0)
        return status;
    return strstr(status, "applied") ? "applied" : "failed";
}

/* migrator_record_report - every migration of an apply's report into
 * deployment_migrations; 0 or -1 */
static int migrator_record_report(struct saga_ctx *ctx, const struct effect *e,
                                  const char *phase, const cJSON *report)
{
    const cJSON *m;
    int seq = 0;

    cJSON_ArrayForEach(m, report) {
        const char *name = migrator_text(m, "name");
        const char *status = migrator_text(m, "status");

        seq++;
        if (name == NULL || status == NULL)
            continue;
        if (migration_record(ctx, e, phase, seq, name, migrator_status_recorded(status),
                             migrator_text(m, "detail")) != 0)
            return -1;
    }
    return 0;
}

/* ---- the apply process ------------------------------------------------------ */

/* migrator_outcome_write - {"result", "error", "report"} into path, atomically */
static int migrator_outcome_write(const char *path, enum appdb_result rc, const char *err,
                                  cJSON *report)
{
    static const char *const results[] = {[APPDB_APPLIED] = "applied",
                                          [APPDB_REFUSED] = "refused",
                                          [APPDB_FAILED] = "failed"};
    cJSON *doc = cJSON_CreateObject();
    char tmp[1100], *text;
    FILE *f;
    int ok;

    cJSON_AddStringToObject(doc, "result", results[rc]);
    cJSON_AddStringToObject(doc, "error", err);
    cJSON_AddItemToObject(doc, "report", report ? report : cJSON_CreateArray());
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    ok = f && text && fputs(text, f) >= 0;
    ok = f && fclose(f) == 0 && ok && rename(tmp, path) == 0;
    free(text);
    return ok ? 0 : -1;
}

/* migrator_has_manifest - whether the unpacked release carries cutover/migrations.yml */
static bool migrator_has_manifest(const char *dir)
{
    char path[1100];

    snprintf(path, sizeof(path), "%s/cutover/migrations.yml", dir);
    return access(path, F_OK) == 0;
}

/* migrator_statement_line - the first line of the executor's report about
 * migration name that contains mark (": refused", "outcome=failed"),
 * without its newline, into out; 1 found, 0 not */
static int migrator_statement_line(const char *output, const char *name, const char *mark,
                                   char *out, size_t len)
{
    size_t name_len = strlen(name);

    for (const char *line = output; line && *line;) {
        size_t line_len = strcspn(line, "\n");

        if (strncmp(line, name, name_len) == 0 && line[name_len] == ' '
            && memmem(line, line_len, mark, strlen(mark)) != NULL) {
            snprintf(out, len, "%.*s", (int)line_len, line);
            return 1;
        }
        line += line_len + (line[line_len] == '\n');
    }
    return 0;
}

/* migrator_entry_outcome - one migration of the phase as the executor's
 * report tells it, with the statement's line (its executor: the client or
 * pt-online-schema-change) as detail: refused or failed, else applied when
 * one of its statements ran or the phase was, else NULL: not run */
static cJSON *migrator_entry_outcome(const char *name, enum appdb_result rc, const char *output)
{
    const char *status = "applied";
    char detail[512] = "";
    cJSON *m;

    if (migrator_statement_line(output, name, ": refused", detail, sizeof(detail)))
        status = "refused";
    else if (migrator_statement_line(output, name, "outcome=failed", detail, sizeof(detail)))
        status = "failed";
    else if (!migrator_statement_line(output, name, "outcome=applied", detail, sizeof(detail))
             && rc != APPDB_APPLIED)
        return NULL;
    m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "name", name);
    cJSON_AddStringToObject(m, "status", status);
    cJSON_AddStringToObject(m, "detail", detail);
    return m;
}

/* migrator_report_of - the phase's migrations (the release's manifest, in
 * order) as the apply left them: [{name, status, detail}] */
static cJSON *migrator_report_of(const char *dir, enum sql_phase phase, enum appdb_result rc,
                                 const char *output)
{
    char path[1100], why[256];
    struct migration_manifest *m;
    cJSON *report = cJSON_CreateArray();

    snprintf(path, sizeof(path), "%s/%s", dir, MIGRATION_MANIFEST_PATH);
    if ((m = migration_manifest_load(path, why, sizeof(why))) == NULL)
        return report;
    for (size_t i = 0; i < m->count; i++) {
        cJSON *entry = m->entries[i].phase == phase
                           ? migrator_entry_outcome(m->entries[i].name, rc, output)
                           : NULL;

        if (entry)
            cJSON_AddItemToArray(report, entry);
    }
    migration_manifest_free(m);
    return report;
}

/* migrator_err_statement - a refusal or failure names its statement: the
 * first refused or failed line of the report is appended to err */
static void migrator_err_statement(const cJSON *report, char *err, size_t len)
{
    const cJSON *m;
    size_t used = strlen(err);

    cJSON_ArrayForEach(m, report) {
        const char *detail = migrator_text(m, "detail");

        if (detail && *detail && used + 3 < len) {
            snprintf(err + used, len - used, ": %s", detail);
            return;
        }
    }
}

/* migrator_log_output - the executor's report, a line each, into the log */
static void migrator_log_output(const struct buf *output)
{
    const char *line = output->data;

    while (line && *line) {
        size_t len = strcspn(line, "\n");

        log_info("%.*s", (int)len, line);
        line += len + (line[len] == '\n');
    }
}

/* migrator_apply_run - the executor on the release; rc, err and output */
static enum appdb_result migrator_apply_run(struct db *db, const char *id, const char *dir,
                                            enum sql_phase phase, struct buf *output, char *err,
                                            size_t err_len)
{
    struct appdb_config *cfg = NULL;
    enum appdb_result rc = APPDB_FAILED;
    struct deployment d;
    char *database = NULL;

    memset(&d, 0, sizeof(d));
    if (deployment_load(db, id, &d) != 0)
        snprintf(err, err_len, "deployment %s cannot be read", id);
    else if (!migrator_has_manifest(dir))
        rc = APPDB_APPLIED; /* a release without migrations: nothing to apply */
    else if ((database = cJSON_PrintUnformatted(
                  cJSON_GetObjectItemCaseSensitive(d.env_config, "database"))) != NULL
             && appdb_config_parse(database, &cfg, err, err_len) == 0)
        rc = appdb_apply(cfg, dir, phase, id, output, err, err_len);
    appdb_config_free(cfg);
    free(database);
    deployment_release(&d);
    return rc;
}

/* migrator_apply_main - the apply process: cutover-migrator --apply PHASE
 * DEPLOYMENT RELEASE_DIR OUTCOME; the environment's database section read
 * from the deployment, the outcome written for the worker that started it */
static int migrator_apply_main(char **argv)
{
    const char *id = argv[3], *dir = argv[4], *outcome = argv[5];
    enum appdb_result rc = APPDB_FAILED;
    enum sql_phase phase = SQL_PHASE_EXPAND;
    char err[1024] = "";
    struct buf output;
    cJSON *report;
    struct db *db;

    log_init("migrator");
    buf_init(&output, MIGRATOR_OUTPUT_MAX);
    if (config_load(err, sizeof(err)) != 0)
        log_fatal("%s", err);
    if ((db = db_connect(config_get("CUTOVER_DATABASE_URL"))) == NULL)
        log_fatal("database unreachable");
    if (sql_phase_parse(argv[2], &phase) != 0)
        snprintf(err, sizeof(err), "unknown phase %s", argv[2]);
    else
        rc = migrator_apply_run(db, id, dir, phase, &output, err, sizeof(err));
    db_close(db);
    migrator_log_output(&output);
    report = migrator_report_of(dir, phase, rc, output.data ? output.data : "");
    buf_free(&output);
    if (rc != APPDB_APPLIED)
        migrator_err_statement(report, err, sizeof(err));
    if (migrator_outcome_write(outcome, rc, err, report) != 0)
        log_fatal("writing %s failed", outcome);
    config_free();
    return rc == APPDB_APPLIED ? 0 : 1;
}

/* ---- migrate-expand, migrate-contract -------------------------------------- */

/* An apply process of one effect, polled on each tick. */
struct migrator_job {
    int64_t effect_id;
    pid_t pid; /* 0: the slot is free */
    int64_t polled_ms;
};

static struct migrator_job migrator_jobs[MIGRATOR_MAX_RUNS];

/* migrator_outcome_path - where e's apply process writes its outcome */
static void migrator_outcome_path(const struct effect *e, const char *dir, char *out, size_t len)
{
    snprintf(out, len, "%s.%lld.json", dir, (long long)e->id);
}

/* migrator_outcome_read - the outcome file, or NULL when there is none */
static cJSON *migrator_outcome_read(const char *path)
{
    char text[65536];
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        return NULL;
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    return cJSON_Parse(text);
}

/* migrator_job_of - e's apply process, or a free slot (one whose process
 * ended and whose effect is no longer polled here), or NULL */
static struct migrator_job *migrator_job_of(const struct effect *e)
{
    int64_t idle_ms = 2 * config_get_int("CUTOVER_EFFECT_LEASE_MS");
    struct migrator_job *free_slot = NULL;

    for (int i = 0; i < MIGRATOR_MAX_RUNS; i++) {
        struct migrator_job *job = &migrator_jobs[i];

        if (job->pid != 0 && job->effect_id == e->id)
            return job;
        if (job->pid != 0 && clock_mono_ms() - job->polled_ms > idle_ms
            && waitpid(job->pid, NULL, WNOHANG) != 0)
            memset(job, 0, sizeof(*job));
        if (job->pid == 0 && free_slot == NULL)
            free_slot = job;
    }
    return free_slot;
}

/* migrator_job_refuse - an apply that cannot start: why in e->error; -1 */
static int migrator_job_refuse(struct effect *e, const char *phase, const char *what,
                               const char *why)
{
    snprintf(e->error, sizeof(e->error), "%s migrations not run: %s: %.400s", phase, what, why);
    return -1;
}

/* migrator_job_start - fetch the release and start its apply process;
 * 0, or -1 with e->error set */
static int migrator_job_start(struct saga_ctx *ctx, struct effect *e, const char *phase,
                              struct migrator_job *job)
{
    struct stage_target t;
    char dir[1024], outcome[1100], err[512];
    pid_t pid;

    if (stage_target_read(ctx, e, &t) != 0)
        return migrator_job_refuse(e, phase, "the deployment", "cannot be read");
    if (migration_release_dir(e, &t, dir, sizeof(dir), err, sizeof(err)) != 0)
        return migrator_job_refuse(e, phase, "the release", err);
    migrator_outcome_path(e, dir, outcome, sizeof(outcome));
    stage_fault(ctx, e, "before-call");
    if ((pid = fork()) < 0)
        return migrator_job_refuse(e, phase, "fork", strerror(errno));
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || child_setup(STDERR_FILENO) != 0)
            _exit(127);
        execl("/proc/self/exe", "cutover-migrator", "--apply", phase, e->deployment_id, dir,
              outcome, (char *)NULL);
        _exit(127);
    }
    *job = (struct migrator_job){e->id, pid, clock_mono_ms()};
    log_info("%s migrations: apply process %d started", phase, (int)pid);
    return 0;
}

/* migrator_job_outcome - the outcome of e's apply, or NULL while it runs
 * (EFFECT_WAIT in *st) or when it could not start (*st EFFECT_FAILED) */
static cJSON *migrator_job_outcome(struct saga_ctx *ctx, struct effect *e, const char *phase,
                                   enum effect_step *st)
{
    struct migrator_job *job = migrator_job_of(e);
    char dir[1024], outcome[1100];
    int status = 0;
    cJSON *doc;

    *st = EFFECT_WAIT;
    if (job == NULL)
        return NULL; /* every slot busy: on the next tick */
    snprintf(dir, sizeof(dir), "%s/migrator/%s/%s", config_get("CUTOVER_RUN_DIR"),
             e->environment, e->deployment_id);
    migrator_outcome_path(e, dir, outcome, sizeof(outcome));
    if (job->pid == 0 && (doc = migrator_outcome_read(outcome)) != NULL)
        return doc; /* a process of a worker that died finished it */
    if (job->pid == 0) {
        *st = migrator_job_start(ctx, e, phase, job) == 0 ? EFFECT_WAIT : EFFECT_FAILED;
        return NULL;
    }
    job->polled_ms = clock_mono_ms();
    if (waitpid(job->pid, &status, WNOHANG) == 0)
        return NULL;
    memset(job, 0, sizeof(*job));
    stage_fault(ctx, e, "after-call");
    doc = migrator_outcome_read(outcome);
    if (doc == NULL && WIFSIGNALED(status)) {
        /* killed (by the OOM killer, an operator): the executor resumes where it
         * stopped, so start it again on the next tick, until the stage's deadline */
        log_warn("%s migrations: apply process killed by signal %d: starting it again",
                 phase, WTERMSIG(status));
        return NULL;
    }
    if (doc == NULL) {
        snprintf(e->error, sizeof(e->error), "the apply process ended without an outcome "
                 "(status %d)", status);
        *st = EFFECT_FAILED;
    }
    return doc;
}

/* migrator_result - the outcome's result; e->error set unless applied */
static enum appdb_result migrator_result(struct effect *e, const char *phase, const cJSON *doc)
{
    const char *result = migrator_text(doc, "result");
    const char *err = migrator_text(doc, "error");

    if (result && strcmp(result, "applied") == 0)
        return APPDB_APPLIED;
    snprintf(e->error, sizeof(e->error), "%s migrations %s: %s", phase,
             result && strcmp(result, "refused") == 0 ? "refused, nothing ran" : "failed",
             err ? err : "no reason given");
    return result && strcmp(result, "refused") == 0 ? APPDB_REFUSED : APPDB_FAILED;
}

/* migrator_note - "expand: 2 migration(s): a (applied), b (applied)" for the history */
static void migrator_note(struct effect *e, const char *phase, const cJSON *report)
{
    const cJSON *m;
    size_t len;
    int i = 0;

    len = (size_t)snprintf(e->note, sizeof(e->note), "%s: %d migration(s)", phase,
                           cJSON_GetArraySize(report));
    cJSON_ArrayForEach(m, report) {
        const char *status = migrator_text(m, "status");

        if (len >= sizeof(e->note) || migrator_text(m, "name") == NULL)
            break;
        len += (size_t)snprintf(e->note + len, sizeof(e->note) - len, "%s %s (%s)",
                                i++ ? "," : ":", migrator_text(m, "name"), status ? status : "?");
    }
}

/* migrator_phase_step - apply one phase in a process of its own, polled
 * on each tick; record it, finish with ok or failed */
static enum effect_step migrator_phase_step(struct saga_ctx *ctx, struct effect *e,
                                            const char *phase, enum saga_input_kind ok,
                                            enum saga_input_kind failed)
{
    struct saga_input in = {.kind = failed, .epoch = e->epoch};
    const cJSON *report;
    enum effect_step st;
    cJSON *doc;

    log_context_set(e->environment, e->deployment_id, NULL);
    if ((doc = migrator_job_outcome(ctx, e, phase, &st)) == NULL && st == EFFECT_WAIT)
        return EFFECT_WAIT;
    report = cJSON_GetObjectItemCaseSensitive(doc, "report");
    if (migrator_record_report(ctx, e, phase, report) != 0) {
        cJSON_Delete(doc);
        return EFFECT_WAIT; /* the database is away: the outcome file stays for the next tick */
    }
    migrator_note(e, phase, report);
    if (doc == NULL || migrator_result(e, phase, doc) != APPDB_APPLIED) {
        cJSON_Delete(doc);
        log_warn("%s", e->error);
        return stage_finish(ctx, e, EFFECT_FAILED, &in, NULL, NULL);
    }
    cJSON_Delete(doc);
    log_info("%s", e->note);
    in.kind = ok;
    return stage_finish(ctx, e, EFFECT_DONE, ok == SAGA_IN_MIGRATED ? NULL : &in, NULL, NULL);
}

/* migrator_expand_step - the expand migrations; the old color's checks follow */
static enum effect_step migrator_expand_step(struct saga_ctx *ctx, struct effect *e)
{
    return migrator_phase_step(ctx, e, "expand", SAGA_IN_MIGRATED, SAGA_IN_MIGRATION_FAILED);
}

/* migrator_contract_step - the contract migrations, after retirement */
static enum effect_step migrator_contract_step(struct saga_ctx *ctx, struct effect *e)
{
    return migrator_phase_step(ctx, e, "contract", SAGA_IN_CONTRACTED, SAGA_IN_CONTRACT_FAILED);
}

/* ---- check-old-color ----------------------------------------------------- */

/* migrator_run_free - stop a run and free its slot */
static void migrator_run_free(struct migrator_run *run)
{
    checks_run_free(run->checks);
    memset(run, 0, sizeof(*run));
}

/* migrator_run_slot - e's run, else a free slot (a run idle past twice
 * the lease belongs to an effect this process no longer holds), or NULL */
static struct migrator_run *migrator_run_slot(const struct effect *e)
{
    int64_t idle_ms = 2 * config_get_int("CUTOVER_EFFECT_LEASE_MS");
    struct migrator_run *free_slot = NULL;

    for (int i = 0; i < MIGRATOR_MAX_RUNS; i++) {
        struct migrator_run *run = &migrator_runs[i];

        if (run->checks != NULL && run->effect_id == e->id)
            return run;
        if (run->checks != NULL && clock_mono_ms() - run->stepped_ms > idle_ms)
            migrator_run_free(run);
        if (run->checks == NULL && free_slot == NULL)
            free_slot = run;
    }
    return free_slot;
}

/* migrator_preview_open - route the preview header to the old color once,
 * the url kept in e's result; EFFECT_DONE, EFFECT_WAIT or EFFECT_FAILED */
static enum effect_step migrator_preview_open(struct saga_ctx *ctx, struct effect *e,
                                              enum color old_color)
{
    const struct provider_ops *ops;
    void *p;
    char url[1024], err[256];
    enum effect_step st;
    int rc;

    if (migrator_text(e->result, "url") != NULL)
        return EFFECT_DONE;
    if ((st = stage_provider(ctx, e, &ops, &p)) != EFFECT_DONE)
        return st;
    stage_fault(ctx, e, "before-call");
    rc = ops->preview_open(p, old_color, e->deployment_id, url, sizeof(url), err, sizeof(err));
    stage_fault(ctx, e, "after-call");
    if (rc != 0)
        return stage_call_failed(ctx, e, "preview_open", err) ? EFFECT_FAILED : EFFECT_WAIT;
    if (!cJSON_IsObject(e->result)) {
        cJSON_Delete(e->result);
        e->result = cJSON_CreateObject();
    }
    cJSON_AddStringToObject(e->result, "url", url);
    stage_call_done(ctx, e, "opened");
    return EFFECT_DONE;
}

/* migrator_preview_close - no request reaches the old color by header any
 * more; a failure is logged (the validator's preview replaces the route) */
static void migrator_preview_close(struct saga_ctx *ctx, struct effect *e)
{
    const struct provider_ops *ops;
    void *p;
    char err[256];

    if (stage_provider(ctx, e, &ops, &p) == EFFECT_DONE
        && ops->preview_close(p, e->deployment_id, err, sizeof(err)) != 0)
        log_warn("closing the old color's preview: %s", err);
}

/* migrator_checks_create - the environment's checks against the old
 * color's preview, resuming after e's recorded progress; NULL with err */
static struct checks_run *migrator_checks_create(struct saga_ctx *ctx, const struct effect *e,
                                                 enum color old_color, char *err, size_t err_len)
{
    struct checks_target t = {0};
    struct checks_run *run = NULL;
    struct deployment d;

    snprintf(err, err_len, "the deployment cannot be read");
    if (deployment_load(ctx->db, e->deployment_id, &d) == 0) {
        t.url = migrator_text(e->result, "url");
        t.header = migrator_text(cJSON_GetObjectItemCaseSensitive(d.env_config, "preview"),
                                 "header");
        t.color = color_name(old_color);
        t.version = "live";
        t.environment = d.environment;
        run = checks_run_create(cJSON_GetObjectItemCaseSensitive(d.env_config, "checks"), &t,
                                e->result, err, err_len);
    }
    deployment_release(&d);
    return run;
}

/* migrator_progress_record - the finished checks (and the url) into e */
static void migrator_progress_record(struct saga_ctx *ctx, struct effect *e,
                                     const struct migrator_run *run)
{
    cJSON *progress = checks_run_progress(run->checks);
    const char *url = migrator_text(e->result, "url");

    cJSON_AddStringToObject(progress, "url", url ? url : "");
    cJSON_Delete(e->result);
    e->result = progress;
    if (effect_record(ctx, e) != 0)
        log_warn("effect %lld: recording the checks' progress failed", (long long)e->id);
}

/* migrator_old_color_failed - the old code does not work on the expanded
 * schema (or cannot be checked): the deployment fails, schema expanded */
static enum effect_step migrator_old_color_failed(struct saga_ctx *ctx, struct effect *e,
                                                  const char *why)
{
    struct saga_input in = {.kind = SAGA_IN_MIGRATION_FAILED, .epoch = e->epoch};

    snprintf(e->error, sizeof(e->error),
             "the old color failed its checks on the expanded schema (%s); the expand "
             "migrations stay in place: they are backward compatible", why);
    log_warn("%s", e->error);
    return stage_finish(ctx, e, EFFECT_FAILED, &in, NULL, NULL);
}

/* migrator_failed_checks - the names of the checks that failed, for why */
static void migrator_failed_checks(const cJSON *checks, char *out, size_t len)
{
    const cJSON *c;
    size_t used = 0;

    out[0] = '\0';
    cJSON_ArrayForEach(c, checks) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "passed")) || used >= len)
            continue;
        used += (size_t)snprintf(out + used, len - used, "%s%s: %s", used ? "; " : "",
                                 migrator_text(c, "name") ? migrator_text(c, "name") : "?",
                                 migrator_text(c, "detail") ? migrator_text(c, "detail") : "");
    }
}

/* migrator_migrations_data - the deployment's expand migrations as recorded */
static cJSON *migrator_migrations_data(struct saga_ctx *ctx, const struct effect *e)
{
    const char *params[] = {e->deployment_id};
    PGresult *res = db_query(ctx->db,
                             "SELECT name, status FROM deployment_migrations"
                             " WHERE deployment_id = $1::uuid AND phase = 'expand' ORDER BY seq",
                             1, params);
    cJSON *list = cJSON_CreateArray();

    for (int i = 0; res && i < PQntuples(res); i++) {
        cJSON *m = cJSON_CreateObject();

        cJSON_AddStringToObject(m, "name", PQgetvalue(res, i, 0));
        cJSON_AddStringToObject(m, "status", PQgetvalue(res, i, 1));
        cJSON_AddItemToArray(list, m);
    }
    if (res)
        PQclear(res);
    return list;
}

/* migrator_checked - every check ran: schema-migrated, or migration-failed */
static enum effect_step migrator_checked(struct saga_ctx *ctx, struct effect *e,
                                         struct migrator_run *run, enum color old_color)
{
    cJSON *checks = checks_run_results(run->checks);
    cJSON *data;
    char why[400];
    enum effect_step st;

    migrator_preview_close(ctx, e);
    if (!checks_run_passed(run->checks)) {
        migrator_failed_checks(checks, why, sizeof(why));
        cJSON_Delete(checks);
        st = migrator_old_color_failed(ctx, e, why);
    } else {
        data = cJSON_CreateObject();
        cJSON_AddStringToObject(data, "old_color", color_name(old_color));
        cJSON_AddItemToObject(data, "migrations", migrator_migrations_data(ctx, e));
        cJSON_AddItemToObject(data, "checks", checks);
        snprintf(e->note, sizeof(e->note), "the old color (%s) passed its checks on the "
                 "expanded schema", color_name(old_color));
        log_info("%s", e->note);
        st = stage_finish(ctx, e, EFFECT_DONE, NULL, "schema-migrated", data);
    }
    if (st != EFFECT_WAIT)
        migrator_run_free(run);
    return st;
}

/* migrator_check_old_color_step - the checks against the old color, a step per tick */
static enum effect_step migrator_check_old_color_step(struct saga_ctx *ctx, struct effect *e)
{
    struct stage_target t;
    struct migrator_run *run;
    enum effect_step st;
    char err[512];

    log_context_set(e->environment, e->deployment_id, NULL);
    if (stage_target_read(ctx, e, &t) != 0 || (run = migrator_run_slot(e)) == NULL)
        return EFFECT_WAIT;
    if ((st = migrator_preview_open(ctx, e, t.old_color)) != EFFECT_DONE)
        return st == EFFECT_FAILED ? migrator_old_color_failed(ctx, e, e->error) : st;
    if (run->checks == NULL) {
        if ((run->checks = migrator_checks_create(ctx, e, t.old_color, err, sizeof(err))) == NULL)
            return migrator_old_color_failed(ctx, e, err);
        run->effect_id = e->id;
    }
    run->stepped_ms = clock_mono_ms();
    switch (checks_run_step(run->checks)) {
    case CHECKS_WAITING:
        return EFFECT_WAIT;
    case CHECKS_ADVANCED:
        migrator_progress_record(ctx, e, run);
        return EFFECT_WAIT;
    case CHECKS_DONE:
        break;
    }
    return migrator_checked(ctx, e, run, t.old_color);
}

static const struct effect_handler migrator_effects[] = {
    {SAGA_FX_MIGRATE_EXPAND, migrator_expand_step},
    {SAGA_FX_CHECK_OLD_COLOR, migrator_check_old_color_step},
    {SAGA_FX_MIGRATE_CONTRACT, migrator_contract_step},
};

static const struct saga_effects migrator_saga = SAGA_EFFECTS(migrator_effects);

static const struct worker_tick migrator_ticks[] = {
    SAGA_TICK(&migrator_saga),
};

static const struct worker_spec migrator_spec = {
    .name = "migrator",
    .summary = "Applies a release's expand migrations before the new color is scaled, checks "
               "the old color on them, and its contract migrations after retirement.",
    .handlers = NULL,
    .handler_count = 0,
    .ticks = migrator_ticks,
    .tick_count = sizeof(migrator_ticks) / sizeof(migrator_ticks[0]),
};

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--apply") == 0)
        return migrator_apply_main(argv);
    return worker_main(argc, argv, &migrator_spec);
}
