/*
 * scheduler_lease - the rows that make each environment's scheduled work
 *                   run once at a time across every scheduler process
 *                   (migration 0014: scheduler_leases, scheduler_runs).
 *
 * SYNOPSIS
 *	PGresult *due = scheduler_lease_due(db, pattern);	(name, config per row)
 *	struct scheduler_claim c;
 *	if (scheduler_lease_claim(db, env, holder, &doc, 0, &c) == 1) ... run on c.color
 *	scheduler_lease_release(db, env, holder, c.run_id, "ok", 0);
 *
 * DESCRIPTION
 *	A claim is one statement: the lease row of the environment gets this
 *	holder only where no unexpired lease exists and (unless forced) the
 *	next run is due, and the run row is written with the color that
 *	environments.live_color names in the same statement. Concurrent
 *	claims serialize on the lease row: one wins, the others see the
 *	lease and claim nothing. The lease lasts the run's timeout plus
 *	SCHEDULER_LEASE_GRACE_S: a holder that died leaves a run that its
 *	timeout wrapper kills within that time, after which the lease is
 *	free again. The next run is due interval_seconds after this one
 *	was claimed. Release clears the lease (only when still this
 *	holder's) and records how the run ended; the oldest runs past
 *	SCHEDULER_RUNS_KEPT per environment are deleted then. A claim closes
 *	as interrupted the runs that a holder which died left unfinished.
 */
#ifndef CUTOVER_SCHEDULER_LEASE_H
#define CUTOVER_SCHEDULER_LEASE_H

#include "io/db.h"
#include "scheduler/scheduler_doc.h"

#define SCHEDULER_KILL_AFTER_S 5    /* TERM at the timeout, KILL this long after */
#define SCHEDULER_LEASE_GRACE_S 10  /* past timeout + this, a lease is free */
#define SCHEDULER_RUNS_KEPT     10000

struct scheduler_claim {
    char run_id[24];
    char color[8]; /* the live color when claimed */
};

/* scheduler_lease_due - environments matching pattern whose document has a
 * scheduler section and no lease in force: name, config text; NULL on failure */
PGresult *scheduler_lease_due(struct db *db, const char *pattern);

/* scheduler_lease_claim - 1 claimed (out filled), 0 not (not due, held, or
 * no such environment), -1 database failure; force: due or not */
int scheduler_lease_claim(struct db *db, const char *environment, const char *holder,
                          const struct scheduler_doc *doc, int force,
                          struct scheduler_claim *out);

/* scheduler_lease_release - the run's end (outcome ok, failed, timeout,
 * interrupted; exit_status < 0: none) and the lease freed; 0 or -1 */
int scheduler_lease_release(struct db *db, const char *environment, const char *holder,
                            const char *run_id, const char *outcome, int exit_status);

#endif
