/*
 * appdb - a release's migrations of one phase applied to the
 *         application's database, online and exactly once (appdb.h).
 *
 * DESCRIPTION
 *	Order of work: every migration of the phase is read and linted
 *	before the database is touched, so that a refusal changes nothing.
 *	Then, per migration, its row in cutover_schema_migrations says what
 *	is left: nothing (applied; a changed checksum is an error), the
 *	statements after statements_done (a killed run), or everything.
 *
 *	Exactly once across SIGKILL, statement by statement:
 *	- INSERT, UPDATE and DELETE outside a transaction of the migration's
 *	  own run in one transaction with the progress row: both or neither.
 *	  Inside the migration's own BEGIN ... COMMIT the progress updates
 *	  join that transaction, so a kill rolls both back to the BEGIN.
 *	- DDL commits on its own, so a kill between a DDL statement and its
 *	  progress row is possible. MariaDB applies one DDL statement (one
 *	  ALTER TABLE with all its clauses included) atomically, so on resume
 *	  the first statement runs again and the errors that mean "this is
 *	  already there" (duplicate column, key or table; unknown column, key
 *	  or table to drop) count as applied, for that statement only.
 *	- An ALTER TABLE through pt-online-schema-change: the leftovers of a
 *	  killed run (triggers, shadow table) are dropped and the tool runs
 *	  again from the start; when the killed run had swapped the tables
 *	  already, the tool's "Duplicate column/key name" counts as applied.
 *	- A command migration (allow_commands) may run again after a kill
 *	  between its end and its row: it is at least once, recorded as
 *	  unlinted; the command must be idempotent.
 *	Fault points: appdb-before-statement, appdb-osc-running (the tool is
 *	copying rows), appdb-after-statement (ran, not recorded).
 */
#include "appdb/appdb.h"

#include "appdb/appdb_conn.h"
#include "appdb/appdb_osc.h"
#include "appdb/appdb_record.h"
#include "base/child.h"
#include "base/fault.h"
#include "validate/migration_manifest.h"

#include <errno.h>
#include <mysqld_error.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One migration of the phase, read and linted. */
struct appdb_item {
    const struct migration_entry *entry;
    char *text; /* the SQL file's content, or NULL for a command */
    struct sql_lint_result *lint;
    size_t count;
};

/* What one call of appdb_apply works with. */
struct appdb_job {
    const struct appdb_config *cfg;
    const char *release_dir, *deployment_id;
    enum sql_phase phase;
    struct buf *report;
    char *err;
    size_t err_len;
    struct migration_manifest *manifest;
    struct appdb_item *items;
    size_t count;
    MYSQL *my;
    int in_transaction; /* the migration's own BEGIN is open */
};

const char *appdb_result_name(enum appdb_result result)
{
    switch (result) {
    case APPDB_APPLIED: return "applied";
    case APPDB_REFUSED: return "refused";
    default: return "failed";
    }
}

/* appdb_checksum - sha256 hex of text */
static void appdb_checksum(const char *text, char out[65])
{
    unsigned char md[32];
    unsigned int md_len = 0;

    EVP_Digest(text, strlen(text), md, &md_len, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), out);
}

/* appdb_manifest_load - the release's manifest; none at all is an empty one */
static int appdb_manifest_load(struct appdb_job *job)
{
    char path[4096];
    struct stat sb;

    snprintf(path, sizeof(path), "%s/%s", job->release_dir, MIGRATION_MANIFEST_PATH);
    if (stat(path, &sb) != 0 && errno == ENOENT) {
        job->manifest = calloc(1, sizeof(*job->manifest));
        return job->manifest ? 0 : appdb_err(job->err, job->err_len, "out of memory");
    }
    job->manifest = migration_manifest_load(path, job->err, job->err_len);
    return job->manifest ? 0 : -1;
}

