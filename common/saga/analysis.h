/*
 * analysis - the analysis gates between canary steps, as the validator
 *            runs them.
 *
 * SYNOPSIS
 *	analysis_check(ctx);	(the validator's tick, every CUTOVER_ANALYSIS_TICK_MS)
 *
 * DESCRIPTION
 *	When the weight of a canary step with an "analysis" takes effect, the
 *	saga starts an analysis (a row of analyses, epoch and step; see
 *	saga.h). analysis_check() takes the running analyses of this
 *	process's environments whose deployment is still shifting at that
 *	epoch and step, and for each metric (analysis_metric.h) whose next
 *	measurement is due takes it: the measurement is a row of
 *	analysis_measurements, unique per (analysis, metric, seq), so that two
 *	validators measuring at once count once; the first writer records it
 *	in the deployment's history ("analysis:measurement": metric, number,
 *	outcome, the value against its range or the old color's, the query
 *	as sent). The analysis ends with the first metric that fails
 *	(ANALYSIS_FAILED: the saga rolls back), else the first inconclusive
 *	one (ANALYSIS_INCONCLUSIVE: the canary pauses for an operator), else,
 *	once the step's pause is over and every metric passed,
 *	ANALYSIS_PASSED (the canary moves on). The verdict, the analysis row
 *	and the saga's input are one transaction with the deployment locked;
 *	an analysis whose deployment moved on meanwhile changes nothing.
 *
 *	Metrics: cutover_analysis_measurements_total{outcome},
 *	cutover_analysis_verdicts_total{verdict} and the last value,
 *	cutover_analysis_value{environment,metric}.
 */
#ifndef CUTOVER_ANALYSIS_H
#define CUTOVER_ANALYSIS_H

#include "saga/saga_ctx.h"

#define ANALYSIS_RUNS_PER_CHECK 16
#define ANALYSIS_MEASUREMENTS_MAX 1024 /* per metric and analysis */

void analysis_check(struct saga_ctx *ctx);

#endif
