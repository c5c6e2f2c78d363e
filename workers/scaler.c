/*
 * scaler - cutover-scaler: consumes build-ready and records a deployment.
 *
 * DESCRIPTION
 *	A build-ready for a known environment becomes a deployment row in the
 *	"received" state (the same build_id twice is one deployment), with its
 *	first transition in the audit trail and a deployment-status event.
 */
#include "log.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

/* scaler_json_text - a JSON member as text (objects unformatted), or NULL */
static char *scaler_json_text(const cJSON *data, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(data, name);

    if (item == NULL || cJSON_IsNull(item))
        return NULL;
    if (cJSON_IsString(item))
        return strdup(item->valuestring);
    return cJSON_PrintUnformatted(item);
}

/* scaler_status - the deployment-status event of a new deployment */
static int scaler_status(struct worker *w, const char *environment, const char *id)
{
    cJSON *data = cJSON_CreateObject();

    cJSON_AddStringToObject(data, "environment", environment);
    cJSON_AddStringToObject(data, "deployment_id", id);
    cJSON_AddStringToObject(data, "state", "received");
    cJSON_AddNullToObject(data, "previous");
    cJSON_AddStringToObject(data, "reason", "build-ready accepted");
    return worker_emit(w, "deployment-status", environment, data);
}

/* scaler_record - insert the deployment and its first transition; 1 when new */
static int scaler_record(struct worker *w, const struct cloud_event *ev, char *id)
{
    char *version = scaler_json_text(ev->data, "version");
    char *build = scaler_json_text(ev->data, "build_id");
    char *artifact = scaler_json_text(ev->data, "artifact");
    char *strategy = scaler_json_text(ev->data, "strategy");
    char *request = cJSON_PrintUnformatted(ev->data);
    const char *params[] = {id, ev->subject, build, version, artifact, strategy, request,
                            ev->type, ev->id, ev->source};
    PGresult *res = db_query(worker_db(w),
        "WITH d AS (INSERT INTO deployments (id, environment, build_id, version, artifact,"
        " strategy, request, state) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb,"
        " 'received') ON CONFLICT (environment, build_id) DO NOTHING RETURNING id)"
        " INSERT INTO transitions (deployment_id, from_state, to_state, event_type, event_id,"
        " actor, reason, epoch) SELECT id, NULL, 'received', $8, $9, $10, 'build-ready accepted', 1"
        " FROM d RETURNING deployment_id", 10, params);
    int inserted = res ? PQntuples(res) : -1;

    if (res)
        PQclear(res);
    free(version);
    free(build);
    free(artifact);
    free(strategy);
    free(request);
    return inserted;
}

/* scaler_build_ready - a release is built: record its deployment */
static int scaler_build_ready(struct worker *w, const struct cloud_event *ev,
                              struct event_error *err)
{
    char id[37];
    int inserted;

    event_uuid4(id);
    inserted = scaler_record(w, ev, id);
    if (inserted < 0)
        return event_error_set(err, EVENT_INTERNAL, "recording the deployment failed");
    if (inserted == 0) {
        log_info("build already has a deployment: nothing to do");
        return 0;
    }
    log_context_set(ev->subject, id, ev->id);
    log_info("deployment received");
    if (scaler_status(w, ev->subject, id) != 0)
        return event_error_set(err, EVENT_INTERNAL, "queueing deployment-status failed");
    return 0;
}

static const struct worker_handler scaler_handlers[] = {
    {"build-ready", scaler_build_ready},
};

static const struct worker_spec scaler_spec = {
    .name = "scaler",
    .summary = "Consumes build-ready and records the deployment it starts.",
    .handlers = scaler_handlers,
    .handler_count = sizeof(scaler_handlers) / sizeof(scaler_handlers[0]),
};

int main(int argc, char **argv)
{
    return worker_main(argc, argv, &scaler_spec);
}
