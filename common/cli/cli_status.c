/*
 * cli_status - the CLI's read-only commands: status and history.
 *
 * SYNOPSIS
 *	cutover status ENV [--json]
 *	cutover history ENV [--json] [--limit N]
 *
 * DESCRIPTION
 *	Both read PostgreSQL only, never the provider: the database is what
 *	the saga believes, and that is what an operator acts on. The documents
 *	come from saga/status.h (one query each, shared with cutover-web), so
 *	the --json output, the text output and the web API tell the same
 *	story; their contract is described there.
 *
 *	An unknown environment is a failure (exit 1); bad arguments exit 2.
 */
#include "cli/cli.h"
#include "saga/status.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_HISTORY_DEFAULT 20
#define CLI_HISTORY_MAX     STATUS_HISTORY_MAX

struct cli_env_args {
    const char *env;
    int json;
    long limit;
    int with_limit; /* --limit is accepted */
};

/* cli_status_document - env's status document, or with limit > 0 its
 * history; NULL when it failed (told on stderr) */
static cJSON *cli_status_document(const char *env, long limit)
{
    struct db *db = cli_db_open();
    cJSON *doc = NULL;
    enum status_rc rc;

    if (db == NULL)
        return NULL;
    rc = limit > 0 ? status_history(db, env, limit, &doc) : status_environment(db, env, &doc);
    if (rc == STATUS_DB_FAILED)
        fprintf(stderr, "cutover: query failed: %s\n", db_last_error(db));
    else if (rc == STATUS_NO_ENVIRONMENT)
        fprintf(stderr, "cutover: no environment \"%s\" (see cutover env list)\n", env);
    else if (rc != STATUS_OK)
        fprintf(stderr, "cutover: %s\n", status_strerror(rc));
    db_close(db);
    return doc;
}

/* cli_str - a member as text: strings as they are, null as "-", numbers printed */
static const char *cli_str(const cJSON *obj, const char *name, char *buf, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(buf, len, "%.0f", v->valuedouble);
        return buf;
    }
    return "-";
}

/* cli_help_or - for rc -1 (help asked) the usage on stdout and 0, else rc */
int cli_help_or(int rc, const char *usage)
{
    if (rc != -1)
        return rc;
    printf("usage: cutover %s\n", usage);
    return 0;
}

/* cli_print_json - the document, indented, on stdout */
void cli_print_json(const cJSON *doc)
{
    char *text = cJSON_Print(doc);

    if (text)
        printf("%s\n", text);
    free(text);
}

/* cli_status_print_rollback_ready - "yes", or "no (why)", once the guard has checked */
static void cli_status_print_rollback_ready(const cJSON *a)
{
    const cJSON *ready = cJSON_GetObjectItemCaseSensitive(a, "rollback_ready");
    char why[512];

    if (!cJSON_IsBool(ready))
        return;
    if (cJSON_IsTrue(ready))
        printf("  rollback ready yes\n");
    else
        printf("  rollback ready no (%s)\n", cli_str(a, "rollback_ready_reason", why, sizeof(why)));
}

/* cli_status_print_health - healthy/desired per color ("blue 2/2, green 0/0"),
 * "?" and the error when the reading failed, "-" before the first */
static void cli_status_print_health(const cJSON *doc)
{
    static const char *const colors[] = {"blue", "green"};
    const cJSON *health = cJSON_GetObjectItemCaseSensitive(doc, "health");
    char b1[32], b2[32], why[512];

    printf("health         ");
    for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(health, colors[i]);

        printf("%s%s ", i > 0 ? ", " : "", colors[i]);
        if (!cJSON_IsObject(c))
            printf("-");
        else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "error")))
            printf("? (%s)", cli_str(c, "error", why, sizeof(why)));
        else
            printf("%s/%s", cli_str(c, "healthy", b1, sizeof(b1)),
                   cli_str(c, "desired", b2, sizeof(b2)));
    }
    printf("\n");
}

/* cli_print_migrations - a deployment's migrations, one line each; a
 * contract that failed is what completed-with-warning warns about */
