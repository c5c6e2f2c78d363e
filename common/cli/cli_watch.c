/*
 * cli_watch - `cutover watch ENV`: follow an environment's active (or
 *             next) deployment in the terminal until it ends.
 *
 * SYNOPSIS
 *	cutover watch ENV [--timeout SECONDS]
 *
 * DESCRIPTION
 *	Follows the deployment that is in flight, or, when none is, the first
 *	one that starts after the watch began. Polls PostgreSQL every
 *	CLI_WATCH_POLL_MS (the saga's own record: the deployment row, its
 *	transitions, and each color's health as the rollbacker last read it
 *	from the provider, saga/health.h), so it needs no Kafka client and
 *	shows what the saga believes.
 *
 *	Every transition is printed as a line when it happens, in order
 *	("HH:MM:SS  from -> to  event (actor): reason"; "==" for an input
 *	that changed nothing, with the saga's reason). The status (state,
 *	canary step n/N, the weights the saga asked, each color's health as
 *	healthy/desired, the new color first, "?" when the provider could
 *	not be read) is, on a terminal, one line at the
 *	bottom redrawn in place (carriage return and ANSI erase-line); when
 *	stdout is not a terminal it is a plain "status ..." line printed each
 *	time it changes. The last line is "deployment ID STATE: REASON".
 *
 *	Exit status (enum cli_follow_status): 0 completed, 3 failed,
 *	4 rolled-back, 5 superseded, 6 --timeout ran out first, 1 unknown
 *	environment or no database, 2 bad usage. Without --timeout it waits
 *	as long as the deployment runs (use one in CI).
 */
#include "cli/cli.h"
#include "cli/cli_follow.h"

#include "base/clock.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One watch: where it started and what it has shown. */
struct cli_watch {
    struct db *db;
    const char *env;
    char since[48];   /* the database's clock when the watch began */
    char id[40];      /* the deployment followed */
    char last[24];    /* the id of the last transition printed */
    char status[256]; /* the status last shown */
    int tty;
    int64_t deadline; /* 0: none */
};

static const char cli_watch_usage[] =
    "watch ENV [--timeout SECONDS]\n"
    "  Follows the active (or next) deployment of ENV until it ends: each transition\n"
    "  as it happens, and its state, canary step, weights and health (polls the\n"
    "  database every 0.5 s). Plain lines when stdout is not a terminal.\n"
    "  Exit status: 0 completed, 3 failed, 4 rolled-back, 5 superseded,\n"
    "  6 --timeout ran out, 1 unknown environment or no database, 2 bad usage.";

static const char cli_watch_start_sql[] =
    "SELECT now()::text FROM environments WHERE name = $1";

static const char cli_watch_pick_sql[] =
    "SELECT id FROM deployments WHERE environment = $1 AND NOT queued"
    " AND (NOT deployment_finished(state) OR created_at >= $2::timestamptz)"
    " ORDER BY deployment_finished(state), created_at LIMIT 1";

static const char cli_watch_row_sql[] =
    "WITH s AS (SELECT coalesce(d.strategy, e.config -> 'strategy') AS s FROM deployments d"
    "  JOIN environments e ON e.name = d.environment WHERE d.id = $1::uuid)"
    " SELECT d.state, deployment_finished(d.state), coalesce(d.new_color, ''), d.weight_new,"
    "  d.step, coalesce(s.s ->> 'kind', 'bluegreen'),"
    "  CASE WHEN jsonb_typeof(s.s -> 'steps') = 'array' THEN jsonb_array_length(s.s -> 'steps')"
    "  ELSE 0 END, coalesce(d.reason, ''), d.build_id, d.version,"
    "  (SELECT string_agg(h.color || ' ' || coalesce(h.healthy || '/' || h.desired, '?'), ' '"
    "    ORDER BY h.color = coalesce(d.new_color, 'blue') DESC, h.color)"
    "   FROM color_health h WHERE h.environment = d.environment)"
    " FROM deployments d, s WHERE d.id = $1::uuid";

enum { W_STATE, W_FINISHED, W_COLOR, W_WEIGHT, W_STEP, W_KIND, W_STEPS, W_REASON, W_BUILD,
       W_VERSION, W_HEALTH };

static const char cli_watch_transitions_sql[] =
    "SELECT " CLI_TRANSITION_COLUMNS " FROM transitions t"
    " WHERE t.deployment_id = $1::uuid AND t.id > $2::bigint ORDER BY t.id";

