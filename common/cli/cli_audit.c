/*
 * cli_audit - the audit trail of an environment's commands and refusals.
 *
 * SYNOPSIS
 *	cutover audit ENV [--json] [--since DURATION|TIME]
 *
 * DESCRIPTION
 *	Reads command_audit (migration 0010), oldest first: when, the
 *	outcome and its code, the action, the principal whose signature
 *	verified with its key fingerprint (or "unverified" and the
 *	self-declared requested_by), the deployment and the event id.
 *	--since takes a duration (90s, 15m, 2h, 7d) or a time PostgreSQL
 *	reads (2026-12-04T09:00:00Z). --json prints the rows as an array.
 *	An unknown environment is a failure (exit 1); bad arguments exit 2.
 */
#include "cli/cli.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cli_audit_usage[] =
    "audit ENV [--json] [--since DURATION|TIME]\n"
    "  every command and refusal of ENV, with the verified principal;\n"
    "  DURATION is N followed by s, m, h or d (e.g. 15m); TIME e.g. 2026-12-04T09:00:00Z";

static const char cli_audit_sql[] =
    "SELECT coalesce(json_agg(json_build_object('at', to_char(a.at AT TIME ZONE 'UTC',"
    "   'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 'outcome', a.outcome, 'code', a.code,"
    "   'action', a.action, 'principal', a.principal, 'fingerprint', a.fingerprint,"
    "   'requested_by', a.requested_by, 'signed', a.signed, 'deployment_id', a.deployment_id,"
    "   'reason', a.reason, 'event_source', a.event_source, 'event_id', a.event_id,"
    "   'topic', a.topic, 'partition', a.partition, 'offset', a.\"offset\", 'worker', a.worker)"
    "   ORDER BY a.at, a.id), '[]')::text,"
    "   NOT EXISTS (SELECT 1 FROM environments WHERE name = $1)"
    " FROM (SELECT * FROM command_audit WHERE environment = $1"
    "   AND at >= coalesce($2::timestamptz, now() - $3::interval, '-infinity')"
    "   ORDER BY at, id LIMIT 10000) a";

struct cli_audit_args {
    const char *env;
    int json;
    const char *since_time;     /* a time, or NULL */
    char since_interval[32];    /* "N seconds", or "" */
};

/* cli_audit_duration - "15m" as "900 seconds" into out; -1 when not a duration */
static int cli_audit_duration(const char *text, char *out, size_t out_len)
{
    static const char units[] = "smhd";
    static const long seconds[] = {1, 60, 3600, 86400};
    char *end;
    long n = strtol(text, &end, 10);
    const char *unit;

    if (!isdigit((unsigned char)text[0]) || end[0] == 0 || end[1] != 0
        || (unit = strchr(units, end[0])) == NULL || n > 3650L * 86400)
        return -1;
    snprintf(out, out_len, "%ld seconds", n * seconds[unit - units]);
    return 0;
}

/* cli_audit_parse - ENV, --json, --since; 0, -1 help asked, 2 bad usage */
static int cli_audit_parse(int argc, char **argv, struct cli_audit_args *a)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"since", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1 || optind < argc) {
        if (c == -1 && a->env != NULL)
            return cli_usage_fail(cli_audit_usage, "unexpected argument \"%s\"", argv[optind]);
        if (c == -1)
            a->env = argv[optind++];
        else if (c == 'h')
            return -1;
        else if (c == 'j')
            a->json = 1;
        else if (c == 's' && cli_audit_duration(optarg, a->since_interval,
                                                sizeof(a->since_interval)) != 0)
            a->since_time = optarg;
        else if (c != 's')
            return cli_usage_fail(cli_audit_usage, NULL);
    }
    return a->env == NULL ? cli_usage_fail(cli_audit_usage, "missing ENV") : 0;
}

/* cli_audit_print_row - one line of the trail for a human */
static void cli_audit_print_row(const cJSON *row)
{
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "code"));
    const char *principal = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "principal"));
    const char *fp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "fingerprint"));
    const char *claimed = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "requested_by"));
    const char *deployment = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "deployment_id"));
    const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "reason"));

    printf("%s  %-8s %-14s %-11s ", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "at")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "outcome")),
           code ? code : "-", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "action")));
    if (principal != NULL)
        printf("by %s (%s)", principal, fp ? fp : "-");
    else
        printf("by %s (unverified)", claimed ? claimed : "unknown");
    printf("  deployment %s  event %s", deployment ? deployment : "-",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "event_id")));
    if (reason != NULL)
        printf(": %s", reason);
    printf("\n");
}

/* cli_audit_query - the rows as a JSON array, NULL when it failed (told on stderr) */
static cJSON *cli_audit_query(const struct cli_audit_args *a)
{
    const char *params[] = {a->env, a->since_time,
                            a->since_interval[0] ? a->since_interval : NULL};
    struct db *db = cli_db_open();
    PGresult *res;
    cJSON *rows = NULL;

    if (db == NULL)
        return NULL;
    res = db_query(db, cli_audit_sql, 3, params);
    if (res == NULL)
        fprintf(stderr, "cutover: query failed: %s\n", db_last_error(db));
    else if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
        fprintf(stderr, "cutover: no environment \"%s\" (see cutover env list)\n", a->env);
    else
        rows = cJSON_Parse(PQgetvalue(res, 0, 0));
    if (res != NULL)
        PQclear(res);
    db_close(db);
    return rows;
}

/* cli_audit_cmd - print an environment's audit trail */
int cli_audit_cmd(int argc, char **argv)
{
    struct cli_audit_args a = {0};
    int rc = cli_audit_parse(argc, argv, &a);
    const cJSON *row;
    cJSON *rows;

    if (rc != 0)
        return cli_help_or(rc, cli_audit_usage);
    rows = cli_audit_query(&a);
    if (rows == NULL)
        return 1;
    if (a.json)
        cli_print_json(rows);
    else
        cJSON_ArrayForEach(row, rows)
            cli_audit_print_row(row);
    cJSON_Delete(rows);
    return 0;
}