static void cli_print_migrations(const cJSON *d, const char *indent)
{
    const cJSON *m;
    char b[4][512];

    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(d, "migrations")) {
        const char *status = cli_str(m, "status", b[0], sizeof(b[0]));
        const char *detail = cli_str(m, "detail", b[3], sizeof(b[3]));

        printf("%smigration %s %s %s%s%s%s\n", indent, cli_str(m, "phase", b[1], sizeof(b[1])),
               cli_str(m, "name", b[2], sizeof(b[2])), status,
               strcmp(status, "applied") == 0 ? "" : " (warning)",
               *detail && strcmp(detail, "-") != 0 ? ": " : "",
               *detail && strcmp(detail, "-") != 0 ? detail : "");
    }
}

/* cli_print_caches - a deployment's cache actions, one line each, and
 * each instance of a command run on instances */
static void cli_print_caches(const cJSON *d, const char *indent)
{
    const cJSON *c, *inst;
    char b[5][512];

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(d, "caches")) {
        printf("%scache %s %s %s (%s ms): %s\n", indent, cli_str(c, "name", b[0], sizeof(b[0])),
               cli_str(c, "kind", b[1], sizeof(b[1])), cli_str(c, "status", b[2], sizeof(b[2])),
               cli_str(c, "duration_ms", b[3], sizeof(b[3])),
               cli_str(c, "message", b[4], sizeof(b[4])));
        cJSON_ArrayForEach(inst, cJSON_GetObjectItemCaseSensitive(c, "instances"))
            printf("%s  instance %s %s: %s\n", indent, cli_str(inst, "id", b[0], sizeof(b[0])),
                   cli_str(inst, "state", b[1], sizeof(b[1])),
                   cli_str(inst, "detail", b[2], sizeof(b[2])));
    }
}

/* cli_print_stages - what a deployment's database and cache stages did */
static void cli_print_stages(const cJSON *d, const char *indent)
{
    cli_print_migrations(d, indent);
    cli_print_caches(d, indent);
}

/* cli_status_print_text - the status document for a human */
static void cli_status_print_text(const cJSON *doc)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(doc, "weights");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, "active");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(doc, "last_finished");
    char b1[32], b2[32];

    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(doc, "signatures");
    const char *warning = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sig, "warning"));

    if (warning != NULL) {
        printf("WARNING: %s\n", warning);
        fprintf(stderr, "cutover: WARNING: %s\n", warning);
    }
    printf("environment    %s\n", cli_str(doc, "environment", b1, sizeof(b1)));
    printf("signatures     %s\n", cli_str(sig, "mode", b1, sizeof(b1)));
    printf("live color     %s\n", cli_str(doc, "live_color", b1, sizeof(b1)));
    printf("weights        blue %s %%, green %s %%\n", cli_str(w, "blue", b1, sizeof(b1)),
           cli_str(w, "green", b2, sizeof(b2)));
    cli_status_print_health(doc);
    if (cJSON_IsObject(a)) {
        printf("active         %s %s\n", cli_str(a, "id", b1, sizeof(b1)),
               cli_str(a, "state", b2, sizeof(b2)));
        printf("  build        %s version %s\n", cli_str(a, "build_id", b1, sizeof(b1)),
               cli_str(a, "version", b2, sizeof(b2)));
        printf("  new color    %s at %s %%", cli_str(a, "new_color", b1, sizeof(b1)),
               cli_str(a, "weight", b2, sizeof(b2)));
        printf(", step %s\n", cli_str(a, "step", b1, sizeof(b1)));
        cli_status_print_rollback_ready(a);
        printf("  updated at   %s\n", cli_str(a, "updated_at", b1, sizeof(b1)));
        cli_print_stages(a, "  ");
    } else
        printf("active         none\n");
    if (cJSON_IsObject(f)) {
        printf("last finished  %s %s\n", cli_str(f, "id", b1, sizeof(b1)),
               cli_str(f, "state", b2, sizeof(b2)));
        printf("  build        %s version %s\n", cli_str(f, "build_id", b1, sizeof(b1)),
               cli_str(f, "version", b2, sizeof(b2)));
        printf("  finished at  %s\n", cli_str(f, "finished_at", b1, sizeof(b1)));
        printf("  reason       %s\n", cli_str(f, "reason", b1, sizeof(b1)));
        cli_print_stages(f, "  ");
    } else
        printf("last finished  none\n");
}

/* cli_history_who - who did a step: the principal whose signature verified, else the
 * self-declared actor, marked unverified when the step came from a command */
