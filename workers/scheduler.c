/*
 * scheduler - cutover-scheduler: runs each environment's scheduled work
 *             (WordPress cron, WooCommerce's Action Scheduler) on its live
 *             color only (common/scheduler/scheduler.h).
 *
 * SYNOPSIS
 *	cutover-scheduler [--check] [--help]
 *	cutover-scheduler --once ENVIRONMENT
 *
 * DESCRIPTION
 *	Supervised by cutoverd like the other workers, any number of copies:
 *	every CUTOVER_SCHEDULER_TICK_MS it starts the runs that are due
 *	(an environment's "scheduler" section: command, interval_seconds,
 *	timeout_seconds) against the color that is live at that moment, and
 *	finishes those that ended. Whatever the number of copies, an
 *	environment's command never runs twice at once: the run is claimed
 *	through a lease row in PostgreSQL. It consumes no topic; SIGTERM
 *	kills the runs in flight and records them interrupted.
 *
 *	--once ENVIRONMENT runs the environment's command once now (not
 *	waiting for its interval, still never beside another run) and exits
 *	with its status, 75 when another run is in flight: the one-shot that a
 *	systemd timer on an admin host calls instead of the supervised loop.
 */
#include "base/config.h"
#include "base/log.h"
#include "io/db.h"
#include "scheduler/scheduler.h"
#include "worker/worker.h"

#include <stdio.h>
#include <string.h>

/* scheduler_tick_fire - the supervised loop's step */
static void scheduler_tick_fire(struct worker *w, const void *arg)
{
    (void)arg;
    scheduler_step(worker_db(w));
}

/* scheduler_tick_stop - shutdown: the runs in flight end now */
static void scheduler_tick_stop(struct worker *w, const void *arg)
{
    (void)arg;
    scheduler_stop(worker_db(w));
}

static const struct worker_tick scheduler_ticks[] = {
    {.name = "scheduler", .interval_var = "CUTOVER_SCHEDULER_TICK_MS",
     .fire = scheduler_tick_fire, .stop = scheduler_tick_stop},
};

static const struct worker_spec scheduler_spec = {
    .name = "scheduler",
    .summary = "Runs each environment's scheduled work (its \"scheduler\" command: WordPress "
               "cron) on the live color only, one run at a time across every copy.\n"
               "cutover-scheduler --once ENV runs it once now and exits with its status.",
    .handlers = NULL,
    .handler_count = 0,
    .ticks = scheduler_ticks,
    .tick_count = sizeof(scheduler_ticks) / sizeof(scheduler_ticks[0]),
};

/* scheduler_once_main - --once ENVIRONMENT: one run, its exit status */
static int scheduler_once_main(const char *environment)
{
    struct db *db;
    int status;

    log_init("scheduler");
    if ((status = config_start("cutover-scheduler", 0)) >= 0) {
        config_free();
        return status;
    }
    if ((db = db_connect(config_get("CUTOVER_DATABASE_URL"))) == NULL)
        log_fatal("database unreachable");
    status = scheduler_run_once(db, environment);
    db_close(db);
    config_free();
    return status;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--once") == 0)
        return scheduler_once_main(argv[2]);
    return worker_main(argc, argv, &scheduler_spec);
}
