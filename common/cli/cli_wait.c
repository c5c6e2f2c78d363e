/*
 * cli_wait - what became of one published event: `--wait` of the
 *            publishing commands (see cli_follow.h).
 *
 * DESCRIPTION
 *	A worker records each event it takes in the inbox under (source, id,
 *	consumer), in the same transaction as what the event did: the
 *	saga's transitions carry the event id (an input that changed nothing
 *	is a transition from = to whose reason starts with the verdict,
 *	"ignore ...", "defer ..."), and an event it refuses goes to the
 *	outbox as a dead letter (topic dead-letter, keyed by the environment)
 *	that holds the original record and the error {code, message}. So
 *	once the inbox has the row of the worker that acts on the event
 *	(cli_wait_consumer), all it did is visible, and it is read in this
 *	order: the transitions, the dead letters, else "accepted" with
 *	nothing changed. A dead letter from any worker (an unknown
 *	environment is refused by every consumer) ends the wait before that.
 *	Dead letters are looked for only above the outbox id noted before the
 *	event was sent, an indexed range.
 *
 *	An event handled before this one was sent (a build-ready that CI
 *	publishes again has the same id) is reported as a duplicate with what
 *	it did the first time.
 */
#include "cli/cli.h"
#include "cli/cli_follow.h"

#include "base/clock.h"
#include "base/log.h"
#include "saga/traffic.h"

#include <stdlib.h>
#include <string.h>

/* The worker whose handling of an event decides what became of it
 * (shift-requested: the worker its action belongs to, saga/traffic.h). */
static const struct {
    const char *topic;
    const char *consumer;
} cli_wait_consumers[] = {
    {"build-ready", "scaler"},
    {"green-validated", "shifter"}, /* approve: passed, so the shifter's */
    {"alarm-fired", "rollbacker"},
};

static const char cli_wait_handled_sql[] =
    "SELECT received_at < $4::timestamptz, to_char(received_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD HH24:MI:SS') FROM inbox WHERE source = $1 AND id = $2 AND consumer = $3";

static const char cli_wait_transitions_sql[] =
    "SELECT " CLI_TRANSITION_COLUMNS " FROM transitions t"
    " JOIN deployments d ON d.id = t.deployment_id"
    " WHERE d.environment = $1 AND t.event_id = $2 ORDER BY t.id";

static const char cli_wait_dead_letters_sql[] =
    "SELECT value FROM outbox WHERE id > $1::bigint AND topic = 'dead-letter' AND key = $2"
    " AND strpos(value, $3) > 0 ORDER BY id";

/* cli_wait_consumer - the worker that acts on an event of topic with data */
const char *cli_wait_consumer(const char *topic, const cJSON *data)
{
    if (strcmp(topic, "shift-requested") == 0)
        return traffic_action_owner(
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "action")));
    for (size_t i = 0; i < sizeof(cli_wait_consumers) / sizeof(cli_wait_consumers[0]); i++)
        if (strcmp(cli_wait_consumers[i].topic, topic) == 0)
            return cli_wait_consumers[i].consumer;
    log_panic("cli_wait_consumer: no worker acts on %s", topic);
}

/* cli_wait_prepare - connect, note the outbox's last id and the clock */
struct db *cli_wait_prepare(struct cli_wait *w)
{
    struct db *db = cli_db_open();
    PGresult *res = db ? db_query(db, "SELECT coalesce(max(id), 0)::text, now()::text"
                                      " FROM outbox", 0, NULL)
                       : NULL;

