/*
 * cli_db - `cutover db`: a release's migrations applied to the
 *          application's database by hand, and what it has recorded.
 *
 * SYNOPSIS
 *	cutover db apply DOC RELEASE_DIR --phase expand|contract [--deployment ID]
 *	cutover db status DOC
 *
 * DESCRIPTION
 *	DOC is an environment document (its "database" object is used) or a
 *	file holding the database object alone (schemas/environment.json).
 *	apply runs common/appdb/appdb.h's executor: the lint first, then each
 *	migration of the phase exactly once; its report goes to stdout, the
 *	reason of a refusal or failure to stderr. status prints the rows of
 *	cutover_schema_migrations, one line each. The password is never
 *	printed.
 *
 *	Exit status: 0 applied, 1 refused or failed, 2 bad usage.
 */
#include "cli/cli.h"

#include "appdb/appdb.h"
#include "base/buf.h"
#include "io/schema.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_DOC_MAX    (1024 * 1024)
#define DB_REPORT_MAX (16 * 1024 * 1024)

static const char db_apply_usage[] =
    "db apply DOC RELEASE_DIR --phase expand|contract [--deployment ID]\n"
    "  DOC: an environment document or its \"database\" object (JSON)";
static const char db_status_usage[] = "db status DOC";

/* The command line of db apply. */
struct db_args {
    const char *doc, *release_dir, *deployment_id;
    enum sql_phase phase;
    int phase_given;
};

/* db_config_load - the database object of DOC parsed; NULL with the reason on stderr */
static struct appdb_config *db_config_load(const char *path)
{
    char err[512];
    cJSON *doc = json_file_read(path, DB_DOC_MAX, err, sizeof(err));
    cJSON *obj = cJSON_GetObjectItemCaseSensitive(doc, "database");
    struct appdb_config *cfg = NULL;
    char *text = doc ? cJSON_PrintUnformatted(cJSON_IsObject(obj) ? obj : doc) : NULL;

    if (doc == NULL)
        fprintf(stderr, "cutover: %s\n", err);
    else if (appdb_config_parse(text ? text : "", &cfg, err, sizeof(err)) != 0)
        fprintf(stderr, "cutover: %s: %s\n", path, err);
    if (text != NULL)
        explicit_bzero(text, strlen(text));
    free(text);
    cJSON_Delete(doc);
    return cfg;
}

/* db_parse_args - DOC, RELEASE_DIR and the options; 0 to go on, -1 help asked, 2 bad usage */
static int db_parse_args(int argc, char **argv, struct db_args *args)
{
    static const struct option opts[] = {
        {"phase", required_argument, NULL, 'p'}, {"deployment", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1 || optind < argc) {
        if (c == -1 && args->release_dir != NULL)
            return cli_usage_fail(db_apply_usage, "unexpected argument \"%s\"", argv[optind]);
        if (c == -1)
            *(args->doc ? &args->release_dir : &args->doc) = argv[optind++];
        else if (c == 'h')
            return -1;
        else if (c == 'p' && sql_phase_parse(optarg, &args->phase) != 0)
            return cli_usage_fail(db_apply_usage, "--phase is expand or contract, not \"%s\"", optarg);
        else if (c == 'p')
            args->phase_given = 1;
        else if (c == 'd')
            args->deployment_id = optarg;
        else
            return cli_usage_fail(db_apply_usage, NULL);
    }
    if (args->release_dir == NULL)
        return cli_usage_fail(db_apply_usage, "missing DOC or RELEASE_DIR");
    return args->phase_given ? 0 : cli_usage_fail(db_apply_usage, "missing --phase");
}

int cli_db_apply_cmd(int argc, char **argv)
{
    struct db_args args = {.deployment_id = "manual"};
    struct appdb_config *cfg;
    struct buf report;
    enum appdb_result result;
    char err[1024];
    int rc = db_parse_args(argc, argv, &args);

    if (rc != 0)
        return cli_help_or(rc, db_apply_usage);
    if ((cfg = db_config_load(args.doc)) == NULL)
        return 1;
    buf_init(&report, DB_REPORT_MAX);
    result = appdb_apply(cfg, args.release_dir, args.phase, args.deployment_id, &report, err,
                         sizeof(err));
    fputs(report.data ? report.data : "", stdout);
    printf("%s: %s\n", sql_phase_name(args.phase), appdb_result_name(result));
    if (result != APPDB_APPLIED)
        fprintf(stderr, "cutover: %s\n", err);
    buf_free(&report);
    appdb_config_free(cfg);
    return result == APPDB_APPLIED ? 0 : 1;
}

int cli_db_status_cmd(int argc, char **argv)
{
    struct appdb_config *cfg;
    struct buf report;
    char err[512];
    int rc;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return cli_help_or(-1, db_status_usage);
    if (argc != 2)
        return cli_usage_fail(db_status_usage, NULL);
    if ((cfg = db_config_load(argv[1])) == NULL)
        return 1;
    buf_init(&report, DB_REPORT_MAX);
    rc = appdb_status(cfg, &report, err, sizeof(err));
    fputs(report.data ? report.data : "", stdout);
    if (rc != 0)
        fprintf(stderr, "cutover: %s\n", err);
    buf_free(&report);
    appdb_config_free(cfg);
    return rc == 0 ? 0 : 1;
}
