/*
 * scheduler - the scheduled work of every environment (WordPress cron,
 *             WooCommerce's Action Scheduler) run on its live color only,
 *             one run at a time across every scheduler process.
 *
 * SYNOPSIS
 *	scheduler_step(db);		(on a timer: finish ended runs, start due ones)
 *	scheduler_stop(db);		(shutdown: kill and record the runs in flight)
 *	status = scheduler_run_once(db, "shop");	(one run now, waited for)
 *
 * DESCRIPTION
 *	An environment whose document declares "scheduler" (scheduler_doc.h)
 *	and whose name matches CUTOVER_ENVIRONMENTS is due every
 *	interval_seconds. scheduler_step claims each due one
 *	(scheduler_lease.h: the live color read in the claim, no second run
 *	while a lease is in force, whichever process holds it) and starts
 *	its command against that color (scheduler_child.h), without
 *	blocking; on later steps it reaps the runs that ended and kills those
 *	past their timeout. The live color is environments.live_color, which
 *	the saga flips when a deployment is promoted and back when a promoted
 *	deployment rolls back: until promotion the old color runs the
 *	scheduled work, from then on the new one.
 *
 *	Each run's output is appended to CUTOVER_RUN_DIR/scheduler/ENV.log;
 *	each run's end is logged (live color, outcome, exit status,
 *	duration), recorded in scheduler_runs, and counted in
 *	cutover_scheduler_runs_total{environment,color,outcome} and
 *	cutover_scheduler_run_duration_seconds{outcome};
 *	cutover_scheduler_runs_in_flight is the number running. Outcomes: ok,
 *	failed (non-zero exit or killed), timeout, interrupted (the scheduler
 *	stopped during the run).
 *
 *	scheduler_run_once is the one-shot of a systemd timer on an admin
 *	host: it claims the environment's run whether due or not (never while
 *	another run is in flight), waits for it, and returns the command's
 *	exit status; SCHEDULER_BUSY when a run is in flight elsewhere, 1 when
 *	the environment declares no scheduled work or the database fails.
 */
#ifndef CUTOVER_SCHEDULER_H
#define CUTOVER_SCHEDULER_H

#include "io/db.h"

#define SCHEDULER_MAX_RUNS 32 /* environments whose runs are in flight at once in one process */
#define SCHEDULER_BUSY     75 /* EX_TEMPFAIL: another run holds the lease */

void scheduler_step(struct db *db);
void scheduler_stop(struct db *db);
int scheduler_run_once(struct db *db, const char *environment);

#endif
