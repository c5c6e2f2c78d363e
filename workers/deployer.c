/*
 * deployer - cutover-deployer: installs the release on the new color.
 *
 * DESCRIPTION
 *	Consumes green-scaled: the deployment it names (data.deployment_id)
 *	gets the input "scaled" fenced by data.epoch, which asks for the
 *	deploy-new effect. A stale or refused input is recorded in the
 *	deployment's history by deployment_apply(); a deployment that does
 *	not exist, or lives in another environment, is refused (dead-letter).
 *
 *	Effects (saga/effect.h), stepped on the saga's tick (saga/saga_worker.h):
 *	deploy-new	provider deploy_start (new color; the release tagged
 *			with the deployment id) once, its handle recorded in
 *			the effect; then deploy_poll on each tick. Succeeded:
 *			emit green-deployed {color, provider_deployment_id,
 *			version}. Failed or stopped: apply deploy-failed with
 *			the provider's detail as the reason. A copy of the
 *			worker that claims the effect after a crash finds the
 *			recorded handle; when its provider does not know the
 *			handle (the local provider keeps runs in the process
 *			that started them), deploy_start is called again: it is
 *			idempotent by deployment id and is not counted as a
 *			second call.
 *	stop-provider-deployment
 *			deploy_stop on the handle of the deployment's deploy-new
 *			effect (read from the effects table); no handle, or a
 *			deployment the provider reports ended: nothing to stop,
 *			done. A stop that keeps failing ends the effect failed
 *			(the deployment has already ended; nothing waits on it).
 *	Crash points: deployer-<effect>-before-call, -after-call (around
 *	deploy_start and deploy_stop) and -before-finish.
 */
#include "base/log.h"
#include "saga/stage.h"
#include "saga/saga_worker.h"
#include "worker/worker.h"

#include <stdio.h>
#include <string.h>

/* deployer_green_scaled - the new color is up: the deployment may deploy */
static int deployer_green_scaled(struct worker *w, const struct cloud_event *ev,
                                 struct event_error *err)
{
    return deployment_apply_event(saga_ctx_of(w), ev, SAGA_IN_SCALED, err);
}

/* deployer_release - the provider release of a deployment */
static void deployer_release(const struct effect *e, const struct stage_target *t,
                             struct provider_release *rel)
{
    rel->deployment_id = e->deployment_id;
    rel->version = t->version;
    rel->artifact_uri = t->artifact_uri;
    rel->artifact_sha256 = t->artifact_sha256[0] ? t->artifact_sha256 : NULL;
}

/* deployer_start - deploy_start once per effect, its handle recorded */
static enum effect_step deployer_start(struct saga_ctx *ctx, struct effect *e,
                                       const struct provider_ops *ops, void *p,
                                       const struct stage_target *t)
{
    struct provider_release rel;
    char err[512];
    int rc;

    if (e->handle[0] != '\0')
        return EFFECT_DONE;
    deployer_release(e, t, &rel);
    stage_fault(ctx, e, "before-call");
    rc = ops->deploy_start(p, t->new_color, &rel, e->handle, sizeof(e->handle), err,
                           sizeof(err));
    stage_fault(ctx, e, "after-call");
    if (rc != 0) {
        e->handle[0] = '\0';
        return stage_call_failed(ctx, e, "deploy_start", err) ? EFFECT_FAILED : EFFECT_WAIT;
    }
    log_info("deploying %s to %s: %s", t->version, color_name(t->new_color), e->handle);
    stage_call_done(ctx, e, "started");
    return EFFECT_DONE;
}

