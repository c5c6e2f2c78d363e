/*
 * status - the saga's state as reported: where each environment stands,
 *          its deployments' history, and the finished deployments, each
 *          built by one parameterized query as a JSON document, for every
 *          reader (cutover status and history, cutover-web's API, page and
 *          metrics), so that they all tell the same story.
 *
 * SYNOPSIS
 *	cJSON *doc;
 *	enum status_rc rc = status_environment(db, "shop", &doc);
 *	if (rc != STATUS_OK) fprintf(stderr, "%s\n", status_strerror(rc));
 *
 *	status_environments(db, &doc);		([status document, ...] by name)
 *	status_history(db, "shop", 20, &doc);
 *	status_finished_after(db, &mark, handle_row, arg);	(metrics)
 *	status_rollbacks_after(db, &mark, handle_row, arg);
 *
 * DESCRIPTION
 *	The status document is a stable contract:
 *	  {"environment", "live_color", "weights": {"blue", "green"},
 *	   "health": {"blue": {"desired", "healthy", "error", "changed_at"}
 *	              | null, "green": (the same) | null},
 *	   "active": {"id", "state", "build_id", "version", "new_color",
 *	              "weight", "step", "steps", "epoch", "created_at",
 *	              "updated_at", "confirmed_weights": {"blue", "green"} | null,
 *	              "migrations", "caches"} | null,
 *	   "last_finished": {"id", "state", "build_id", "version",
 *	                     "finished_at", "reason", "migrations"} | null,
 *	   "signatures": {"mode": "required" | "optional", "production",
 *	                  "warning": text | null}}
 *	migrations are the database stage's (migration 0012): [{"phase"
 *	(expand | contract), "name", "status" (applied | refused | failed),
 *	"detail", "at"}], expand first, each phase in the release's order;
 *	[] for a deployment without a database stage. A last_finished in
 *	completed-with-warning has a failed contract migration among them.
 *	caches are the cache stage's (migration 0013): [{"name", "kind"
 *	(redis-prefix | command | cloudfront), "status" (ok | failed),
 *	"duration_ms", "message", "instances": [{"id", "state", "detail"}],
 *	"at"}] in the order they ran; [] for a deployment without caches.
 *	The weights are the active deployment's (weight is the new color's
 *	share), or 100 on the live color when nothing is active; step is the
 *	index of the current canary step (from 0; blue-green: 0) and steps
 *	how many the strategy has (0 for blue-green). confirmed_weights are
 *	the weights the provider read back after the deployment's last
 *	set-weights or restore-weights effect that is done (null before the
 *	first): what the load balancer was last seen doing, where weights is
 *	what the saga asks.
 *
 *	signatures is the environment's signature policy (worker_auth.h:
 *	required by default once signers lists principals); warning is set
 *	while a production environment takes unsigned commands.
 *
 *	health is each color's health as the rollbacker last read it from
 *	the provider (saga/health.h, table color_health): desired instances
 *	and healthy ones, or, when the reading failed, null counts and the
 *	provider's error; changed_at is when the reading last changed. A
 *	color is null until it has been read once.
 *
 *	The history document is {"environment", "deployments": [{"id",
 *	"build_id", "version", "state", "reason", "created_at", "updated_at",
 *	"finished_at", "migrations", "caches", "transitions": [{"from", "to", "event_type",
 *	"event_id", "actor", "reason", "at"}]}]}, newest deployment first,
 *	transitions in the order they happened. An ignored or rejected input
 *	is a transition with from = to and its reason.
 *
 *	Times are RFC 3339 in UTC with milliseconds. Only reads: nothing
 *	here changes the database.
 */
#ifndef CUTOVER_STATUS_H
#define CUTOVER_STATUS_H

#include "io/db.h"

#include <cjson/cJSON.h>

#define STATUS_ENVIRONMENTS_MAX 500  /* environments in one status_environments answer */
#define STATUS_HISTORY_MAX      1000 /* deployments in one history */

enum status_rc {
    STATUS_OK,
    STATUS_NO_ENVIRONMENT, /* the environment does not exist */
    STATUS_DB_FAILED,      /* the query failed (db_last_error tells why) */
    STATUS_NOT_JSON,       /* the database answered something that is not JSON */
};

/* status_strerror - a phrase for rc */
const char *status_strerror(enum status_rc rc);

/* status_environment - the status document of env into *out (caller frees) */
enum status_rc status_environment(struct db *db, const char *env, cJSON **out);
/* status_environments - an array of every environment's status document,
 * by name, at most STATUS_ENVIRONMENTS_MAX */
enum status_rc status_environments(struct db *db, cJSON **out);
/* status_history - the history document of env, newest limit deployments
 * (1..STATUS_HISTORY_MAX) */
enum status_rc status_history(struct db *db, const char *env, long limit, cJSON **out);

/* Where a status_..._after reader stopped: the last row it saw. */
struct status_mark {
    char finished_at[40]; /* "" before the first call */
    char id[40];
};

/* One finished thing the metrics count: a deployment, or a rollback's
 * old weights confirmed. */
struct status_finished {
    const char *environment;
    const char *label; /* a deployment: its end state; a rollback: its trigger */
    double seconds;    /* how long it took */
};

typedef void (*status_finished_fn)(const struct status_finished *f, void *arg);

/* status_finished_after - call fn for each deployment finished after *mark
 * (and at least STATUS_SETTLE_S ago, so that one committed late is not
 * skipped), in the order they finished, at most STATUS_FINISHED_BATCH per
 * call; advances *mark; the count, or -1 when the query failed. seconds:
 * build-ready received to finished; label: the end state */
#define STATUS_SETTLE_S        2
#define STATUS_FINISHED_BATCH  1000
int status_finished_after(struct db *db, struct status_mark *mark, status_finished_fn fn,
                          void *arg);
/* status_rollbacks_after - the same for each rollback whose old weights
 * were confirmed after *mark (restore-weights done; a drill's
 * drill-restore done). seconds: the alarm, command or drill received to
 * the old weights confirmed (read back); label: the trigger, "alarm"
 * (alarm-fired), "command" (an operator's rollback or abort), "drill",
 * or "other" (a stage timeout) */
int status_rollbacks_after(struct db *db, struct status_mark *mark, status_finished_fn fn,
                           void *arg);

#endif
