/*
 * fault - named crash points for chaos tests.
 *
 * SYNOPSIS
 *	fault_point("after-commit");
 *
 * DESCRIPTION
 *	When CUTOVER_FAULT_POINT names this point (and CUTOVER_FAULT_SKIP hits
 *	of it have passed), the process logs one line and kills itself with
 *	SIGKILL, exactly as an operator's kill -9 or a machine losing power
 *	would. With the variable unset (always, outside tests) a point costs
 *	one string comparison. This is how the tests kill a worker at a chosen
 *	instruction instead of at a guessed moment.
 */
#ifndef CUTOVER_FAULT_H
#define CUTOVER_FAULT_H

void fault_point(const char *name);

#endif
