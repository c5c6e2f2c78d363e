/*
 * local_provider_probe - drive the local provider from the command line,
 *                        for tests/integration/test_local_provider.sh.
 *
 * SYNOPSIS
 *	local_provider_probe ENV.json open
 *	local_provider_probe ENV.json scale COLOR N
 *	local_provider_probe ENV.json health COLOR		prints "desired running healthy"
 *	local_provider_probe ENV.json weights BLUE GREEN
 *	local_provider_probe ENV.json get-weights		prints "blue green"
 *	local_provider_probe ENV.json deploy COLOR ID VERSION URI SHA256 SECONDS
 *	local_provider_probe ENV.json preview-open COLOR ID	prints the url
 *	local_provider_probe ENV.json preview-close ID
 *
 * DESCRIPTION
 *	Each run opens the provider for the environment named by the file's
 *	"name" (configuration from the CUTOVER_* variables), performs one
 *	operation and closes it. deploy starts the deployment and polls it
 *	every 100 ms until it ends or SECONDS pass; it prints the status and
 *	the detail and exits 0 only when the deployment succeeded. Exit 1 on a
 *	failure (message on stderr), 2 on bad usage.
 */
#include "config.h"
#include "log.h"
#include "provider.h"
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROBE_CONFIG_MAX (256 * 1024)

/* probe_color - parse a color argument or exit */
static enum color probe_color(const char *name)
{
    enum color c;

    if (color_parse(name, &c) != 0) {
        fprintf(stderr, "bad color %s\n", name);
        exit(2);
    }
    return c;
}

/* probe_deploy - start a deployment and poll it to its end */
static int probe_deploy(const struct provider_ops *ops, void *p, char **argv, char *err,
                        size_t err_len)
{
    struct provider_release rel = { argv[1], argv[2], argv[3], argv[4] };
    struct timespec step = { 0, 100000000L };
    time_t deadline = time(NULL) + atoi(argv[5]);
    enum provider_deploy_status st = DEPLOY_IN_PROGRESS;
    char handle[256], detail[768] = "";
    static const char *const names[] = { "in-progress", "succeeded", "failed", "stopped" };

    if (ops->deploy_start(p, probe_color(argv[0]), &rel, handle, sizeof(handle), err,
                          err_len) != 0)
        return -1;
    while (st == DEPLOY_IN_PROGRESS && time(NULL) < deadline) {
        if (ops->deploy_poll(p, handle, &st, detail, sizeof(detail)) != 0) {
            snprintf(err, err_len, "deploy_poll: %s", detail);
            return -1;
        }
        if (st == DEPLOY_IN_PROGRESS)
            nanosleep(&step, NULL);
    }
    if (st == DEPLOY_IN_PROGRESS)
        ops->deploy_stop(p, handle, err, err_len);
    printf("%s %s\n", names[st], detail);
    return st == DEPLOY_SUCCEEDED ? 0 : 1;
}

/* probe_run - one operation; 0 ok, 1 failed, 2 usage */
static int probe_run(const struct provider_ops *ops, void *p, int argc, char **argv, char *err,
                     size_t err_len)
{
    const char *op = argv[0];
    struct provider_weights w;
    struct provider_health h;
    char url[256];
    int rc = 2;

    if (strcmp(op, "open") == 0 && argc == 1)
        rc = 0;
    else if (strcmp(op, "scale") == 0 && argc == 3)
        rc = ops->scale(p, probe_color(argv[1]), atoi(argv[2]), err, err_len) != 0;
    else if (strcmp(op, "health") == 0 && argc == 2) {
        if ((rc = ops->health(p, probe_color(argv[1]), &h, err, err_len) != 0) == 0)
            printf("%d %d %d\n", h.desired, h.running, h.healthy);
    } else if (strcmp(op, "weights") == 0 && argc == 3) {
        w = (struct provider_weights){ atoi(argv[1]), atoi(argv[2]) };
        rc = ops->set_weights(p, &w, err, err_len) != 0;
    } else if (strcmp(op, "get-weights") == 0 && argc == 1) {
        if ((rc = ops->get_weights(p, &w, err, err_len) != 0) == 0)
            printf("%d %d\n", w.blue, w.green);
    } else if (strcmp(op, "deploy") == 0 && argc == 7) {
        rc = probe_deploy(ops, p, argv + 1, err, err_len) != 0;
    } else if (strcmp(op, "preview-open") == 0 && argc == 3) {
        rc = ops->preview_open(p, probe_color(argv[1]), argv[2], url, sizeof(url), err,
                               err_len) != 0;
        if (rc == 0)
            printf("%s\n", url);
    } else if (strcmp(op, "preview-close") == 0 && argc == 2) {
        rc = ops->preview_close(p, argv[1], err, err_len) != 0;
    }
    return rc;
}

int main(int argc, char **argv)
{
    char err[1024] = "";
    const struct provider_ops *ops;
    const cJSON *name, *provider;
    cJSON *config;
    void *p = NULL;
    int rc;

    log_init("probe");
    if (argc < 3 || (config = json_file_read(argv[1], PROBE_CONFIG_MAX, err, sizeof(err))) == NULL) {
        fprintf(stderr, "usage: local_provider_probe ENV.json OPERATION [ARGS]\n");
        return 2;
    }
    if (config_load(err, sizeof(err)) != 0)
        log_fatal("%s", err);
    name = cJSON_GetObjectItemCaseSensitive(config, "name");
    provider = cJSON_GetObjectItemCaseSensitive(config, "provider");
    ops = provider_find(cJSON_IsString(provider) ? provider->valuestring : NULL);
    if (ops == NULL || !cJSON_IsString(name))
        log_fatal("no name, or unknown provider, in %s", argv[1]);
    if (ops->open(name->valuestring, config, &p, err, sizeof(err)) != 0) {
        fprintf(stderr, "open: %s\n", err);
        rc = 1;
    } else {
        rc = probe_run(ops, p, argc - 2, argv + 2, err, sizeof(err));
        if (rc == 2)
            fprintf(stderr, "usage: local_provider_probe ENV.json OPERATION [ARGS]\n");
        else if (rc != 0 && err[0] != '\0')
            fprintf(stderr, "%s: %s\n", argv[2], err);
        ops->close(p);
    }
    cJSON_Delete(config);
    config_free();
    return rc;
}
