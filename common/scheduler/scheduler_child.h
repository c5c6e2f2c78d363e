/*
 * scheduler_child - one run of an environment's scheduled command, as a
 *                   process group that is killed at its timeout even when
 *                   the scheduler that started it died.
 *
 * SYNOPSIS
 *	struct scheduler_child c;
 *	if (scheduler_child_start(&c, &doc, "shop", "green", &target, log_path, err, n) != 0) ...
 *	while (scheduler_child_poll(&c) == SCHEDULER_CHILD_RUNNING) ... (on a timer)
 *	c.exit_status, c.timed_out
 *
 * DESCRIPTION
 *	The command runs as /bin/sh -c COMMAND under coreutils' timeout
 *	(SIGTERM at timeout_seconds, SIGKILL SCHEDULER_KILL_AFTER_S later),
 *	in a process group of its own; timeout gets SIGTERM when its parent
 *	dies (PR_SET_PDEATHSIG), which it passes to the whole group. Its
 *	environment is the scheduler's without CUTOVER_* (no secret reaches
 *	it), plus CUTOVER_ENVIRONMENT, CUTOVER_LIVE_COLOR, CUTOVER_SCHEDULER_RUN
 *	and, on the local provider, CUTOVER_LIVE_PORT and CUTOVER_LIVE_URL.
 *	Its output is appended to log_path. scheduler_child_poll never blocks;
 *	at the deadline it kills the group itself (SIGKILL). A run is done
 *	once its leader is reaped and no process of its group runs any more
 *	(what the command left is killed; zombies, which run nothing and
 *	which a slow init may keep, do not count): only then may the next
 *	run start. scheduler_child_kill ends a run at once (shutdown).
 */
#ifndef CUTOVER_SCHEDULER_CHILD_H
#define CUTOVER_SCHEDULER_CHILD_H

#include "scheduler/scheduler_doc.h"

#include <stdint.h>
#include <sys/types.h>

enum scheduler_child_state { SCHEDULER_CHILD_RUNNING, SCHEDULER_CHILD_DONE };

struct scheduler_child {
    pid_t pid;            /* the group leader (timeout); 0 once reaped */
    pid_t group;          /* its process group; 0 once nothing of it runs */
    int64_t started_ms;   /* monotonic */
    int64_t deadline_ms;  /* monotonic: the group is killed from here on */
    int exit_status;      /* the command's status; -1 when killed by a signal */
    int timed_out;
};

/* scheduler_child_start - fork the run; 0, or -1 with err set */
int scheduler_child_start(struct scheduler_child *c, const struct scheduler_doc *doc,
                          const char *environment, const char *run_id, const char *color,
                          const struct scheduler_target *target, const char *log_path,
                          char *err, size_t err_len);

/* scheduler_child_poll - reap the run when it ended, kill it past its deadline */
enum scheduler_child_state scheduler_child_poll(struct scheduler_child *c);

/* scheduler_child_wait - poll until the run ended (a one-shot run) */
void scheduler_child_wait(struct scheduler_child *c);

/* scheduler_child_kill - SIGKILL the run's group and reap its leader */
void scheduler_child_kill(struct scheduler_child *c);

#endif
