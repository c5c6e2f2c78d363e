/*
 * scheduler - the scheduled work of every environment run on its live
 *             color only (scheduler.h).
 */
#include "scheduler/scheduler.h"
#include "scheduler/scheduler_child.h"
#include "scheduler/scheduler_doc.h"
#include "scheduler/scheduler_lease.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A run in flight in this process. */
struct scheduler_run {
    int active;
    char environment[64];
    struct scheduler_claim claim;
    struct scheduler_child child;
};

static struct scheduler_run scheduler_runs[SCHEDULER_MAX_RUNS];
static struct metric_family *scheduler_runs_total, *scheduler_run_seconds, *scheduler_in_flight;

/* scheduler_metrics - register the families once */
static void scheduler_metrics(void)
{
    static const char *const env_color_outcome[] = {"environment", "color", "outcome"};
    static const char *const outcome[] = {"outcome"};
    static const double seconds[] = {0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 7200};

    if (scheduler_runs_total != NULL)
        return;
    scheduler_runs_total = metrics_counter("cutover_scheduler_runs_total",
                                           "Runs of an environment's scheduled work, by the "
                                           "live color it ran on and how it ended.",
                                           env_color_outcome, 3);
    scheduler_run_seconds = metrics_histogram("cutover_scheduler_run_duration_seconds",
                                              "Time a run of scheduled work took.", outcome, 1,
                                              seconds, sizeof(seconds) / sizeof(seconds[0]));
    scheduler_in_flight = metrics_gauge("cutover_scheduler_runs_in_flight",
                                        "Runs of scheduled work this process has in flight.",
                                        NULL, 0);
}

/* scheduler_holder - this process's name on the leases: host:pid */
static const char *scheduler_holder(void)
{
    static char holder[300];

    if (holder[0] == '\0') {
        char host[256] = "localhost";

        gethostname(host, sizeof(host) - 1);
        snprintf(holder, sizeof(holder), "%s:%ld", host, (long)getpid());
    }
    return holder;
}

/* scheduler_log_path - CUTOVER_RUN_DIR/scheduler/ENV.log, the directory made */
static void scheduler_log_path(const char *environment, char *path, size_t len)
{
    snprintf(path, len, "%s/scheduler", config_get("CUTOVER_RUN_DIR"));
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        log_warn("cannot make %s: %s", path, strerror(errno));
    snprintf(path, len, "%s/scheduler/%s.log", config_get("CUTOVER_RUN_DIR"), environment);
}

/* scheduler_outcome - how a reaped run ended */
static const char *scheduler_outcome(const struct scheduler_child *c)
{
    if (c->timed_out)
        return "timeout";
    return c->exit_status == 0 ? "ok" : "failed";
}

/* scheduler_finish - record, log and count a run's end; frees its slot */
static void scheduler_finish(struct db *db, struct scheduler_run *run, const char *outcome)
{
    double took = (double)(clock_mono_ms() - run->child.started_ms) / 1000.0;

    log_context_set(run->environment, NULL, NULL);
    if (scheduler_lease_release(db, run->environment, scheduler_holder(), run->claim.run_id,
                                outcome, run->child.exit_status) != 0)
        log_error("scheduled run %s: its end is not recorded (the lease expires by itself)",
                  run->claim.run_id);
    log_msg(strcmp(outcome, "ok") == 0 ? LOG_INFO : LOG_WARN,
            "scheduled run %s on the live color %s: %s, exit status %d, %.3f s",
            run->claim.run_id, run->claim.color, outcome, run->child.exit_status, took);
    log_context_clear();
    metrics_add(scheduler_runs_total, 1,
                (const char *[]){run->environment, run->claim.color, outcome});
    metrics_observe(scheduler_run_seconds, took, (const char *[]){outcome});
    run->active = 0;
}

/* scheduler_start - claim the environment's run and start its command:
 * 1 started, 0 not claimed (not due, or in flight elsewhere), -1 failed */