/* appdb_item_lint - read one SQL migration and lint it; refused statements reported */
static int appdb_item_lint(struct appdb_job *job, struct appdb_item *it, int *refused)
{
    char path[4096];
    struct buf b;

    snprintf(path, sizeof(path), "%s/%s", job->release_dir, it->entry->sql);
    buf_init(&b, SQL_LINT_MAX_BYTES);
    if (buf_read_file(&b, path) != 0) {
        buf_free(&b);
        return appdb_err(job->err, job->err_len, "%s: cannot read %s", it->entry->name, path);
    }
    it->text = buf_steal(&b);
    if (it->text == NULL || sql_lint_file(it->text, strlen(it->text), job->phase, &it->lint,
                                          &it->count) != 0)
        return appdb_err(job->err, job->err_len, "out of memory");
    for (size_t i = 0; i < it->count; i++) {
        if (it->lint[i].verdict != SQL_REFUSED)
            continue;
        *refused = 1;
        buf_printf(job->report, "%s statement %zu/%zu line %u: refused: %s\n", it->entry->name,
                   i + 1, it->count, it->lint[i].line, it->lint[i].reason);
    }
    return 0;
}

/* appdb_prepare - the phase's migrations read and linted; 1 when one is refused */
static int appdb_prepare(struct appdb_job *job)
{
    int refused = 0;

    job->items = calloc(job->manifest->count + 1, sizeof(*job->items));
    if (job->items == NULL)
        return appdb_err(job->err, job->err_len, "out of memory");
    for (size_t i = 0; i < job->manifest->count; i++) {
        const struct migration_entry *e = &job->manifest->entries[i];
        struct appdb_item *it = &job->items[job->count];

        if (e->phase != job->phase)
            continue;
        job->count++;
        it->entry = e;
        if (e->command != NULL && !job->cfg->allow_commands) {
            refused = 1;
            buf_printf(job->report, "%s: refused: a command migration and allow_commands is false\n",
                       e->name);
        } else if (e->sql != NULL && appdb_item_lint(job, it, &refused) != 0)
            return -1;
    }
    if (refused)
        appdb_err(job->err, job->err_len, "the lint refused the %s migrations: nothing ran",
                  sql_phase_name(job->phase));
    return refused;
}

/* appdb_already_there - errors meaning a DDL statement's effect is in place */
static int appdb_already_there(unsigned code)
{
    return code == ER_DUP_FIELDNAME || code == ER_DUP_KEYNAME || code == ER_TABLE_EXISTS_ERROR ||
           code == ER_CANT_DROP_FIELD_OR_KEY || code == ER_BAD_TABLE_ERROR;
}

/* appdb_stmt_starts - 1 when the statement's first word is one of words (NULL-ended) */
static int appdb_stmt_starts(const char *text, const char *const *words)
{
    size_t skip = strspn(text, " \t\r\n");

    for (size_t i = 0; words[i] != NULL; i++) {
        size_t len = strlen(words[i]);
        if (strncasecmp(text + skip, words[i], len) == 0 &&
            strchr(" \t\r\n(", text[skip + len]) != NULL)
            return 1;
    }
    return 0;
}

/* appdb_track_transaction - follow the migration's own BEGIN ... COMMIT */
static void appdb_track_transaction(struct appdb_job *job, const char *text)
{
    static const char *const opens[] = {"BEGIN", "START", NULL};
    static const char *const closes[] = {"COMMIT", "ROLLBACK", "ALTER", "CREATE", "DROP",
                                         "RENAME", "TRUNCATE", NULL};

    if (appdb_stmt_starts(text, opens))
        job->in_transaction = 1;
    else if (appdb_stmt_starts(text, closes))
        job->in_transaction = 0;
}

/* appdb_query - run one statement's text; a resumed DDL that is already in place counts */
static int appdb_query(struct appdb_job *job, const char *text, int resumed, const char **outcome)
{
    *outcome = "applied";
    if (mysql_query(job->my, text) == 0) {
        MYSQL_RES *res = mysql_store_result(job->my);
        mysql_free_result(res);
        return 0;
    }
    if (resumed && appdb_already_there(mysql_errno(job->my))) {
        *outcome = "already-in-place";
        return 0;
    }
    return appdb_err(job->err, job->err_len, "%s", mysql_error(job->my));
}