static const char *cli_history_who(const cJSON *t, char *buf, size_t len)
{
    const char *principal = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "principal"));
    char actor[128];

    cli_str(t, "actor", actor, sizeof(actor));
    if (principal != NULL)
        snprintf(buf, len, "by %s, signed", principal);
    else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "command")))
        snprintf(buf, len, "%s, unverified", actor);
    else
        snprintf(buf, len, "%s", actor);
    return buf;
}

/* cli_history_print_deployment - one deployment and its transitions for a human */
static void cli_history_print_deployment(const cJSON *d)
{
    const cJSON *t;
    char b[6][160];

    printf("%s  %s  build %s version %s  created %s\n", cli_str(d, "id", b[0], sizeof(b[0])),
           cli_str(d, "state", b[1], sizeof(b[1])), cli_str(d, "build_id", b[2], sizeof(b[2])),
           cli_str(d, "version", b[3], sizeof(b[3])),
           cli_str(d, "created_at", b[4], sizeof(b[4])));
    cli_print_stages(d, "  ");
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(d, "transitions")) {
        const char *from = cli_str(t, "from", b[0], sizeof(b[0]));
        const char *to = cli_str(t, "to", b[1], sizeof(b[1]));

        printf("  %s  %-17s %s %-17s %s (%s)", cli_str(t, "at", b[2], sizeof(b[2])), from,
               strcmp(from, to) == 0 ? "==" : "->", to,
               cli_str(t, "event_type", b[3], sizeof(b[3])), cli_history_who(t, b[4], sizeof(b[4])));
        if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "reason")))
            printf(": %s", cli_str(t, "reason", b[5], sizeof(b[5])));
        printf("\n");
    }
}

/* cli_usage_fail - why, then the usage, on stderr; returns 2 (bad usage) */
int cli_usage_fail(const char *usage, const char *fmt, ...)
{
    va_list ap;

    if (fmt != NULL) {
        fprintf(stderr, "cutover: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n");
    }
    fprintf(stderr, "usage: cutover %s\n", usage);
    return 2;
}

/* cli_parse_env_args - ENV, --json and (when limit is not NULL) --limit N;
 * 0 to go on, -1 help asked, 2 bad usage (reported) */
static int cli_parse_env_args(int argc, char **argv, const char *usage, struct cli_env_args *a)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"limit", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char *end;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1 || optind < argc) {
        if (c == -1 && a->env != NULL)
            return cli_usage_fail(usage, "unexpected argument \"%s\"", argv[optind]);
        if (c == -1) /* a positional argument: the environment */
            a->env = argv[optind++];
        else if (c == 'h')
            return -1;
        else if (c == 'j')
            a->json = 1;
        else if (c == 'l' && a->with_limit) {
            a->limit = strtol(optarg, &end, 10);
            if (*end != '\0' || a->limit < 1 || a->limit > CLI_HISTORY_MAX)
                return cli_usage_fail(usage, "--limit wants a number 1..%d", CLI_HISTORY_MAX);
        } else
            return cli_usage_fail(usage, c == 'l' ? "status takes no --limit" : NULL);
    }
    return a->env == NULL ? cli_usage_fail(usage, "missing ENV") : 0;
}

/* cli_status_cmd - where an environment stands */
int cli_status_cmd(int argc, char **argv)
{
    static const char usage[] = "status ENV [--json]";
    struct cli_env_args a = {0};
    int rc = cli_parse_env_args(argc, argv, usage, &a);
    cJSON *doc;

    if (rc != 0)
        return cli_help_or(rc, usage);
    doc = cli_status_document(a.env, 0);
    if (doc == NULL)
        return 1;
    if (a.json)
        cli_print_json(doc);
    else
        cli_status_print_text(doc);
    cJSON_Delete(doc);
    return 0;
}

/* cli_history_cmd - an environment's deployments and their transitions */
int cli_history_cmd(int argc, char **argv)
{
    static const char usage[] = "history ENV [--json] [--limit N]";
    struct cli_env_args a = {.limit = CLI_HISTORY_DEFAULT, .with_limit = 1};
    int rc = cli_parse_env_args(argc, argv, usage, &a);
    const cJSON *d;
    cJSON *doc;

    if (rc != 0)
        return cli_help_or(rc, usage);
    doc = cli_status_document(a.env, a.limit);
    if (doc == NULL)
        return 1;
    if (a.json)
        cli_print_json(doc);
    else
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(doc, "deployments"))
            cli_history_print_deployment(d);
    cJSON_Delete(doc);
    return 0;
}