static int scheduler_start(struct db *db, const char *environment, const char *config_text,
                           int force, struct scheduler_run *run)
{
    cJSON *config = cJSON_Parse(config_text);
    struct scheduler_doc doc;
    struct scheduler_target target;
    char err[512], log_path[4200];
    int rc = -1;

    log_context_set(environment, NULL, NULL);
    memset(run, 0, sizeof(*run));
    snprintf(run->environment, sizeof(run->environment), "%s", environment);
    if (config == NULL || scheduler_doc_parse(config, &doc, err, sizeof(err)) != 1) {
        log_error("no scheduled work to run: %s", config ? err : "unreadable document");
        goto out;
    }
    if ((rc = scheduler_lease_claim(db, environment, scheduler_holder(), &doc, force,
                                    &run->claim)) != 1)
        goto out;
    scheduler_target_of(config, run->claim.color, &target);
    scheduler_log_path(environment, log_path, sizeof(log_path));
    run->active = 1;
    if (scheduler_child_start(&run->child, &doc, environment, run->claim.run_id,
                              run->claim.color, &target, log_path, err, sizeof(err)) != 0) {
        log_error("scheduled run %s: %s", run->claim.run_id, err);
        run->child.exit_status = -1;
        scheduler_finish(db, run, "failed");
        rc = -1;
        goto out;
    }
    log_info("scheduled run %s started on the live color %s%s%s", run->claim.run_id,
             run->claim.color, target.port ? " at " : "", target.url);
out:
    log_context_clear();
    cJSON_Delete(config);
    return rc;
}

/* scheduler_reap - finish the runs that ended; kill those past their timeout */
static void scheduler_reap(struct db *db)
{
    for (size_t i = 0; i < SCHEDULER_MAX_RUNS; i++) {
        struct scheduler_run *run = &scheduler_runs[i];

        if (run->active && scheduler_child_poll(&run->child) == SCHEDULER_CHILD_DONE)
            scheduler_finish(db, run, scheduler_outcome(&run->child));
    }
}

/* scheduler_slot - a free slot for environment, or NULL when it runs here or none is free */
static struct scheduler_run *scheduler_slot(const char *environment)
{
    struct scheduler_run *free_slot = NULL;

    for (size_t i = 0; i < SCHEDULER_MAX_RUNS; i++) {
        if (scheduler_runs[i].active && strcmp(scheduler_runs[i].environment, environment) == 0)
            return NULL;
        if (!scheduler_runs[i].active && free_slot == NULL)
            free_slot = &scheduler_runs[i];
    }
    return free_slot;
}

/* scheduler_in_flight_count - runs active in this process */
static int scheduler_in_flight_count(void)
{
    int n = 0;

    for (size_t i = 0; i < SCHEDULER_MAX_RUNS; i++)
        n += scheduler_runs[i].active;
    return n;
}

/* scheduler_step - finish ended runs, start the due ones */
void scheduler_step(struct db *db)
{
    PGresult *due;

    scheduler_metrics();
    scheduler_reap(db);
    if (db_ok(db) && (due = scheduler_lease_due(db, config_get("CUTOVER_ENVIRONMENTS"))) != NULL) {
        for (int i = 0; i < PQntuples(due); i++) {
            struct scheduler_run *run = scheduler_slot(PQgetvalue(due, i, 0));

            if (run != NULL)
                scheduler_start(db, PQgetvalue(due, i, 0), PQgetvalue(due, i, 1), 0, run);
        }
        PQclear(due);
    }
    metrics_set(scheduler_in_flight, scheduler_in_flight_count(), NULL);
}

/* scheduler_stop - kill the runs in flight and record them interrupted */
void scheduler_stop(struct db *db)
{
    scheduler_metrics();
    for (size_t i = 0; i < SCHEDULER_MAX_RUNS; i++) {
        struct scheduler_run *run = &scheduler_runs[i];

        if (!run->active)
            continue;
        scheduler_child_kill(&run->child);
        scheduler_finish(db, run, "interrupted");
    }
    metrics_set(scheduler_in_flight, 0, NULL);
}

/* scheduler_run_once - one run of environment now, waited for: its exit status */
int scheduler_run_once(struct db *db, const char *environment)
{
    const char *params[] = {environment};
    PGresult *res = db_query(db, "SELECT config::text FROM environments WHERE name = $1", 1,
                             params);
    struct scheduler_run run;
    int rc = 1;

    scheduler_metrics();
    if (res == NULL || PQntuples(res) != 1) {
        log_error("environment %s: not found", environment);
    } else if ((rc = scheduler_start(db, environment, PQgetvalue(res, 0, 0), 1, &run)) == 1) {
        scheduler_child_wait(&run.child);
        scheduler_finish(db, &run, scheduler_outcome(&run.child));
        rc = run.child.exit_status < 0 ? 1 : run.child.exit_status;
    } else {
        if (rc == 0)
            log_warn("environment %s: a scheduled run is in flight elsewhere", environment);
        rc = rc == 0 ? SCHEDULER_BUSY : 1;
    }
    if (res)
        PQclear(res);
    return rc;
}