/* deployer_reattach - deploy_start again for a handle the provider lost */
static enum effect_step deployer_reattach(struct saga_ctx *ctx, struct effect *e,
                                          const struct provider_ops *ops, void *p,
                                          const struct stage_target *t, const char *detail)
{
    struct provider_release rel;
    char handle[sizeof(e->handle)];
    char err[512];

    log_info("deployment %s not known here (%s): finding it again", e->handle, detail);
    deployer_release(e, t, &rel);
    if (ops->deploy_start(p, t->new_color, &rel, handle, sizeof(handle), err, sizeof(err)) != 0)
        return stage_call_failed(ctx, e, "deploy_start again", err) ? EFFECT_FAILED : EFFECT_WAIT;
    if (strcmp(handle, e->handle) != 0) {
        snprintf(e->handle, sizeof(e->handle), "%s", handle);
        if (effect_record(ctx, e) != 0)
            log_warn("effect %lld: recording the new handle failed", (long long)e->id);
    }
    return EFFECT_WAIT;
}

/* deployer_failed - the release did not install: the deployment fails */
static enum effect_step deployer_failed(struct saga_ctx *ctx, struct effect *e)
{
    struct saga_input in = {.kind = SAGA_IN_DEPLOY_FAILED, .epoch = e->epoch};

    log_warn("deploy-new failed: %s", e->error);
    return stage_finish(ctx, e, EFFECT_FAILED, &in, NULL, NULL);
}

/* deployer_deployed_data - the data of green-deployed */
static cJSON *deployer_deployed_data(const struct effect *e, const struct stage_target *t)
{
    cJSON *data = cJSON_CreateObject();

    cJSON_AddStringToObject(data, "color", color_name(t->new_color));
    cJSON_AddStringToObject(data, "provider_deployment_id", e->handle);
    cJSON_AddStringToObject(data, "version", t->version);
    return data;
}

/* deployer_poll - one deploy_poll and what its answer means for the effect */
static enum effect_step deployer_poll(struct saga_ctx *ctx, struct effect *e,
                                      const struct provider_ops *ops, void *p,
                                      const struct stage_target *t)
{
    enum provider_deploy_status status;
    char detail[512];

    if (ops->deploy_poll(p, e->handle, &status, detail, sizeof(detail)) != 0)
        return deployer_reattach(ctx, e, ops, p, t, detail);
    switch (status) {
    case DEPLOY_IN_PROGRESS:
        return EFFECT_WAIT;
    case DEPLOY_SUCCEEDED:
        log_info("deployed: %s", detail);
        return stage_finish(ctx, e, EFFECT_DONE, NULL, "green-deployed",
                            deployer_deployed_data(e, t));
    case DEPLOY_FAILED:
    case DEPLOY_STOPPED:
        snprintf(e->error, sizeof(e->error), "%s", detail);
        return deployer_failed(ctx, e);
    }
    log_panic("deployer_poll: provider status %d", (int)status);
}

/* deployer_deploy_new_step - start the release on the new color, then poll it */
static enum effect_step deployer_deploy_new_step(struct saga_ctx *ctx, struct effect *e)
{
    struct stage_target t;
    const struct provider_ops *ops;
    void *p;
    enum effect_step st;

    log_context_set(e->environment, e->deployment_id, NULL);
    if (stage_target_read(ctx, e, &t) != 0)
        return EFFECT_WAIT;
    if ((st = stage_provider(ctx, e, &ops, &p)) == EFFECT_DONE)
        st = deployer_start(ctx, e, ops, p, &t);
    if (st == EFFECT_FAILED)
        return deployer_failed(ctx, e);
    if (st == EFFECT_WAIT)
        return EFFECT_WAIT;
    return deployer_poll(ctx, e, ops, p, &t);
}

/* deployer_started_handle - the handle of the deployment's deploy-new; 0
 * found, 1 none, -1 error */
static int deployer_started_handle(struct saga_ctx *ctx, const struct effect *e, char *handle,
                                   size_t len)
{
    const char *params[] = {e->deployment_id};
    PGresult *res = db_query(ctx->db,
        "SELECT handle FROM effects WHERE deployment_id = $1 AND kind = 'deploy-new'"
        " AND handle IS NOT NULL AND handle <> '' ORDER BY id DESC LIMIT 1", 1, params);
    int rc = 1;

    if (res == NULL)
        return -1;
    if (PQntuples(res) == 1) {
        snprintf(handle, len, "%s", PQgetvalue(res, 0, 0));
        rc = 0;
    }
    PQclear(res);
    return rc;
}

