/*
 * analysis_probe - take one measurement of an analysis metric, from the
 *                  command line, for the tests: the validator's path
 *                  (analysis_metric_parse, analysis_measure) without a
 *                  deployment around it.
 *
 * SYNOPSIS
 *	analysis_probe ENV.json METRIC.json COLOR OLD_COLOR VERSION
 *	    prints "OUTCOME VALUE BASELINE" on one line ("-" for a value not
 *	    measured), then the detail and the query as sent, one line each
 *
 * DESCRIPTION
 *	ENV.json is the environment's document (its "analysis" and "aws"
 *	sections serve the providers), METRIC.json one item of a step's
 *	"analysis": {"metrics": [...]}. The CUTOVER_* configuration is read
 *	as the workers read it (CUTOVER_AWS_ENDPOINT_URL...). Exit 0 when a
 *	measurement was taken (whatever its outcome), 1 when the metric is
 *	refused (the reason on stderr), 2 on bad usage.
 */
#include "base/config.h"
#include "base/log.h"
#include "io/schema.h"
#include "saga/analysis_metric.h"

#include <stdio.h>

#define PROBE_FILE_MAX (256 * 1024)
#define PROBE_USAGE "usage: analysis_probe ENV.json METRIC.json COLOR OLD_COLOR VERSION\n"

/* probe_number - a measured number, or "-" */
static void probe_number(int has, double v, const char *sep)
{
    if (has)
        printf("%.17g%s", v, sep);
    else
        printf("-%s", sep);
}

/* probe_measure - parse the metric against the environment, measure once, print */
static int probe_measure(const cJSON *env, const cJSON *item, char **argv)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(env, "name");
    struct analysis_vars vars = {argv[3], argv[4], argv[5], cJSON_GetStringValue(name)};
    struct analysis_metric m;
    struct analysis_measurement r;
    char err[512];

    if (analysis_metric_parse(item, env, &m, err, sizeof(err)) != 0) {
        fprintf(stderr, "refused: %s\n", err);
        return 1;
    }
    analysis_measure(&m, &vars, &r);
    printf("%s ", analysis_outcome_name(r.outcome));
    probe_number(r.has_value, r.value, " ");
    probe_number(r.has_baseline, r.baseline, "\n");
    printf("%s\n%s\n", r.detail, r.query);
    return 0;
}

int main(int argc, char **argv)
{
    char err[1024] = "";
    cJSON *env = NULL, *item = NULL;
    int rc = 2;

    log_init("analysis-probe");
    if (argc != 6 || (env = json_file_read(argv[1], PROBE_FILE_MAX, err, sizeof(err))) == NULL ||
        (item = json_file_read(argv[2], PROBE_FILE_MAX, err, sizeof(err))) == NULL)
        fprintf(stderr, "%s%s\n", PROBE_USAGE, err);
    else if (config_load(err, sizeof(err)) != 0)
        log_fatal("%s", err);
    else
        rc = probe_measure(env, item, argv);
    cJSON_Delete(env);
    cJSON_Delete(item);
    config_free();
    return rc;
}
