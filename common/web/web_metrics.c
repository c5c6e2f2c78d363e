/*
 * web_metrics - the environments' metrics, read from PostgreSQL at each
 *               scrape through the same status documents the API serves.
 *
 * DESCRIPTION
 *	Gauges, set afresh at each scrape (an environment that is gone
 *	leaves no series behind):
 *	  cutover_environment_live_color{environment,color}  1 on the live color, 0 on the other
 *	  cutover_traffic_weight_ratio{environment,color}     the saga's weights, 0..1
 *	  cutover_traffic_weight_confirmed_ratio{environment,color}  the weights the provider
 *	      read back after the active deployment's last weight change (nothing active: the
 *	      saga's weights; none read back yet: no series)
 *	  cutover_deployment_state{environment,state}         1 on the state of the active
 *	      deployment (none active: the last finished one's), 0 on every other state,
 *	      the way Argo Rollouts' rollout_info shows a rollout's phase
 *	  cutover_canary_step{environment}                    the canary step in force, from 1;
 *	      0 when no canary moves traffic
 *	  cutover_canary_steps{environment}                   the active canary's number of steps
 *	  cutover_color_instances{environment,color,condition}  instances of each color,
 *	      condition desired or healthy, as the rollbacker last read them (no series
 *	      before the first reading or while the reading fails)
 *	Counted as deployments finish (each once per process; a restart
 *	starts from zero and counts every finished deployment again, which
 *	Prometheus reads as a counter reset):
 *	  cutover_deployments_total{environment,state}        by end state
 *	  cutover_deployment_duration_seconds{environment,state}  received to finished
 *	  cutover_rollback_duration_seconds{environment,trigger}  the alarm, command
 *	      or drill received to the old color's weights confirmed (read back);
 *	      trigger: alarm, command, drill or other (saga/status.h)
 *	Label sets are bounded by STATUS_ENVIRONMENTS_MAX environments.
 */
#include "web/web_internal.h"

#include "base/log.h"
#include "base/metrics.h"
#include "saga/saga.h"

#include <string.h>

#define WEB_END_STATES 4 /* completed, failed, rolled-back, superseded */
#define WEB_TRIGGERS   4 /* alarm, command, drill, other */

static const char *const web_env_color[] = {"environment", "color"};
static const char *const web_env_state[] = {"environment", "state"};
static const char *const web_env[] = {"environment"};
static const char *const web_env_trigger[] = {"environment", "trigger"};
static const char *const web_env_color_condition[] = {"environment", "color", "condition"};
static const double web_duration_buckets[] = {30,   60,    120,   300,   600,   900,
                                              1800, 3600,  7200,  14400, 28800, 86400};
static const double web_rollback_buckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                              1,    2.5,   5,    10,  30,   60};

static struct metric_family *web_live_color, *web_weight, *web_confirmed, *web_state, *web_step,
    *web_steps, *web_rollback_ready, *web_instances;
static struct metric_family *web_finished, *web_duration, *web_rollback;

