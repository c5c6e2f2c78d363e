/*
 * schema - the JSON Schemas of cutover's event data (see schema.h).
 *
 * SYNOPSIS
 *	#include "io/schema.h"
 *
 *	schema_registry_load(dir, err, err_len);
 *	schema_get(reg, name);
 *	schema_validate(reg, name, data, &err);
 *	schema_registry_free(reg);
 *
 * DESCRIPTION
 *	A registry is a fixed table: one slot per topic plus "environment".
 *	A schema file larger than SCHEMA_FILE_MAX is refused.
 */
#include "io/schema.h"

#include "io/jsonschema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_FILE_MAX (1024 * 1024)
#define SCHEMA_SLOTS 16

struct schema_entry {
    char name[64];
    cJSON *schema;
};

struct schema_registry {
    struct schema_entry entries[SCHEMA_SLOTS];
    size_t count;
};

/* schema_read_file - the whole of a file of at most max bytes, NUL-terminated; caller frees */
static char *schema_read_file(const char *path, size_t max, char *err, size_t err_len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t n;

    if (fp == NULL) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if ((buf = malloc(max + 1)) == NULL) {
        snprintf(err, err_len, "%s: out of memory", path);
        goto out;
    }
    n = fread(buf, 1, max + 1, fp);
    if (ferror(fp) || n > max) {
        snprintf(err, err_len, "%s: %s", path, n > max ? "file too large" : "read error");
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
out:
    fclose(fp);
    return buf;
}

/* json_file_read - a JSON file of at most max bytes; NULL with err set */
cJSON *json_file_read(const char *path, size_t max, char *err, size_t err_len)
{
    char *text = schema_read_file(path, max, err, err_len);
    cJSON *json;

    if (text == NULL)
        return NULL;
    json = cJSON_Parse(text);
    if (json == NULL)
        snprintf(err, err_len, "%s: not JSON (near \"%.20s\")", path, cJSON_GetErrorPtr());
    free(text);
    return json;
}

/* schema_load_one - parse and check dir/name.json into the next slot */
static int schema_load_one(struct schema_registry *reg, const char *dir, const char *name,
                           char *err, size_t err_len)
{
    char path[4096], check[512];
    struct schema_entry *e;

    if (reg->count >= SCHEMA_SLOTS) {
        snprintf(err, err_len, "more than %d schemas", SCHEMA_SLOTS);
        return -1;
    }
    e = &reg->entries[reg->count];
    snprintf(path, sizeof(path), "%s/%s.json", dir, name);
    if ((e->schema = json_file_read(path, SCHEMA_FILE_MAX, err, err_len)) == NULL)
        return -1;
    snprintf(e->name, sizeof(e->name), "%s", name);
    reg->count++;
    if (jsonschema_check(e->schema, check, sizeof(check)) != 0) {
        snprintf(err, err_len, "%s: %s", path, check);
        return -1;
    }
    return 0;
}

/* schema_file_exists - 1 when dir/name.json can be opened */
static int schema_file_exists(const char *dir, const char *name)
{
    char path[4096];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s.json", dir, name);
    if ((fp = fopen(path, "rb")) == NULL)
        return 0;
    fclose(fp);
    return 1;
}

/* schema_registry_load - every topic's schema (and environment's) from dir */
struct schema_registry *schema_registry_load(const char *dir, char *err, size_t err_len)
{
    struct schema_registry *reg = calloc(1, sizeof(*reg));

    if (reg == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    for (size_t i = 0; event_topics[i] != NULL; i++)
        if (schema_load_one(reg, dir, event_topics[i], err, err_len) != 0)
            goto out;
    if (schema_file_exists(dir, "environment")
        && schema_load_one(reg, dir, "environment", err, err_len) != 0)
        goto out;
    return reg;
out:
    schema_registry_free(reg);
    return NULL;
}

/* schema_registry_free - release a registry and its schemas */
void schema_registry_free(struct schema_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->count; i++)
        cJSON_Delete(reg->entries[i].schema);
    free(reg);
}

/* schema_get - the schema called name, or NULL */
const cJSON *schema_get(const struct schema_registry *reg, const char *name)
{
    if (reg == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < reg->count; i++)
        if (strcmp(reg->entries[i].name, name) == 0)
            return reg->entries[i].schema;
    return NULL;
}

/* schema_validate - data against the schema called name; EVENT_SCHEMA on failure */
int schema_validate(const struct schema_registry *reg, const char *name, const cJSON *data,
                    struct event_error *err)
{
    const cJSON *schema = schema_get(reg, name);
    char msg[sizeof(err->message)];

    if (schema == NULL)
        return event_error_set(err, EVENT_INTERNAL, "no schema named \"%s\"", name ? name : "");
    if (jsonschema_validate(schema, data, msg, sizeof(msg)) != 0)
        return event_error_set(err, EVENT_SCHEMA, "%s", msg);
    return 0;
}
