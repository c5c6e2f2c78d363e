/*
 * cli_lint - `cutover lint`: the expand/contract lint of a release's schema
 *            migrations, before they reach a database.
 *
 * SYNOPSIS
 *	cutover lint FILE.sql [--phase expand|contract] [--json]
 *	cutover lint DIR [--phase expand|contract] [--json]
 *	cutover lint RELEASE_DIR|RELEASE.tar.gz [--phase P] [--allow-commands] [--json]
 *
 * DESCRIPTION
 *	A .sql file is linted for --phase (default expand); a directory
 *	without cutover/migrations.yml has its *.sql files linted in name
 *	order (byte order), all for --phase. A release (a directory, or a
 *	.tar.gz, .tgz or .tar unpacked into a temporary directory) carrying
 *	cutover/migrations.yml (validate/migration_manifest.h) has each of its
 *	migrations linted for the phase the manifest gives; --phase then
 *	keeps only the migrations of that phase. A command migration cannot
 *	be linted: it is reported as unlinted, and refused unless
 *	--allow-commands. The rules are in validate/sql_lint.h.
 *
 *	Each statement is printed as "FILE:LINE: VERDICT (PHASE): first
 *	line", its reason indented below; a summary line ends the output.
 *	--json prints one document instead: {"ok", "allowed", "refused",
 *	"unlinted", "statements": [{"file", "migration", "phase", "line",
 *	"statement", "verdict", "reason"}]}.
 *
 *	Exit status: 0 everything allowed, 1 a refusal (or a file or manifest
 *	that cannot be read), 2 bad usage.
 */
#include "cli/cli.h"
#include "base/buf.h"
#include "provider/local/artifact.h"
#include "validate/migration_manifest.h"
#include "validate/sql_lint.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINT_EXCERPT_MAX 72

static const char lint_usage[] =
    "lint PATH [--phase expand|contract] [--allow-commands] [--json]\n"
    "  PATH: a .sql file, a directory of .sql files, or a release (directory or\n"
    "  .tar.gz) with cutover/migrations.yml";

/* The command line and what has been reported so far. */
struct lint_run {
    const char *path;
    enum sql_phase phase;
    int phase_given, allow_commands, json;
    size_t allowed, refused, unlinted;
    cJSON *items; /* with --json */
};

/* One line of the report. */
struct lint_item {
    const char *file, *migration;
    enum sql_phase phase;
    unsigned line;
    const char *statement, *verdict, *reason;
};

/* lint_excerpt - the statement's first line, blanks folded, shortened to fit out */
static const char *lint_excerpt(const char *text, size_t len, char *out, size_t out_len)
{
    size_t n = 0;

    for (size_t i = 0; i < len && text[i] != '\n' && n + 4 < out_len; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c == ' ' || c == '\t' || c == '\r')
            c = ' ';
        else if (c < ' ' || c == 0x7f)
            c = '?';
        if (!(c == ' ' && n > 0 && out[n - 1] == ' '))
            out[n++] = (char)c;
    }
    if (n + 4 >= out_len || memchr(text, '\n', len) != NULL)
        n += (size_t)snprintf(out + n, out_len - n, "...");
    out[n] = '\0';
    return out;
}

/* lint_report - one item on stdout, or into the JSON document */
static void lint_report(struct lint_run *run, const struct lint_item *it)
{
    cJSON *o;

    if (!run->json) {
        printf("%s:%u: %s (%s): %s\n    %s\n", it->file, it->line, it->verdict,
               sql_phase_name(it->phase), it->statement, it->reason);
        return;
    }
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", it->file);
    if (it->migration != NULL)
        cJSON_AddStringToObject(o, "migration", it->migration);
    else
        cJSON_AddNullToObject(o, "migration");
    cJSON_AddStringToObject(o, "phase", sql_phase_name(it->phase));
    cJSON_AddNumberToObject(o, "line", it->line);
    cJSON_AddStringToObject(o, "statement", it->statement);
    cJSON_AddStringToObject(o, "verdict", it->verdict);
    cJSON_AddStringToObject(o, "reason", it->reason);
    cJSON_AddItemToArray(run->items, o);
}

/* lint_fail - a file or manifest that cannot be linted: one refusal */
static void lint_fail(struct lint_run *run, const char *file, const char *migration,
                      enum sql_phase phase, const char *why)
{
    struct lint_item it = {file, migration, phase, 0, "-", "refused", why};

