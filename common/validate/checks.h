/*
 * checks - the validator's check runner: an environment's checks, run
 *          against the new color's preview route a step at a time.
 *
 * SYNOPSIS
 *	struct checks_target t = { url, "X-Cutover-Preview", "green", version, environment };
 *	char err[256];
 *	struct checks_run *run = checks_run_create(env_checks, &t, progress, err, sizeof(err));
 *	switch (checks_run_step(run)) {
 *	case CHECKS_WAITING:  nothing new: call again on the next tick
 *	case CHECKS_ADVANCED: a check finished: save checks_run_progress(run)
 *	case CHECKS_DONE:     checks_run_passed(run), checks_run_results(run)
 *	}
 *	checks_run_free(run);
 *
 * DESCRIPTION
 *	The checks are the "checks" array of an environment's document
 *	(schemas/environment.json), run in order, one at a time; every check
 *	runs, also after one failed, so that the report is whole. A step never
 *	blocks for longer than one HTTP request (bounded by the check's
 *	max_latency_ms, else timeout_seconds, else CHECKS_HTTP_TIMEOUT_MS):
 *	waits between retries and running commands are polled across steps.
 *
 *	http: GET preview url + path carrying "<header>: <color>", so that
 *	only the new color answers and live traffic is never used. Passes when
 *	the status equals expect_status (default: any 2xx), the body contains
 *	expect_body (searched in its first CHECKS_BODY_MAX bytes) and the
 *	request took at most max_latency_ms.
 *
 *	command: /bin/sh -c command in its own process group, stdin from
 *	/dev/null, with the worker's environment minus its CUTOVER_* variables
 *	(they hold secrets) plus CUTOVER_PREVIEW_URL, CUTOVER_PREVIEW_HEADER
 *	("Name: value"), CUTOVER_COLOR, CUTOVER_VERSION and
 *	CUTOVER_ENVIRONMENT. Exit status 0 passes. After timeout_seconds
 *	(default CHECKS_COMMAND_TIMEOUT_S) the group is killed; when the shell
 *	exits, what it left running in its group is killed too. The tail of
 *	its output becomes the detail. The shell dies with the runner
 *	(PR_SET_PDEATHSIG), so a killed validator leaves no check behind.
 *
 *	A failed attempt is tried again "retries" times with exponential
 *	backoff (CHECKS_BACKOFF_MS doubling, at most CHECKS_BACKOFF_MAX_MS).
 *	Each finished check gives {name, passed, detail, duration_ms}, the
 *	duration counting every attempt and backoff.
 *
 *	Progress ({"done": N, "checks": [results]}) can be saved after each
 *	check and handed to checks_run_create() by a process that takes the
 *	run over: checks whose names still match are not run again.
 */
#ifndef CUTOVER_CHECKS_H
#define CUTOVER_CHECKS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define CHECKS_MAX 50                /* the schema's maxItems */
#define CHECKS_HTTP_TIMEOUT_MS 10000 /* one request, without a bound of its own */
#define CHECKS_COMMAND_TIMEOUT_S 600 /* a command without timeout_seconds */
#define CHECKS_BODY_MAX 65536        /* bytes of a body kept for expect_body */
#define CHECKS_BACKOFF_MS 250
#define CHECKS_BACKOFF_MAX_MS 8000

enum checks_status { CHECKS_WAITING, CHECKS_ADVANCED, CHECKS_DONE };

/* Where the checks go; the strings are copied. */
struct checks_target {
    const char *url;         /* the preview url; "" or NULL when there is none */
    const char *header;      /* the preview header's name */
    const char *color;       /* the new color: the header's value */
    const char *version;     /* the release under test */
    const char *environment;
};

struct checks_run;

/* checks_run_create - a run of checks (a JSON array, NULL: none) against t,
 * resuming after the finished checks of progress (may be NULL); NULL with
 * err set when checks is not an array of at most CHECKS_MAX objects */
struct checks_run *checks_run_create(const cJSON *checks, const struct checks_target *t,
                                     const cJSON *progress, char *err, size_t err_len);
/* checks_run_step - advance the run without blocking for long */
enum checks_status checks_run_step(struct checks_run *run);
/* checks_run_passed - every finished check passed (true for no checks) */
bool checks_run_passed(const struct checks_run *run);
/* checks_run_results - a copy of the finished checks' results; caller frees */
cJSON *checks_run_results(const struct checks_run *run);
/* checks_run_progress - {"done": N, "checks": [...]}; caller frees */
cJSON *checks_run_progress(const struct checks_run *run);
/* checks_run_free - stop what runs (a command's group is killed) and free */
void checks_run_free(struct checks_run *run);

#endif