/* web_number - a member as a number, or fallback */
static double web_number(const cJSON *obj, const char *name, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

/* web_string - a member as a string, or "" */
static const char *web_string(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsString(v) ? v->valuestring : "";
}

/* web_metrics_health - desired and healthy instances of each color of one environment */
static void web_metrics_health(const char *env, const cJSON *doc)
{
    const cJSON *health = cJSON_GetObjectItemCaseSensitive(doc, "health");
    static const char *const colors[] = {"blue", "green"};
    static const char *const conditions[] = {"desired", "healthy"};

    for (size_t i = 0; i < 2; i++) {
        const cJSON *reading = cJSON_GetObjectItemCaseSensitive(health, colors[i]);

        for (size_t k = 0; k < 2; k++) {
            const cJSON *count = cJSON_GetObjectItemCaseSensitive(reading, conditions[k]);
            const char *labels[] = {env, colors[i], conditions[k]};

            if (cJSON_IsNumber(count))
                metrics_set(web_instances, count->valuedouble, labels);
        }
    }
}

/* web_metrics_colors - live color and weights, asked and confirmed, of one environment */
static void web_metrics_colors(const char *env, const cJSON *doc)
{
    const cJSON *weights = cJSON_GetObjectItemCaseSensitive(doc, "weights");
    const cJSON *active = cJSON_GetObjectItemCaseSensitive(doc, "active");
    const cJSON *confirmed = cJSON_IsObject(active)
                                 ? cJSON_GetObjectItemCaseSensitive(active, "confirmed_weights")
                                 : weights;
    static const char *const colors[] = {"blue", "green"};

    for (size_t i = 0; i < 2; i++) {
        const char *labels[] = {env, colors[i]};

        metrics_set(web_live_color, strcmp(web_string(doc, "live_color"), colors[i]) == 0,
                    labels);
        metrics_set(web_weight, web_number(weights, colors[i], 0) / 100.0, labels);
        if (cJSON_IsObject(confirmed))
            metrics_set(web_confirmed, web_number(confirmed, colors[i], 0) / 100.0, labels);
    }
}

/* web_metrics_deployment - state and canary step of one environment */
static void web_metrics_deployment(const char *env, const cJSON *doc)
{
    const cJSON *active = cJSON_GetObjectItemCaseSensitive(doc, "active");
    const cJSON *shown = cJSON_IsObject(active) ? active
                                                : cJSON_GetObjectItemCaseSensitive(doc, "last_finished");
    const char *state = web_string(shown, "state");
    double steps = web_number(active, "steps", 0);
    int moving = steps > 0 && web_number(active, "weight", 0) > 0;
    const char *labels[] = {env, NULL};

    for (int s = 0; s < SAGA_STATE_COUNT; s++) {
        labels[1] = saga_state_name((enum saga_state_kind)s);
        metrics_set(web_state, strcmp(state, labels[1]) == 0, labels);
    }
    metrics_set(web_step, moving ? web_number(active, "step", 0) + 1 : 0, labels);
    metrics_set(web_steps, steps, labels);
    metrics_set(web_rollback_ready,
                !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(active, "rollback_ready")), labels);
}

/* web_metrics_finished_cb - one deployment that finished since the last scrape */
static void web_metrics_finished_cb(const struct status_finished *f, void *arg)
{
    const char *labels[] = {f->environment, f->label};

    (void)arg;
    metrics_add(web_finished, 1, labels);
    metrics_observe(web_duration, f->seconds, labels);
}

/* web_metrics_rollback_cb - one rollback confirmed since the last scrape */
static void web_metrics_rollback_cb(const struct status_finished *f, void *arg)
{
    const char *labels[] = {f->environment, f->label};

    (void)arg;
    metrics_observe(web_rollback, f->seconds, labels);
}

/* web_metrics_collect - before each scrape: the gauges from the status documents */
static void web_metrics_collect(void *arg)
{
    struct web *w = arg;
    struct db *db = web_db(w);
    struct metric_family *gauges[] = {web_live_color, web_weight, web_confirmed, web_state,
                                      web_step, web_steps, web_rollback_ready, web_instances};
    cJSON *all = NULL, *doc;

    for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
        metrics_clear(gauges[i]);
    if (db == NULL || status_environments(db, &all) != STATUS_OK) {
        log_warn("metrics: the environments could not be read; their gauges are left out");
        return;
    }
    cJSON_ArrayForEach(doc, all) {
        const char *env = web_string(doc, "environment");

        web_metrics_colors(env, doc);
        web_metrics_health(env, doc);
        web_metrics_deployment(env, doc);
    }
    cJSON_Delete(all);
    if (status_finished_after(db, &w->mark, web_metrics_finished_cb, w) < 0)
        log_warn("metrics: finished deployments could not be read");
    if (status_rollbacks_after(db, &w->rollbacks_mark, web_metrics_rollback_cb, w) < 0)
        log_warn("metrics: rollbacks could not be read");
}

