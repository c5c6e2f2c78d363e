/*
 * schema - the JSON Schemas of cutover's event data, loaded once.
 *
 * SYNOPSIS
 *	#include "io/schema.h"
 *
 *	char err[512];
 *	struct schema_registry *reg = schema_registry_load(dir, err, sizeof(err));
 *	if (reg == NULL)
 *		log_fatal("schemas: %s", err);
 *	struct event_error e;
 *	if (schema_validate(reg, "build-ready", ev.data, &e) != 0)
 *		dead_letter(&rec, &e);		   e.status == EVENT_SCHEMA
 *	schema_registry_free(reg);
 *
 * DESCRIPTION
 *	schema_registry_load() reads <dir>/<topic>.json for every topic of
 *	event_topics (each must exist) and <dir>/environment.json when it
 *	exists, and checks each with jsonschema_check(): a schema using a
 *	keyword the validator does not know is refused at load time. dir is
 *	usually share_path("schemas").
 *
 *	schema_validate() validates data against the schema called name (a
 *	topic or "environment"). Failures fill err with EVENT_SCHEMA and a
 *	message that points at the offending place; an unknown name gives
 *	EVENT_INTERNAL. Both return -1 then, 0 on success.
 */
#ifndef CUTOVER_SCHEMA_H
#define CUTOVER_SCHEMA_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "io/event.h"

struct schema_registry;

struct schema_registry *schema_registry_load(const char *dir, char *err, size_t err_len);
void schema_registry_free(struct schema_registry *reg);
/* schema_get - the schema called name, or NULL; owned by the registry */
const cJSON *schema_get(const struct schema_registry *reg, const char *name);
/* json_file_read - a JSON file of at most max bytes (schemas, environment
 * documents); NULL with err set when unreadable, too large or not JSON */
cJSON *json_file_read(const char *path, size_t max, char *err, size_t err_len);

int schema_validate(const struct schema_registry *reg, const char *name, const cJSON *data,
                    struct event_error *err);

#endif
