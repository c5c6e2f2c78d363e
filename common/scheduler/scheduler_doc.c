/*
 * scheduler_doc - an environment document's "scheduler" section and where
 *                 its command reaches the live color (scheduler_doc.h).
 */
#include "scheduler/scheduler_doc.h"

#include <stdio.h>
#include <string.h>

/* scheduler_doc_seconds - an optional integer member in 1..SCHEDULER_SECONDS_MAX; 0 or -1 */
static int scheduler_doc_seconds(const cJSON *section, const char *name, int def, int *out,
                                 char *err, size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(section, name);

    *out = def;
    if (item == NULL)
        return 0;
    if (!cJSON_IsNumber(item) || item->valuedouble < 1 || item->valuedouble > SCHEDULER_SECONDS_MAX
        || item->valuedouble != (double)(int)item->valuedouble) {
        snprintf(err, err_len, "scheduler.%s must be an integer in 1..%d", name,
                 SCHEDULER_SECONDS_MAX);
        return -1;
    }
    *out = (int)item->valuedouble;
    return 0;
}

/* scheduler_doc_members_known - 0 when every member of section is one the schema names */
static int scheduler_doc_members_known(const cJSON *section, char *err, size_t err_len)
{
    static const char *const known[] = {"command", "interval_seconds", "timeout_seconds",
                                        "enabled", NULL};
    const cJSON *member;

    cJSON_ArrayForEach(member, section) {
        size_t i = 0;

        while (known[i] != NULL && strcmp(known[i], member->string) != 0)
            i++;
        if (known[i] == NULL) {
            snprintf(err, err_len, "scheduler: unknown member \"%.64s\"", member->string);
            return -1;
        }
    }
    return 0;
}

/* scheduler_doc_command - the command member into doc; 0 or -1 */
static int scheduler_doc_command(const cJSON *section, struct scheduler_doc *doc, char *err,
                                 size_t err_len)
{
    const cJSON *command = cJSON_GetObjectItemCaseSensitive(section, "command");
    size_t len = cJSON_IsString(command) ? strlen(command->valuestring) : 0;

    if (len == 0 || len > SCHEDULER_COMMAND_MAX) {
        snprintf(err, err_len, "scheduler.command must be a string of 1..%d bytes",
                 SCHEDULER_COMMAND_MAX);
        return -1;
    }
    memcpy(doc->command, command->valuestring, len + 1);
    return 0;
}

/* scheduler_doc_parse - the scheduler section: 1 declared, 0 none, -1 malformed */
int scheduler_doc_parse(const cJSON *config, struct scheduler_doc *doc, char *err,
                        size_t err_len)
{
    const cJSON *section = cJSON_GetObjectItemCaseSensitive(config, "scheduler");
    const cJSON *enabled;

    memset(doc, 0, sizeof(*doc));
    if (section == NULL)
        return 0;
    if (!cJSON_IsObject(section)) {
        snprintf(err, err_len, "scheduler must be an object");
        return -1;
    }
    enabled = cJSON_GetObjectItemCaseSensitive(section, "enabled");
    if (enabled != NULL && !cJSON_IsBool(enabled)) {
        snprintf(err, err_len, "scheduler.enabled must be true or false");
        return -1;
    }
    if (scheduler_doc_members_known(section, err, err_len) != 0
        || scheduler_doc_command(section, doc, err, err_len) != 0
        || scheduler_doc_seconds(section, "interval_seconds", SCHEDULER_DEFAULT_INTERVAL_S,
                                 &doc->interval_s, err, err_len) != 0
        || scheduler_doc_seconds(section, "timeout_seconds", SCHEDULER_DEFAULT_TIMEOUT_S,
                                 &doc->timeout_s, err, err_len) != 0)
        return -1;
    return cJSON_IsFalse(enabled) ? 0 : 1;
}

/* scheduler_doc_port_int - a member of obj that is a number from 0 to
 * 65535 (a port, a count of slots), or -1: a stored document is read as
 * it is, and a larger number would not fit an int */
static int scheduler_doc_port_int(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (!cJSON_IsNumber(item) || !(item->valuedouble >= 0 && item->valuedouble <= 65535))
        return -1;
    return (int)item->valuedouble;
}

/* scheduler_target_of - the first instance of color on the local provider */
int scheduler_target_of(const cJSON *config, const char *color, struct scheduler_target *t)
{
    const cJSON *provider = cJSON_GetObjectItemCaseSensitive(config, "provider");
    const cJSON *local = cJSON_GetObjectItemCaseSensitive(config, "local");
    int index = strcmp(color, "blue") == 0 ? 0 : strcmp(color, "green") == 0 ? 1 : -1;
    int base = scheduler_doc_port_int(local, "base_port");
    int slots = scheduler_doc_port_int(local, "max_instances");

    memset(t, 0, sizeof(*t));
    if (index < 0)
        return -1;
    if (!cJSON_IsString(provider) || strcmp(provider->valuestring, "local") != 0 || base < 1
        || slots < 1 || base + index * slots > 65535)
        return 0;
    t->port = base + index * slots;
    snprintf(t->url, sizeof(t->url), "http://127.0.0.1:%d", t->port);
    return 0;
}