/* cli_watch_query - run sql on the watch's connection, reconnecting once
 * when it was lost; NULL (reported) on failure */
static PGresult *cli_watch_query(struct cli_watch *w, const char *sql, int n,
                                 const char *const *params)
{
    PGresult *res = db_query(w->db, sql, n, params);

    if (res == NULL && !db_ok(w->db) && db_reconnect(w->db) == 0)
        res = db_query(w->db, sql, n, params);
    if (res == NULL)
        fprintf(stderr, "%scutover: database: %s\n", w->tty ? "\r\033[K" : "",
                db_last_error(w->db));
    return res;
}

/* cli_watch_start - the environment exists; note the clock */
static int cli_watch_start(struct cli_watch *w)
{
    PGresult *res = cli_watch_query(w, cli_watch_start_sql, 1, &w->env);
    int rc = CLI_EXIT_FAILURE;

    if (res && PQntuples(res) == 0)
        fprintf(stderr, "cutover: no environment \"%s\" (see cutover env list)\n", w->env);
    else if (res) {
        snprintf(w->since, sizeof(w->since), "%s", PQgetvalue(res, 0, 0));
        rc = CLI_EXIT_OK;
    }
    if (res)
        PQclear(res);
    return rc;
}

/* cli_watch_pick - the deployment to follow into w->id; 1 found, 0 not yet, -1 error */
static int cli_watch_pick(struct cli_watch *w)
{
    const char *params[] = {w->env, w->since};
    PGresult *res = cli_watch_query(w, cli_watch_pick_sql, 2, params);
    int found = res && PQntuples(res) == 1;

    if (found)
        snprintf(w->id, sizeof(w->id), "%s", PQgetvalue(res, 0, 0));
    if (res)
        PQclear(res);
    return res ? found : -1;
}

