/*
 * provider_probe - drive a provider (local or aws, as the environment file
 *                  says) one operation per run, from the command line, for
 *                  the tests and the benchmarks.
 *
 * SYNOPSIS
 *	provider_probe ENV.json open
 *	provider_probe ENV.json scale COLOR N
 *	provider_probe ENV.json health COLOR			prints "desired running healthy"
 *	provider_probe ENV.json weights BLUE GREEN
 *	provider_probe ENV.json get-weights			prints "blue green"
 *	provider_probe ENV.json deploy-start COLOR ID VERSION URI [SHA256]	prints the handle
 *	provider_probe ENV.json deploy-poll HANDLE		prints "status detail"
 *	provider_probe ENV.json deploy-stop HANDLE
 *	provider_probe ENV.json deploy COLOR ID VERSION URI SHA256 SECONDS
 *	provider_probe ENV.json preview-open COLOR ID		prints the url
 *	provider_probe ENV.json preview-close ID
 *	provider_probe ENV.json command-start COLOR SECONDS REF COMMAND	prints the handle
 *	provider_probe ENV.json command-poll HANDLE	prints "done|running", then "id state detail"
 *	provider_probe ENV.json cache-flush-start REF	prints the handle
 *	provider_probe ENV.json cache-flush-poll HANDLE	prints "done|running"
 *
 * DESCRIPTION
 *	Each run loads the CUTOVER_* configuration, opens the provider named
 *	by the file's "provider" for the environment named by its "name",
 *	performs one operation and closes it. Only deploy waits: it starts a
 *	deployment and polls it every 100 ms until it ends or SECONDS pass
 *	(then stops it), prints the status and the detail, and succeeds only
 *	when the deployment did; a test that needs its own deadlines polls
 *	with deploy-poll and health instead. Exit 0 on success, 1 on a
 *	failure (the provider's message on stderr), 2 on bad usage.
 *
 *	PROBE_PAUSE=DIR holds the operation between open() and its call: the
 *	probe creates DIR/opened and waits until DIR/go exists (a test's
 *	moment with the provider open, as a worker keeps it).
 */
#include "base/config.h"
#include "base/log.h"
#include "io/schema.h"
#include "provider/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_CONFIG_MAX (256 * 1024)
#define PROBE_USAGE "usage: provider_probe ENV.json OPERATION [ARGS]\n"

static const char *const probe_status_names[] = { "in-progress", "succeeded", "failed",
                                                  "stopped" };

/* probe_color - a color argument, or exit 2 */
static enum color probe_color(const char *name)
{
    enum color c;

    if (color_parse(name, &c) != 0) {
        fprintf(stderr, "bad color %s\n", name);
        exit(2);
    }
    return c;
}

/* probe_deploy_wait - deploy COLOR ID VERSION URI SHA256 SECONDS: start, poll to the end */
static int probe_deploy_wait(const struct provider_ops *ops, void *p, char **argv, char *err,
                             size_t err_len)
{
    struct provider_release rel = { argv[1], argv[2], argv[3], argv[4] };
    struct timespec step = { 0, 100000000L };
    time_t deadline = time(NULL) + atoi(argv[5]);
    enum provider_deploy_status st = DEPLOY_IN_PROGRESS;
    char handle[256], detail[768] = "";

    if (ops->deploy_start(p, probe_color(argv[0]), &rel, handle, sizeof(handle), err,
                          err_len) != 0)
        return 1;
    while (st == DEPLOY_IN_PROGRESS && time(NULL) < deadline) {
        if (ops->deploy_poll(p, handle, &st, detail, sizeof(detail)) != 0) {
            snprintf(err, err_len, "deploy_poll: %s", detail);
            return 1;
        }
        if (st == DEPLOY_IN_PROGRESS)
            nanosleep(&step, NULL);
    }
    if (st == DEPLOY_IN_PROGRESS)
        ops->deploy_stop(p, handle, err, err_len);
    printf("%s %s\n", probe_status_names[st], detail);
    return st == DEPLOY_SUCCEEDED ? 0 : 1;
}

