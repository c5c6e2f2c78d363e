/*
 * traffic - what the shifter and the rollbacker share: feeding an
 *           operator's, validator's or monitor's command to the right
 *           deployment, and setting load balancer weights with a read-back.
 *
 * SYNOPSIS
 *	struct traffic_request req = {
 *		.deployment_id = traffic_json_string(ev->data, "deployment_id"),
 *		.scope = TRAFFIC_ACTIVE,
 *		.input = { .kind = SAGA_IN_PAUSE },
 *		.actor = requested_by, .reason = reason,
 *	};
 *	return traffic_request_apply(ctx, ev, &req, err);	(inside a handler)
 *
 *	struct provider_weights want;
 *	traffic_weights_for(COLOR_GREEN, 10, &want);		(blue 90, green 10)
 *	traffic_weights_set(ops, state, &want, err, sizeof(err));
 *
 * DESCRIPTION
 *	traffic_request_apply() locks the deployment the request names, or the
 *	environment's active one (TRAFFIC_ACTIVE_OR_LAST: else its most recent
 *	one, so that an alarm after completed is ignored with its reason in
 *	that deployment's history), applies the input and turns the saga's
 *	verdict into a handler result: a REJECT goes to dead-letter as
 *	not-allowed with the saga's reason (an operator sees why), IGNORE and
 *	DEFER are recorded and accepted.
 *
 *	traffic_weights_set() sets absolute weights and reads them back: a
 *	load balancer that reports other weights than those just set is an
 *	error, never a success.
 */
#ifndef CUTOVER_TRAFFIC_H
#define CUTOVER_TRAFFIC_H

#include "io/event.h"
#include "provider/provider.h"
#include "saga/effect.h"
#include "saga/saga.h"


#include <stdint.h>

enum traffic_scope {
    TRAFFIC_ACTIVE,         /* no deployment in flight: not allowed */
    TRAFFIC_ACTIVE_OR_LAST, /* else the environment's most recent deployment */
};

struct traffic_request {
    const char *deployment_id; /* NULL: chosen by scope */
    enum traffic_scope scope;
    struct saga_input input;
    const char *actor;  /* may be NULL */
    const char *reason; /* may be NULL */
};

/* traffic_request_apply - apply req's input to its deployment inside the
 * handler's transaction; 0 or -1 with err set (see DESCRIPTION) */
int traffic_request_apply(struct saga_ctx *ctx, const struct cloud_event *ev,
                          const struct traffic_request *req, struct event_error *err);

/* traffic_action_parse - a shift-requested action ("shift", "promote",
 * "pause", "resume", "rollback", "abort", "drill") as its saga input; 0 or -1 */
int traffic_action_parse(const char *action, enum saga_input_kind *kind);
/* traffic_action_owner - the worker that acts on a shift-requested action:
 * "rollbacker" (rollback, abort, drill), else "shifter" (unknown ones too:
 * the shifter dead-letters them) */
const char *traffic_action_owner(const char *action);

/* traffic_json_string - a string member of data; NULL when absent */
const char *traffic_json_string(const cJSON *data, const char *name);
/* traffic_json_int - an integer member of data; fallback when absent */
int64_t traffic_json_int(const cJSON *data, const char *name, int64_t fallback);

/* The part of a deployment row an effect step needs. */
struct traffic_deployment {
    enum color new_color;
    int step;
    int weight; /* the new color's share asked */
    char state[32];
};

/* traffic_deployment_read - outside any transaction; 0, or -1 (logged) */
int traffic_deployment_read(struct saga_ctx *ctx, const char *id, struct traffic_deployment *out);

/* traffic_effect_open - an effect's provider and deployment row, for a
 * step; 0, or -1 with why (a provider error; empty for the database) */
int traffic_effect_open(struct saga_ctx *ctx, const struct effect *e, const struct provider_ops **ops,
                        void **state, struct traffic_deployment *d, char *why, size_t why_len);

/* traffic_weights_for - absolute weights that give new_color share percent */
void traffic_weights_for(enum color new_color, int share, struct provider_weights *out);
/* traffic_weights_json - {blue, green} */
cJSON *traffic_weights_json(const struct provider_weights *wt);
/* traffic_weights_equal - same shares */
int traffic_weights_equal(const struct provider_weights *a, const struct provider_weights *b);
/* traffic_weights_set - set want, read back; 0 when the read-back equals
 * want, -1 with err otherwise */
int traffic_weights_set(const struct provider_ops *ops, void *state,
                        const struct provider_weights *want, char *err, size_t err_len);
/* traffic_effect_set_weights - traffic_weights_set() for effect e, done
 * once across restarts: the intent is recorded in e's handle (renewing its
 * lease) before the call, and a recorded intent the load balancer already
 * holds is not sent again; crash points "<worker>-<kind>-before-call" and
 * "-after-call", delay point "<kind>"; 0 or -1 with err */
int traffic_effect_set_weights(struct saga_ctx *ctx, struct effect *e,
                               const struct provider_ops *ops, void *state,
                               const struct provider_weights *want, char *err, size_t err_len);

#endif