/* cli_watch_find - wait for a deployment to follow; an exit status */
static int cli_watch_find(struct cli_watch *w)
{
    int found = cli_watch_pick(w), said = 0;

    while (found == 0) {
        if (!said++)
            printf("nothing in flight in %s: waiting for the next deployment\n", w->env);
        fflush(stdout);
        if (cli_follow_sleep(CLI_WATCH_POLL_MS, w->deadline) != 0) {
            fprintf(stderr, "cutover: no deployment of %s started in time\n", w->env);
            return CLI_EXIT_TIMEOUT;
        }
        found = cli_watch_pick(w);
    }
    return found > 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

/* cli_watch_format - the status line of a deployment row */
static void cli_watch_format(PGresult *res, char *out, size_t len)
{
    int share = atoi(PQgetvalue(res, 0, W_WEIGHT));
    int blue = strcmp(PQgetvalue(res, 0, W_COLOR), "blue") == 0 ? share : 100 - share;
    const char *health = PQgetvalue(res, 0, W_HEALTH);
    char step[48] = "";

    if (strcmp(PQgetvalue(res, 0, W_KIND), "canary") == 0)
        snprintf(step, sizeof(step), "  step %d/%s", atoi(PQgetvalue(res, 0, W_STEP)) + 1,
                 PQgetvalue(res, 0, W_STEPS));
    snprintf(out, len, "%s%s  blue %d %% green %d %%%s%s", PQgetvalue(res, 0, W_STATE), step,
             blue, 100 - blue, *health ? "  health " : "", health);
}

/* cli_watch_transitions - print the transitions not shown yet; 0 or -1 */
static int cli_watch_transitions(struct cli_watch *w)
{
    const char *params[] = {w->id, w->last};
    PGresult *res = cli_watch_query(w, cli_watch_transitions_sql, 2, params);
    int n = res ? PQntuples(res) : 0;

    if (n > 0 && w->tty)
        printf("\r\033[K");
    for (int i = 0; i < n; i++) {
        cli_follow_print_transition(stdout, res, i);
        snprintf(w->last, sizeof(w->last), "%s", PQgetvalue(res, i, CLI_T_ID));
    }
    if (n > 0 && w->tty) /* the status line goes below the new lines */
        printf("%s", w->status);
    if (res)
        PQclear(res);
    return res ? 0 : -1;
}

/* cli_watch_show - the status line: redrawn in place on a terminal,
 * a plain line when it changed elsewhere */
static void cli_watch_show(struct cli_watch *w, const char *status)
{
    if (strcmp(status, w->status) == 0)
        return;
    snprintf(w->status, sizeof(w->status), "%s", status);
    if (w->tty)
        printf("\r\033[K%s", status);
    else
        printf("status %s\n", status);
}

/* cli_watch_end_status - the exit status of a finished state */
static int cli_watch_end_status(const char *state)
{
    static const struct {
        const char *state;
        int status;
    } ends[] = {
        {"completed", CLI_EXIT_OK},
        {"completed-with-warning", CLI_EXIT_OK},
        {"failed", CLI_EXIT_REFUSED},
        {"rolled-back", CLI_EXIT_ROLLED_BACK},
        {"superseded", CLI_EXIT_SUPERSEDED},
    };

    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
        if (strcmp(ends[i].state, state) == 0)
            return ends[i].status;
    return CLI_EXIT_FAILURE;
}

/* cli_watch_step - one poll: the row first, then its transitions (so that
 * none committed with the end is missed); 1 ended, 0 goes on, -1 error */
static int cli_watch_step(struct cli_watch *w, int *status)
{
    const char *params[] = {w->id};
    PGresult *res = cli_watch_query(w, cli_watch_row_sql, 1, params);
    char line[256];
    int ended;

    if (res == NULL || PQntuples(res) != 1 || cli_watch_transitions(w) != 0) {
        if (res)
            PQclear(res);
        return -1;
    }
    cli_watch_format(res, line, sizeof(line));
    cli_watch_show(w, line);
    ended = strcmp(PQgetvalue(res, 0, W_FINISHED), "t") == 0;
    if (ended) {
        printf("%sdeployment %s %s: %s\n", w->tty ? "\r\033[K" : "", w->id,
               PQgetvalue(res, 0, W_STATE), PQgetvalue(res, 0, W_REASON));
        *status = cli_watch_end_status(PQgetvalue(res, 0, W_STATE));
    }
    PQclear(res);
    return ended;
}

/* cli_watch_follow - poll until the deployment ends or time runs out */
static int cli_watch_follow(struct cli_watch *w)
{
    int status = CLI_EXIT_FAILURE, ended;

    printf("watching deployment %s of %s\n", w->id, w->env);
    while ((ended = cli_watch_step(w, &status)) == 0) {
        fflush(stdout);
        if (cli_follow_sleep(CLI_WATCH_POLL_MS, w->deadline) != 0) {
            fprintf(stderr, "%scutover: deployment %s is still %s: --timeout ran out\n",
                    w->tty ? "\r\033[K" : "", w->id, w->status);
            return CLI_EXIT_TIMEOUT;
        }
    }
    return ended > 0 ? status : CLI_EXIT_FAILURE;
}

/* cli_watch_parse - ENV and --timeout; 0 to go on, -1 help, 2 bad usage */
static int cli_watch_parse(int argc, char **argv, struct cli_watch *w)
{
    static const struct option opts[] = {
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long seconds;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1 || optind < argc) {
        if (c == -1 && w->env != NULL)
            return cli_usage_fail(cli_watch_usage, "unexpected argument \"%s\"", argv[optind]);
        if (c == -1)
            w->env = argv[optind++];
        else if (c == 'h')
            return -1;
        else if (c == 't' && cli_follow_parse_seconds(optarg, &seconds) == 0)
            w->deadline = clock_mono_ms() + seconds * 1000;
        else
            return cli_usage_fail(cli_watch_usage, c == 't' ? "--timeout wants seconds in "
                                                              "1..3600" : NULL);
    }
    return w->env == NULL ? cli_usage_fail(cli_watch_usage, "missing ENV") : 0;
}

/* cli_watch_cmd - follow ENV's active or next deployment until it ends */
int cli_watch_cmd(int argc, char **argv)
{
    struct cli_watch w = {.last = "0", .tty = isatty(STDOUT_FILENO)};
    int rc = cli_watch_parse(argc, argv, &w);

    if (rc != 0)
        return cli_help_or(rc, cli_watch_usage);
    if ((w.db = cli_db_open()) == NULL)
        return CLI_EXIT_FAILURE;
    rc = cli_watch_start(&w);
    if (rc == CLI_EXIT_OK)
        rc = cli_watch_find(&w);
    if (rc == CLI_EXIT_OK)
        rc = cli_watch_follow(&w);
    fflush(stdout);
    db_close(w.db);
    return rc;
}
