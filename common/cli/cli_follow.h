/*
 * cli_follow - what `cutover watch` and `--wait` share: following the saga
 *              from PostgreSQL, the exit statuses that say how it went,
 *              and the outcome of one published event.
 *
 * SYNOPSIS
 *	struct cli_wait w = {.topic = "shift-requested", .env = "shop", ...};
 *	db = cli_wait_prepare(&w);		(before the event is sent)
 *	... send the event with id w.id ...
 *	status = cli_wait_outcome(db, &w, 60);	(prints what happened)
 *
 * DESCRIPTION
 *	Both poll PostgreSQL (the saga's own record, nothing else): --wait
 *	every CLI_WAIT_POLL_MS, watch every CLI_WATCH_POLL_MS. A poll is a
 *	few indexed queries, so a handful of watchers cost the database
 *	little.
 *
 *	cli_follow.c (transition lines, sleeping with a deadline) is below
 *	cli_wait.c (one event's outcome) and cli_watch.c (the command).
 */
#ifndef CUTOVER_CLI_FOLLOW_H
#define CUTOVER_CLI_FOLLOW_H

#include "io/db.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_WAIT_POLL_MS     200
#define CLI_WATCH_POLL_MS    500
#define CLI_WAIT_DEFAULT_S   60   /* --wait without SECONDS */
#define CLI_WAIT_MAX_S       3600

/* Exit statuses of watch and --wait (0, 1 and 2 as every command). */
enum cli_follow_status {
    CLI_EXIT_OK = 0,          /* watch: completed; --wait: a transition, or accepted */
    CLI_EXIT_FAILURE = 1,     /* no database, unknown environment, not published */
    CLI_EXIT_USAGE = 2,       /* bad arguments */
    CLI_EXIT_REFUSED = 3,     /* watch: failed; --wait: dead-lettered or rejected */
    CLI_EXIT_ROLLED_BACK = 4, /* watch: rolled-back */
    CLI_EXIT_SUPERSEDED = 5,  /* watch: superseded */
    CLI_EXIT_TIMEOUT = 6,     /* the time given ran out first */
};

/* The columns cli_follow_print_transition() reads, for "FROM transitions t". */
#define CLI_TRANSITION_COLUMNS                                                             \
    "t.id, t.deployment_id, coalesce(t.from_state, ''), t.to_state, t.event_type,"         \
    " coalesce(t.actor, ''), coalesce(t.reason, ''),"                                      \
    " to_char(t.at AT TIME ZONE 'UTC', 'HH24:MI:SS')"

enum cli_transition_col {
    CLI_T_ID, CLI_T_DEPLOYMENT, CLI_T_FROM, CLI_T_TO, CLI_T_EVENT, CLI_T_ACTOR, CLI_T_REASON,
    CLI_T_AT,
};

/* cli_follow_print_transition - one transitions row as a line:
 * "HH:MM:SS  from -> to  event (actor): reason"; "==" for an input that
 * changed no state */
void cli_follow_print_transition(FILE *out, PGresult *res, int row);

/* cli_follow_sleep - sleep ms, but not past deadline (clock_mono_ms());
 * 0, or -1 when the deadline has passed (deadline 0: none) */
int cli_follow_sleep(int ms, int64_t deadline);

/* cli_follow_parse_seconds - "N" in 1..CLI_WAIT_MAX_S; 0 or -1 */
int cli_follow_parse_seconds(const char *text, long *out);

/* One event to wait for; prepare fills floor and since. */
struct cli_wait {
    const char *topic, *env, *source, *id;
    const char *consumer; /* the worker whose handling decides */
    char floor[24];       /* the outbox's last id before the event was sent */
    char since[48];       /* the database's clock then */
};

/* cli_wait_consumer - the worker that acts on an event of topic with data */
const char *cli_wait_consumer(const char *topic, const cJSON *data);

/* cli_wait_prepare - connect and note where the record stands, before the
 * event is sent; NULL (reported) when the database is unreachable */
struct db *cli_wait_prepare(struct cli_wait *w);

/* cli_wait_outcome - poll until the consumer has handled the event, print
 * what happened to it, close db; an enum cli_follow_status */
int cli_wait_outcome(struct db *db, const struct cli_wait *w, long seconds);

#endif