    run->refused++;
    lint_report(run, &it);
}

/* lint_sql_text - every statement of one file's text */
static void lint_sql_text(struct lint_run *run, const char *file, const char *migration,
                          enum sql_phase phase, const struct buf *text)
{
    struct sql_lint_result *r;
    char excerpt[LINT_EXCERPT_MAX + 4];
    const char *data = text->data ? text->data : "";
    size_t n;

    if (sql_lint_file(data, text->len, phase, &r, &n) != 0) {
        lint_fail(run, file, migration, phase, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct lint_item it = {file, migration, phase, r[i].line,
                               lint_excerpt(data + r[i].offset, r[i].length, excerpt,
                                            sizeof(excerpt)),
                               sql_verdict_name(r[i].verdict), r[i].reason};

        if (r[i].verdict == SQL_ALLOWED)
            run->allowed++;
        else
            run->refused++;
        lint_report(run, &it);
    }
    sql_lint_results_free(r);
}

/* lint_sql_file - read one .sql file and lint it for phase */
static void lint_sql_file(struct lint_run *run, const char *path, const char *migration,
                          enum sql_phase phase)
{
    struct buf text;
    char why[256];

    buf_init(&text, SQL_LINT_MAX_BYTES);
    if (buf_read_file(&text, path) != 0) {
        snprintf(why, sizeof(why), "cannot read: %s", errno == EFBIG
                 ? "larger than the lint reads" : strerror(errno));
        lint_fail(run, path, migration, phase, why);
    } else {
        lint_sql_text(run, path, migration, phase, &text);
    }
    buf_free(&text);
}

/* lint_is_sql - scandir filter: names ending in .sql */
static int lint_is_sql(const struct dirent *de)
{
    size_t len = strlen(de->d_name);

    return len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0;
}

/* lint_by_name - scandir order: plain byte order, whatever the locale */
static int lint_by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* lint_sql_dir - every *.sql file of dir, in name order */
static void lint_sql_dir(struct lint_run *run, const char *dir)
{
    struct dirent **names;
    char path[PATH_MAX];
    int n = scandir(dir, &names, lint_is_sql, lint_by_name);

    if (n <= 0) {
        lint_fail(run, dir, NULL, run->phase, n == 0 ? "no .sql file and no "
                  MIGRATION_MANIFEST_PATH ": nothing to lint" : strerror(errno));
        return;
    }
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        lint_sql_file(run, path, NULL, run->phase);
        free(names[i]);
    }
    free(names);
}

/* lint_command - a command migration: unlinted, refused unless --allow-commands */
static void lint_command(struct lint_run *run, const struct migration_entry *e)
{
    char excerpt[LINT_EXCERPT_MAX + 4];
    struct lint_item it = {MIGRATION_MANIFEST_PATH, e->name, e->phase, e->line,
                           lint_excerpt(e->command, strlen(e->command), excerpt, sizeof(excerpt)),
                           "unlinted", run->allow_commands
                               ? "a command migration cannot be linted: run by --allow-commands"
                               : "a command migration cannot be linted: refused without "
                                 "--allow-commands"};

    run->unlinted++;
    if (!run->allow_commands)
        run->refused++;
    lint_report(run, &it);
}