/* deployer_stop_needed - 0 when the provider reports the deployment ended
 * (nothing to stop), 1 otherwise (running, or not known to it) */
static int deployer_stop_needed(const struct provider_ops *ops, void *p, const char *handle)
{
    enum provider_deploy_status status;
    char detail[512];

    if (ops->deploy_poll(p, handle, &status, detail, sizeof(detail)) != 0)
        return 1;
    if (status == DEPLOY_IN_PROGRESS)
        return 1;
    log_info("provider deployment %s already ended: %s", handle, detail);
    return 0;
}

/* deployer_stop - deploy_stop once; EFFECT_DONE, EFFECT_WAIT or EFFECT_FAILED */
static enum effect_step deployer_stop(struct saga_ctx *ctx, struct effect *e,
                                      const struct provider_ops *ops, void *p,
                                      const char *handle)
{
    char err[512];
    int rc;

    if (!deployer_stop_needed(ops, p, handle))
        return EFFECT_DONE;
    stage_fault(ctx, e, "before-call");
    rc = ops->deploy_stop(p, handle, err, sizeof(err));
    stage_fault(ctx, e, "after-call");
    if (rc != 0)
        return stage_call_failed(ctx, e, "deploy_stop", err) ? EFFECT_FAILED : EFFECT_WAIT;
    log_info("provider deployment %s stopped", handle);
    stage_call_done(ctx, e, "stopped");
    return EFFECT_DONE;
}

/* deployer_stop_step - stop the provider deployment deploy-new started */
static enum effect_step deployer_stop_step(struct saga_ctx *ctx, struct effect *e)
{
    const struct provider_ops *ops;
    void *p;
    char handle[256];
    enum effect_step st;
    int found;

    log_context_set(e->environment, e->deployment_id, NULL);
    if ((found = deployer_started_handle(ctx, e, handle, sizeof(handle))) < 0)
        return EFFECT_WAIT;
    if (found > 0 || stage_result_int(e, "stopped", 0))
        return stage_finish(ctx, e, EFFECT_DONE, NULL, NULL, NULL);
    if ((st = stage_provider(ctx, e, &ops, &p)) == EFFECT_DONE)
        st = deployer_stop(ctx, e, ops, p, handle);
    if (st == EFFECT_WAIT)
        return EFFECT_WAIT;
    if (st == EFFECT_FAILED)
        log_warn("stop-provider-deployment failed: %s", e->error);
    return stage_finish(ctx, e, st, NULL, NULL, NULL);
}

static const struct effect_handler deployer_effects[] = {
    {SAGA_FX_DEPLOY_NEW, deployer_deploy_new_step},
    {SAGA_FX_STOP_PROVIDER_DEPLOYMENT, deployer_stop_step},
};

static const struct worker_handler deployer_handlers[] = {
    {"green-scaled", deployer_green_scaled},
};

static const struct saga_effects deployer_saga = SAGA_EFFECTS(deployer_effects);

static const struct worker_tick deployer_ticks[] = {
    SAGA_TICK(&deployer_saga),
};

static const struct worker_spec deployer_spec = {
    .name = "deployer",
    .summary = "Consumes green-scaled and installs the release on the new color.",
    .handlers = deployer_handlers,
    .handler_count = sizeof(deployer_handlers) / sizeof(deployer_handlers[0]),
    .ticks = deployer_ticks,
    .tick_count = sizeof(deployer_ticks) / sizeof(deployer_ticks[0]),
};

int main(int argc, char **argv)
{
    return worker_main(argc, argv, &deployer_spec);
}