/* appdb_direct - one statement run by the server itself, with its progress row */
static int appdb_direct(struct appdb_job *job, const char *name, const char *text, long index,
                        int resumed, const char **outcome)
{
    static const char *const dml[] = {"INSERT", "UPDATE", "DELETE", NULL};
    int wrap = !job->in_transaction && appdb_stmt_starts(text, dml);

    if (wrap && mysql_query(job->my, "START TRANSACTION") != 0)
        return appdb_err(job->err, job->err_len, "%s", mysql_error(job->my));
    if (appdb_query(job, text, resumed, outcome) != 0) {
        if (wrap)
            mysql_query(job->my, "ROLLBACK");
        return -1;
    }
    appdb_track_transaction(job, text);
    fault_point("appdb-after-statement");
    if (appdb_record_progress(job->my, name, index + 1, "direct", job->err, job->err_len) != 0)
        return -1;
    if (wrap && mysql_query(job->my, "COMMIT") != 0)
        return appdb_err(job->err, job->err_len, "%s", mysql_error(job->my));
    return 0;
}

/* appdb_online - one ALTER TABLE through pt-online-schema-change, with its progress row */
static int appdb_online(struct appdb_job *job, const char *name, struct appdb_alter *alter,
                        long index, int resumed)
{
    if (appdb_osc_cleanup(job->my, job->cfg, alter->table, job->report, job->err,
                          job->err_len) != 0 ||
        appdb_osc_run(job->cfg, alter, resumed, job->report, job->err, job->err_len) != 0)
        return -1;
    fault_point("appdb-after-statement");
    return appdb_record_progress(job->my, name, index + 1, "pt-osc", job->err, job->err_len);
}

/* appdb_statement - run statement index of an item, choosing the executor; reported */
static int appdb_statement(struct appdb_job *job, const struct appdb_item *it, size_t index,
                           int resumed)
{
    const struct sql_lint_result *r = &it->lint[index];
    char *text = strndup(it->text + r->offset, r->length);
    struct appdb_alter alter;
    const char *outcome = "applied", *executor = "direct";
    int online = 0, rc;

    if (text == NULL)
        return appdb_err(job->err, job->err_len, "out of memory");
    fault_point("appdb-before-statement");
    if (appdb_alter_parse(text, r->length, &alter) == 0)
        online = appdb_osc_wanted(job->my, job->cfg, &alter, job->err, job->err_len);
    if (online > 0)
        executor = APPDB_OSC_TOOL;
    rc = online < 0 ? -1
         : online ? appdb_online(job, it->entry->name, &alter, (long)index, resumed)
                  : appdb_direct(job, it->entry->name, text, (long)index, resumed, &outcome);
    buf_printf(job->report, "%s statement %zu/%zu line %u: %s executor=%s outcome=%s%s%s\n",
               it->entry->name, index + 1, it->count, r->line, sql_verdict_name(r->verdict),
               executor, rc == 0 ? outcome : "failed", rc == 0 ? "" : ": ",
               rc == 0 ? "" : job->err);
    appdb_alter_free(&alter);
    free(text);
    return rc;
}

/* appdb_command - a command migration, run in the release's directory (unlinted) */
static int appdb_command(struct appdb_job *job, const struct appdb_item *it)
{
    char *argv[] = {"/bin/sh", "-c", it->entry->command, NULL};
    int status = 0;

    fault_point("appdb-before-statement");
    buf_printf(job->report, "%s command: unlinted executor=command\n", it->entry->name);
    if (appdb_child_run(argv, job->release_dir, -1, NULL, NULL, job->report, &status, job->err,
                        job->err_len) != 0)
        return -1;
    if (status != 0)
        return appdb_err(job->err, job->err_len, "%s: the command exited with status %d",
                         it->entry->name, status);
    fault_point("appdb-after-statement");
    return appdb_record_progress(job->my, it->entry->name, 1, "command", job->err, job->err_len);
}

/* appdb_resume_point - statements already done (-1: all, nothing to do; -2: error);
 * *resumed set when a killed run had started it */