/* lint_release - each migration of root's manifest (of --phase, when given) */
static void lint_release(struct lint_run *run, const char *root)
{
    char path[PATH_MAX], err[512];
    struct migration_manifest *m;

    snprintf(path, sizeof(path), "%s/%s", root, MIGRATION_MANIFEST_PATH);
    if ((m = migration_manifest_load(path, err, sizeof(err))) == NULL) {
        lint_fail(run, MIGRATION_MANIFEST_PATH, NULL, run->phase, err);
        return;
    }
    for (size_t i = 0; i < m->count; i++) {
        const struct migration_entry *e = &m->entries[i];

        if (run->phase_given && e->phase != run->phase)
            continue;
        if (e->command != NULL) {
            lint_command(run, e);
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", root, e->sql);
        lint_sql_file(run, path, e->name, e->phase);
    }
    migration_manifest_free(m);
}

/* lint_tarball - unpack a release into a temporary directory, lint it, remove it */
static void lint_tarball(struct lint_run *run, const char *tarball)
{
    char tmp[] = "/tmp/cutover-lint.XXXXXX", dest[sizeof(tmp) + 16], err[512];

    if (mkdtemp(tmp) == NULL) {
        lint_fail(run, tarball, NULL, run->phase, strerror(errno));
        return;
    }
    snprintf(dest, sizeof(dest), "%s/release", tmp);
    if (artifact_unpack(tarball, dest, err, sizeof(err)) != 0)
        lint_fail(run, tarball, NULL, run->phase, err);
    else
        lint_release(run, dest);
    artifact_remove_tree(tmp);
}

/* lint_is_tarball - 1 for a name ending in .tar.gz, .tgz or .tar */
static int lint_is_tarball(const char *path)
{
    static const char *const ends[] = {".tar.gz", ".tgz", ".tar"};
    size_t len = strlen(path);

    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
        if (len > strlen(ends[i]) && strcmp(path + len - strlen(ends[i]), ends[i]) == 0)
            return 1;
    return 0;
}

/* lint_path - what PATH is decides how it is linted; 2 when it names nothing */
static int lint_path(struct lint_run *run)
{
    char manifest[PATH_MAX];
    struct stat sb;

    if (stat(run->path, &sb) != 0)
        return cli_usage_fail(lint_usage, "%s: %s", run->path, strerror(errno));
    snprintf(manifest, sizeof(manifest), "%s/%s", run->path, MIGRATION_MANIFEST_PATH);
    if (S_ISDIR(sb.st_mode) && access(manifest, F_OK) == 0)
        lint_release(run, run->path);
    else if (S_ISDIR(sb.st_mode))
        lint_sql_dir(run, run->path);
    else if (lint_is_tarball(run->path))
        lint_tarball(run, run->path);
    else
        lint_sql_file(run, run->path, NULL, run->phase);
    return 0;
}

/* lint_parse_args - PATH and the options; 0 to go on, -1 help asked, 2 bad usage */
static int lint_parse_args(int argc, char **argv, struct lint_run *run)
{
    static const struct option opts[] = {
        {"phase", required_argument, NULL, 'p'}, {"allow-commands", no_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1 || optind < argc) {
        if (c == -1 && run->path != NULL)
            return cli_usage_fail(lint_usage, "unexpected argument \"%s\"", argv[optind]);
        if (c == -1)
            run->path = argv[optind++];
        else if (c == 'h')
            return -1;
        else if (c == 'p' && sql_phase_parse(optarg, &run->phase) != 0)
            return cli_usage_fail(lint_usage, "--phase is expand or contract, not \"%s\"", optarg);
        else if (c == 'p')
            run->phase_given = 1;
        else if (c == 'a')
            run->allow_commands = 1;
        else if (c == 'j')
            run->json = 1;
        else
            return cli_usage_fail(lint_usage, NULL);
    }
    return run->path == NULL ? cli_usage_fail(lint_usage, "missing PATH") : 0;
}

/* lint_summary - the last line, or the JSON document */
static void lint_summary(struct lint_run *run)
{
    char *text;

    if (!run->json) {
        printf("%zu allowed, %zu refused", run->allowed, run->refused);
        if (run->unlinted > 0)
            printf(", %zu unlinted command%s", run->unlinted, run->unlinted == 1 ? "" : "s");
        printf("\n");
        return;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddBoolToObject(doc, "ok", run->refused == 0);
    cJSON_AddNumberToObject(doc, "allowed", (double)run->allowed);
    cJSON_AddNumberToObject(doc, "refused", (double)run->refused);
    cJSON_AddNumberToObject(doc, "unlinted", (double)run->unlinted);
    cJSON_AddItemToObject(doc, "statements", run->items);
    run->items = NULL;
    if ((text = cJSON_Print(doc)) != NULL)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(doc);
}

/* cli_lint_cmd - cutover lint PATH: 0 all allowed, 1 a refusal, 2 bad usage */
int cli_lint_cmd(int argc, char **argv)
{
    struct lint_run run = {0};
    int rc = lint_parse_args(argc, argv, &run);

    if (rc != 0)
        return cli_help_or(rc, lint_usage);
    if (run.json && (run.items = cJSON_CreateArray()) == NULL)
        return 1;
    if ((rc = lint_path(&run)) != 0) {
        cJSON_Delete(run.items);
        return rc;
    }
    lint_summary(&run);
    cJSON_Delete(run.items);
    return run.refused > 0 ? 1 : 0;
}
