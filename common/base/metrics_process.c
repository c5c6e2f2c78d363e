/*
 * metrics_process - the metrics every cutover process exports about
 *                   itself: when it started and what build it runs.
 *
 * SYNOPSIS
 *	metrics_process();
 *
 * DESCRIPTION
 *	cutover_process_start_time_seconds is the wall-clock time of the
 *	call (a process makes it first thing), in seconds since the epoch,
 *	the way Prometheus's client libraries export it, so that
 *	time() - it is the uptime and a change of it is a restart.
 *	cutover_build_info{version} is 1; version is the git description at
 *	build time (the Makefile's VERSION), which this file alone is
 *	compiled with, so that a new version rebuilds one object. Which
 *	process it is, the scrape's target says (cutoverd's targets file
 *	labels each with "process").
 */
#include "base/metrics.h"

#include <time.h>

#ifndef CUTOVER_VERSION
#define CUTOVER_VERSION "unknown"
#endif

/* metrics_process - register and set the process's start time and build info */
void metrics_process(void)
{
    static const char *const build_labels[] = {"version"};
    struct timespec now;
    struct metric_family *start = metrics_gauge(
        "cutover_process_start_time_seconds", "Start time of the process since the Unix epoch.",
        NULL, 0);
    struct metric_family *build = metrics_gauge(
        "cutover_build_info", "The version cutover was built from.", build_labels, 1);

    clock_gettime(CLOCK_REALTIME, &now);
    metrics_set(start, (double)now.tv_sec + (double)(now.tv_nsec / 1000000) / 1000, NULL);
    metrics_set(build, 1, (const char *[]){CUTOVER_VERSION});
}