static long appdb_resume_point(struct appdb_job *job, const struct appdb_item *it,
                               const struct appdb_run *run, int *resumed)
{
    struct appdb_record rec;
    int found = appdb_record_get(job->my, run->name, &rec, job->err, job->err_len);

    if (found < 0)
        return -2;
    if (found == 0)
        return appdb_record_start(job->my, run, job->err, job->err_len) == 0 ? 0 : -2;
    if (strcmp(rec.checksum, run->checksum) != 0) {
        appdb_err(job->err, job->err_len, "%s: its text changed since it was %s (checksum %s, now %s)",
                  run->name, rec.finished ? "applied" : "started", rec.checksum, run->checksum);
        return -2;
    }
    if (rec.finished) {
        buf_printf(job->report, "%s: already applied, nothing to do\n", run->name);
        return -1;
    }
    buf_printf(job->report, "%s: resuming after statement %ld of %zu\n", run->name,
               rec.statements_done, it->text ? it->count : 1);
    *resumed = 1;
    return rec.statements_done;
}

/* appdb_migrate - one migration, exactly once */
static int appdb_migrate(struct appdb_job *job, const struct appdb_item *it)
{
    char checksum[65];
    struct appdb_run run = {it->entry->name, sql_phase_name(job->phase), checksum,
                            job->deployment_id, it->text ? (long)it->count : 1};
    long done;
    int rc = 0, resumed = 0;

    appdb_checksum(it->text ? it->text : it->entry->command, checksum);
    done = appdb_resume_point(job, it, &run, &resumed);
    if (done < 0)
        return done == -1 ? 0 : -1;
    job->in_transaction = 0;
    if (it->text == NULL)
        rc = appdb_command(job, it);
    for (size_t i = (size_t)done; rc == 0 && it->text && i < it->count; i++)
        rc = appdb_statement(job, it, i, resumed && i == (size_t)done);
    if (rc == 0)
        rc = appdb_record_finish(job->my, it->entry->name, job->err, job->err_len);
    return rc;
}

/* appdb_run_all - connect and apply the prepared migrations in order */
static enum appdb_result appdb_run_all(struct appdb_job *job)
{
    job->my = appdb_connect(job->cfg, job->err, job->err_len);
    if (job->my == NULL || appdb_record_ensure(job->my, job->err, job->err_len) != 0)
        return APPDB_FAILED;
    for (size_t i = 0; i < job->count; i++)
        if (appdb_migrate(job, &job->items[i]) != 0)
            return APPDB_FAILED;
    return APPDB_APPLIED;
}

/* appdb_job_free - what a job allocated */
static void appdb_job_free(struct appdb_job *job)
{
    for (size_t i = 0; job->items && i < job->count; i++) {
        free(job->items[i].text);
        sql_lint_results_free(job->items[i].lint);
    }
    free(job->items);
    migration_manifest_free(job->manifest);
    if (job->my)
        mysql_close(job->my);
}

enum appdb_result appdb_apply(const struct appdb_config *cfg, const char *release_dir,
                              enum sql_phase phase, const char *deployment_id,
                              struct buf *report, char *err, size_t err_len)
{
    struct appdb_job job = {.cfg = cfg, .release_dir = release_dir, .phase = phase,
                            .deployment_id = deployment_id, .report = report, .err = err,
                            .err_len = err_len};
    enum appdb_result result = APPDB_FAILED;
    int prepared;

    err[0] = '\0';
    if (appdb_manifest_load(&job) == 0) {
        prepared = appdb_prepare(&job);
        result = prepared < 0 ? APPDB_FAILED
                 : prepared  ? APPDB_REFUSED
                             : appdb_run_all(&job);
    }
    appdb_job_free(&job);
    return result;
}

int appdb_status(const struct appdb_config *cfg, struct buf *report, char *err, size_t err_len)
{
    MYSQL *my = appdb_connect(cfg, err, err_len);
    int rc;

    if (my == NULL)
        return -1;
    rc = appdb_record_list(my, report, err, err_len);
    mysql_close(my);
    return rc;
}
