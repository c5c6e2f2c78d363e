/*
 * deployment_internal - shared by deployment.c, deployment_effects.c and
 *                       deployment_receive.c; not for workers.
 */
#ifndef CUTOVER_DEPLOYMENT_INTERNAL_H
#define CUTOVER_DEPLOYMENT_INTERNAL_H

#include "saga/deployment.h"

/* deployment_perform - carry out an outcome's effects: bookkeeping here,
 * provider effects into the effects table for their owners */
int deployment_perform(struct worker *w, struct deployment *d, const struct saga_state *before,
                       const struct saga_outcome *out, const char *reason);
void deployment_strategy_parse(const cJSON *doc, struct saga_strategy *out);

#endif
