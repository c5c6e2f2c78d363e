/*
 * fault - named crash points and delay points for chaos tests.
 *
 * SYNOPSIS
 *	fault_point("after-commit");
 *	fault_delay("set-weights");
 *
 * DESCRIPTION
 *	When CUTOVER_FAULT_POINT names this point (and CUTOVER_FAULT_SKIP hits
 *	of it have passed), the process logs one line and kills itself with
 *	SIGKILL, exactly as an operator's kill -9 or a machine losing power
 *	would. With the variable unset (always, outside tests) a point costs
 *	one string comparison. This is how the tests kill a worker at a chosen
 *	instruction instead of at a guessed moment.
 *
 *	fault_delay() is the same idea for time instead of death: when
 *	CUTOVER_FAULT_DELAY_POINT names the point, the process sleeps
 *	CUTOVER_FAULT_DELAY_MS there, so that a test can hold a provider call
 *	in flight while it makes something else happen. Chaos tests only: it
 *	blocks the worker's loop on purpose.
 */
#ifndef CUTOVER_FAULT_H
#define CUTOVER_FAULT_H

void fault_point(const char *name);
void fault_delay(const char *name);

#endif