/* web_metrics_start - register the families and the collector */
void web_metrics_start(struct web *w)
{
    web_live_color = metrics_gauge("cutover_environment_live_color",
                                   "1 on the environment's live color, 0 on the other.",
                                   web_env_color, 2);
    web_weight = metrics_gauge("cutover_traffic_weight_ratio",
                               "Share of the traffic the saga gives each color, 0 to 1.",
                               web_env_color, 2);
    web_confirmed = metrics_gauge("cutover_traffic_weight_confirmed_ratio",
                                  "Share of the traffic the provider read back for each color"
                                  " after the last weight change, 0 to 1.",
                                  web_env_color, 2);
    web_state = metrics_gauge("cutover_deployment_state",
                              "1 on the state of the active deployment (else the last finished"
                              " one), 0 on every other state.",
                              web_env_state, 2);
    web_step = metrics_gauge("cutover_canary_step",
                             "Canary step in force, from 1; 0 when no canary moves traffic.",
                             web_env, 1);
    web_steps = metrics_gauge("cutover_canary_steps", "Steps of the active canary.", web_env, 1);
    web_rollback_ready = metrics_gauge("cutover_rollback_ready",
                                       "0 while the old color could not take all the traffic back"
                                       " at once (the rollbacker's guard), else 1.",
                                       web_env, 1);
    web_instances = metrics_gauge("cutover_color_instances",
                                  "Instances of each color as the rollbacker last read them from"
                                  " the provider: desired, and healthy among them.",
                                  web_env_color_condition, 3);
    web_finished = metrics_counter("cutover_deployments_total",
                                   "Deployments finished, by end state.", web_env_state, 2);
    web_duration = metrics_histogram("cutover_deployment_duration_seconds",
                                     "Time from build-ready received to finished, by end state.",
                                     web_env_state, 2, web_duration_buckets,
                                     sizeof(web_duration_buckets) / sizeof(web_duration_buckets[0]));
    web_rollback = metrics_histogram("cutover_rollback_duration_seconds",
                                     "Time from an alarm, rollback command or drill received to"
                                     " the old color's weights confirmed, by trigger.",
                                     web_env_trigger, 2, web_rollback_buckets,
                                     sizeof(web_rollback_buckets) / sizeof(web_rollback_buckets[0]));
    metrics_bound(web_live_color, 2 * STATUS_ENVIRONMENTS_MAX + 1);
    metrics_bound(web_weight, 2 * STATUS_ENVIRONMENTS_MAX + 1);
    metrics_bound(web_confirmed, 2 * STATUS_ENVIRONMENTS_MAX + 1);
    _Static_assert(SAGA_STATE_COUNT * STATUS_ENVIRONMENTS_MAX + 1 <= METRICS_BOUND_MAX,
                   "a series per state and environment must fit metrics_bound's cap");
    metrics_bound(web_state, SAGA_STATE_COUNT * STATUS_ENVIRONMENTS_MAX + 1);
    metrics_bound(web_step, STATUS_ENVIRONMENTS_MAX + 1);
    metrics_bound(web_steps, STATUS_ENVIRONMENTS_MAX + 1);
    metrics_bound(web_rollback_ready, STATUS_ENVIRONMENTS_MAX + 1);
    metrics_bound(web_instances, 4 * STATUS_ENVIRONMENTS_MAX + 1);
    metrics_bound(web_finished, WEB_END_STATES * STATUS_ENVIRONMENTS_MAX + 1);
    metrics_bound(web_duration, WEB_END_STATES * STATUS_ENVIRONMENTS_MAX + 1);
    metrics_bound(web_rollback, WEB_TRIGGERS * STATUS_ENVIRONMENTS_MAX + 1);
    metrics_on_collect(web_metrics_collect, w);
}
