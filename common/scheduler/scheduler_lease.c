/*
 * scheduler_lease - the rows that make each environment's scheduled work
 *                   run once at a time (scheduler_lease.h).
 */
#include "scheduler/scheduler_lease.h"

#include <stdio.h>
#include <string.h>

/* $1 environment, $2 holder, $3 lease seconds, $4 interval seconds, $5 force */
static const char scheduler_claim_sql[] =
    "WITH env AS (SELECT name, live_color FROM environments WHERE name = $1),"
    " lease AS (INSERT INTO scheduler_leases (environment, holder, leased_until, next_run_at)"
    "   SELECT name, $2, now() + make_interval(secs => $3::int),"
    "          now() + make_interval(secs => $4::int) FROM env"
    "   ON CONFLICT (environment) DO UPDATE SET holder = excluded.holder,"
    "     leased_until = excluded.leased_until, next_run_at = excluded.next_run_at"
    "   WHERE (scheduler_leases.holder IS NULL OR scheduler_leases.leased_until < now())"
    "     AND (scheduler_leases.next_run_at <= now() OR $5::bool)"
    "   RETURNING environment)"
    " INSERT INTO scheduler_runs (environment, color, holder)"
    " SELECT env.name, env.live_color, $2 FROM env JOIN lease ON lease.environment = env.name"
    " RETURNING id, color";

/* scheduler_lease_due - environments with scheduled work whose run may be due */
PGresult *scheduler_lease_due(struct db *db, const char *pattern)
{
    const char *params[] = {pattern};

    return db_query(db,
                    "SELECT e.name, e.config::text FROM environments e"
                    " LEFT JOIN scheduler_leases l ON l.environment = e.name"
                    " WHERE e.config ? 'scheduler' AND e.name ~ $1"
                    "   AND (l.environment IS NULL OR (l.next_run_at <= now()"
                    "        AND (l.holder IS NULL OR l.leased_until < now())))"
                    " ORDER BY e.name",
                    1, params);
}

/* scheduler_lease_close_abandoned - the runs a dead holder left unfinished
 * (its lease expired, so its process group is gone) end interrupted */
static int scheduler_lease_close_abandoned(struct db *db, const char *environment,
                                           const char *run_id)
{
    const char *params[] = {environment, run_id};

    return db_exec(db,
                   "UPDATE scheduler_runs SET finished_at = clock_timestamp(),"
                   " outcome = 'interrupted' WHERE environment = $1 AND finished_at IS NULL"
                   " AND id <> $2::bigint",
                   2, params);
}

/* scheduler_lease_claim - the lease and the run row, in one statement */
int scheduler_lease_claim(struct db *db, const char *environment, const char *holder,
                          const struct scheduler_doc *doc, int force,
                          struct scheduler_claim *out)
{
    char lease_s[24], interval_s[24];
    const char *params[] = {environment, holder, lease_s, interval_s, force ? "true" : "false"};
    PGresult *res;
    int claimed;

    snprintf(lease_s, sizeof(lease_s), "%d",
             doc->timeout_s + SCHEDULER_KILL_AFTER_S + SCHEDULER_LEASE_GRACE_S);
    snprintf(interval_s, sizeof(interval_s), "%d", doc->interval_s);
    if ((res = db_query(db, scheduler_claim_sql, 5, params)) == NULL)
        return -1;
    if ((claimed = PQntuples(res) == 1)) {
        snprintf(out->run_id, sizeof(out->run_id), "%s", PQgetvalue(res, 0, 0));
        snprintf(out->color, sizeof(out->color), "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    if (claimed && scheduler_lease_close_abandoned(db, environment, out->run_id) != 0)
        return -1;
    return claimed;
}

/* scheduler_lease_release - record the run's end, free the lease, prune old runs */
int scheduler_lease_release(struct db *db, const char *environment, const char *holder,
                            const char *run_id, const char *outcome, int exit_status)
{
    char status[16], kept[16];
    const char *run[] = {run_id, outcome, exit_status < 0 ? NULL : status};
    const char *lease[] = {environment, holder};
    const char *prune[] = {environment, kept};

    snprintf(status, sizeof(status), "%d", exit_status);
    snprintf(kept, sizeof(kept), "%d", SCHEDULER_RUNS_KEPT);
    if (db_exec(db,
                "UPDATE scheduler_runs SET finished_at = clock_timestamp(), outcome = $2,"
                " exit_status = $3::int WHERE id = $1::bigint AND finished_at IS NULL",
                3, run) != 0
        || db_exec(db,
                   "UPDATE scheduler_leases SET holder = NULL, leased_until = NULL"
                   " WHERE environment = $1 AND holder = $2",
                   2, lease) != 0)
        return -1;
    return db_exec(db,
                   "DELETE FROM scheduler_runs WHERE environment = $1 AND id <= (SELECT id"
                   " FROM scheduler_runs WHERE environment = $1 ORDER BY id DESC"
                   " OFFSET $2::int LIMIT 1)",
                   2, prune);
}