/* probe_deploy - deploy-start, deploy-poll, deploy-stop and deploy */
static int probe_deploy(const struct provider_ops *ops, void *p, int argc, char **argv,
                        char *err, size_t err_len)
{
    enum provider_deploy_status st;
    char handle[256], detail[1024];

    if (strcmp(argv[0], "deploy-start") == 0 && (argc == 5 || argc == 6)) {
        struct provider_release rel = { argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL };
        if (ops->deploy_start(p, probe_color(argv[1]), &rel, handle, sizeof(handle), err,
                              err_len) != 0)
            return 1;
        printf("%s\n", handle);
        return 0;
    }
    if (strcmp(argv[0], "deploy-poll") == 0 && argc == 2) {
        if (ops->deploy_poll(p, argv[1], &st, detail, sizeof(detail)) != 0) {
            snprintf(err, err_len, "%s", detail);
            return 1;
        }
        printf("%s %s\n", probe_status_names[st], detail);
        return 0;
    }
    if (strcmp(argv[0], "deploy-stop") == 0 && argc == 2)
        return ops->deploy_stop(p, argv[1], err, err_len) != 0;
    if (strcmp(argv[0], "deploy") == 0 && argc == 7)
        return probe_deploy_wait(ops, p, argv + 1, err, err_len);
    return 2;
}

/* probe_traffic - weights, get-weights, preview-open and preview-close */
static int probe_traffic(const struct provider_ops *ops, void *p, int argc, char **argv,
                         char *err, size_t err_len)
{
    struct provider_weights w;
    char url[512];

    if (strcmp(argv[0], "weights") == 0 && argc == 3) {
        w = (struct provider_weights){ atoi(argv[1]), atoi(argv[2]) };
        return ops->set_weights(p, &w, err, err_len) != 0;
    }
    if (strcmp(argv[0], "get-weights") == 0 && argc == 1) {
        if (ops->get_weights(p, &w, err, err_len) != 0)
            return 1;
        printf("%d %d\n", w.blue, w.green);
        return 0;
    }
    if (strcmp(argv[0], "preview-open") == 0 && argc == 3) {
        if (ops->preview_open(p, probe_color(argv[1]), argv[2], url, sizeof(url), err,
                              err_len) != 0)
            return 1;
        printf("%s\n", url);
        return 0;
    }
    if (strcmp(argv[0], "preview-close") == 0 && argc == 2)
        return ops->preview_close(p, argv[1], err, err_len) != 0;
    return 2;
}

/* probe_command_poll - command-poll HANDLE: done or running, then each instance */
static int probe_command_poll(const struct provider_ops *ops, void *p, const char *handle,
                              char *err, size_t err_len)
{
    static const char *const states[] = { "running", "succeeded", "failed" };
    struct provider_command_report rep = { 0 };
    int done = 0;

    if (ops->command_poll(p, handle, &rep, &done, err, err_len) != 0)
        return 1;
    printf("%s\n", done ? "done" : "running");
    for (size_t i = 0; i < rep.count; i++)
        printf("%s %s %s\n", rep.instances[i].id, states[rep.instances[i].state],
               rep.instances[i].detail);
    return 0;
}

/* probe_caches - command-start, command-poll, cache-flush-start and cache-flush-poll */
static int probe_caches(const struct provider_ops *ops, void *p, int argc, char **argv,
                        char *err, size_t err_len)
{
    char handle[256];
    int done = 0;

    if (strcmp(argv[0], "command-start") == 0 && argc == 5 && ops->command_start) {
        if (ops->command_start(p, probe_color(argv[1]), argv[4], atoi(argv[2]), argv[3], handle,
                               sizeof(handle), err, err_len) != 0)
            return 1;
        printf("%s\n", handle);
        return 0;
    }
    if (strcmp(argv[0], "command-poll") == 0 && argc == 2 && ops->command_poll)
        return probe_command_poll(ops, p, argv[1], err, err_len);
    if (strcmp(argv[0], "cache-flush-start") == 0 && argc == 2 && ops->cache_flush_start) {
        if (ops->cache_flush_start(p, argv[1], handle, sizeof(handle), err, err_len) != 0)
            return 1;
        printf("%s\n", handle);
        return 0;
    }
    if (strcmp(argv[0], "cache-flush-poll") == 0 && argc == 2 && ops->cache_flush_poll) {
        if (ops->cache_flush_poll(p, argv[1], &done, err, err_len) != 0)
            return 1;
        printf("%s\n", done ? "done" : "running");
        return 0;
    }
    return 2;
}

