/*
 * deployment_internal - shared by deployment.c, deployment_apply.c and
 *                       deployment_receive.c; not for workers.
 */
#ifndef CUTOVER_DEPLOYMENT_INTERNAL_H
#define CUTOVER_DEPLOYMENT_INTERNAL_H

#include "saga/deployment.h"

/* deployment_strategy_parse - a strategy document; bluegreen when absent */
void deployment_strategy_parse(const cJSON *doc, struct saga_strategy *out);

#endif