    if (res == NULL) {
        fprintf(stderr, "cutover: --wait needs the database; nothing was sent\n");
        db_close(db);
        return NULL;
    }
    snprintf(w->floor, sizeof(w->floor), "%s", PQgetvalue(res, 0, 0));
    snprintf(w->since, sizeof(w->since), "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    return db;
}

/* cli_wait_handled - 1 the consumer took the event, 2 it had taken it
 * before it was sent (a duplicate), 0 not yet, -1 error */
static int cli_wait_handled(struct db *db, const struct cli_wait *w)
{
    const char *params[] = {w->source, w->id, w->consumer, w->since};
    PGresult *res = db_query(db, cli_wait_handled_sql, 4, params);
    int handled;

    if (res == NULL)
        return -1;
    handled = PQntuples(res) == 0 ? 0 : strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 2 : 1;
    if (handled == 2)
        printf("duplicate: %s had this event (source %s, id %s) at %s; what it did then:\n",
               w->consumer, w->source, w->id, PQgetvalue(res, 0, 1));
    PQclear(res);
    return handled;
}

/* cli_wait_transitions - print the transitions the event caused; their
 * number (status set) or -1 */
static int cli_wait_transitions(struct db *db, const struct cli_wait *w, int *status)
{
    const char *params[] = {w->env, w->id};
    PGresult *res = db_query(db, cli_wait_transitions_sql, 2, params);
    int n = res ? PQntuples(res) : -1;

    *status = CLI_EXIT_OK;
    for (int i = 0; i < n; i++) {
        if (i == 0 || strcmp(PQgetvalue(res, i, CLI_T_DEPLOYMENT),
                             PQgetvalue(res, i - 1, CLI_T_DEPLOYMENT)) != 0)
            printf("deployment %s\n", PQgetvalue(res, i, CLI_T_DEPLOYMENT));
        cli_follow_print_transition(stdout, res, i);
        if (strncmp(PQgetvalue(res, i, CLI_T_REASON), "reject ", 7) == 0)
            *status = CLI_EXIT_REFUSED;
    }
    if (res)
        PQclear(res);
    return n;
}

/* cli_wait_text - a string member, "?" when missing */
static const char *cli_wait_text(const cJSON *obj, const char *name)
{
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));

    return text ? text : "?";
}

/* cli_wait_dead_letter_of - 1 when the dead letter holds the event
 * (source, id): its error and the worker that wrote it printed */
static int cli_wait_dead_letter_of(const char *value, const struct cli_wait *w)
{
    cJSON *dl = cJSON_Parse(value);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(dl, "data");
    const cJSON *original = cJSON_GetObjectItemCaseSensitive(data, "value");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(data, "error");
    cJSON *ev = cJSON_IsString(original) ? cJSON_Parse(original->valuestring) : NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "id");
    const cJSON *source = cJSON_GetObjectItemCaseSensitive(ev, "source");
    int match = cJSON_IsString(id) && cJSON_IsString(source)
                && strcmp(id->valuestring, w->id) == 0
                && strcmp(source->valuestring, w->source) == 0;

    if (match)
        printf("dead-lettered by %s: %s: %s\n", cli_wait_text(dl, "source"),
               cli_wait_text(error, "code"), cli_wait_text(error, "message"));
    cJSON_Delete(ev);
    cJSON_Delete(dl);
    return match;
}

/* cli_wait_dead_letters - the dead letters of the event written since it
 * was sent; 1 found (printed), 0 none, -1 error */
static int cli_wait_dead_letters(struct db *db, const struct cli_wait *w)
{
    const char *params[] = {w->floor, w->env, w->id};
    PGresult *res = db_query(db, cli_wait_dead_letters_sql, 3, params);
    int found = 0;

    if (res == NULL)
        return -1;
    for (int i = 0; i < PQntuples(res) && !found; i++)
        found = cli_wait_dead_letter_of(PQgetvalue(res, i, 0), w);
    PQclear(res);
    return found;
}

/* cli_wait_poll - one look; 1 decided (printed, status set), 0 not yet, -1 error */
static int cli_wait_poll(struct db *db, const struct cli_wait *w, int *status)
{
    int handled = cli_wait_handled(db, w), n, dead;

    if (handled < 0)
        return -1;
    if (handled > 0 && (n = cli_wait_transitions(db, w, status)) != 0)
        return n < 0 ? -1 : 1;
    if (handled == 2) { /* its dead letter, if any, is older than the floor */
        printf("accepted by %s with no change of state\n", w->consumer);
        return 1;
    }
    if ((dead = cli_wait_dead_letters(db, w)) != 0) {
        *status = CLI_EXIT_REFUSED;
        return dead;
    }
    if (handled > 0)
        printf("accepted by %s with no change of state\n", w->consumer);
    return handled;
}

/* cli_wait_outcome - poll until decided or out of time; an exit status */
int cli_wait_outcome(struct db *db, const struct cli_wait *w, long seconds)
{
    int64_t deadline = clock_mono_ms() + seconds * 1000;
    int status = CLI_EXIT_OK, decided;

    fflush(stdout);
    while ((decided = cli_wait_poll(db, w, &status)) == 0
           && cli_follow_sleep(CLI_WAIT_POLL_MS, deadline) == 0)
        ;
    if (decided < 0)
        fprintf(stderr, "cutover: database: %s\n", db_last_error(db));
    else if (decided == 0)
        fprintf(stderr, "cutover: cutover-%s has not handled event %s within %ld s"
                        " (is it running?)\n", w->consumer, w->id, seconds);
    db_close(db);
    return decided > 0 ? status : decided < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_TIMEOUT;
}