/* probe_run - one operation; 0 ok, 1 failed, 2 usage */
static int probe_run(const struct provider_ops *ops, void *p, int argc, char **argv, char *err,
                     size_t err_len)
{
    struct provider_health h;

    if (strcmp(argv[0], "open") == 0 && argc == 1)
        return 0;
    if (strcmp(argv[0], "scale") == 0 && argc == 3)
        return ops->scale(p, probe_color(argv[1]), atoi(argv[2]), err, err_len) != 0;
    if (strcmp(argv[0], "health") == 0 && argc == 2) {
        if (ops->health(p, probe_color(argv[1]), &h, err, err_len) != 0)
            return 1;
        printf("%d %d %d\n", h.desired, h.running, h.healthy);
        return 0;
    }
    if (strncmp(argv[0], "deploy", 6) == 0)
        return probe_deploy(ops, p, argc, argv, err, err_len);
    if (strncmp(argv[0], "command-", 8) == 0 || strncmp(argv[0], "cache-flush-", 12) == 0)
        return probe_caches(ops, p, argc, argv, err, err_len);
    return probe_traffic(ops, p, argc, argv, err, err_len);
}

/* probe_pause - with dir set: create dir/opened, then wait for dir/go */
static void probe_pause(const char *dir)
{
    char path[4096];
    struct timespec step = { 0, 10 * 1000 * 1000 };
    FILE *f;

    if (dir == NULL)
        return;
    snprintf(path, sizeof(path), "%s/opened", dir);
    if ((f = fopen(path, "w")) == NULL)
        log_fatal("PROBE_PAUSE: cannot create %s", path);
    fclose(f);
    snprintf(path, sizeof(path), "%s/go", dir);
    while (access(path, F_OK) != 0)
        nanosleep(&step, NULL);
}

int main(int argc, char **argv)
{
    char err[1024] = "";
    const struct provider_ops *ops;
    const cJSON *name, *provider;
    cJSON *config;
    void *p = NULL;
    int rc = 1;

    log_init("probe");
    if (argc < 3 || (config = json_file_read(argv[1], PROBE_CONFIG_MAX, err, sizeof(err))) == NULL) {
        fprintf(stderr, PROBE_USAGE);
        return 2;
    }
    if (config_load(err, sizeof(err)) != 0)
        log_fatal("%s", err);
    name = cJSON_GetObjectItemCaseSensitive(config, "name");
    provider = cJSON_GetObjectItemCaseSensitive(config, "provider");
    ops = provider_find(cJSON_IsString(provider) ? provider->valuestring : NULL);
    if (ops == NULL || !cJSON_IsString(name))
        log_fatal("no name, or an unknown provider, in %s", argv[1]);
    if (ops->open(name->valuestring, config, &p, err, sizeof(err)) != 0) {
        fprintf(stderr, "open: %s\n", err);
    } else {
        probe_pause(getenv("PROBE_PAUSE"));
        rc = probe_run(ops, p, argc - 2, argv + 2, err, sizeof(err));
        if (rc == 2)
            fprintf(stderr, PROBE_USAGE);
        else if (rc != 0 && err[0] != '\0')
            fprintf(stderr, "%s: %s\n", argv[2], err);
        ops->close(p);
    }
    cJSON_Delete(config);
    config_free();
    return rc;
}
