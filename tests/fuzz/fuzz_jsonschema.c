/*
 * fuzz_jsonschema - the JSON Schema validator on a hostile schema and instance.
 *
 * DESCRIPTION
 *	Input: a schema, the line "--", then an instance (both JSON). The
 *	schema goes through jsonschema_check() as schema_registry_load()
 *	does; when it passes, the instance through jsonschema_validate().
 */
#include "harness.h"

#include "io/jsonschema.h"

#include <cjson/cJSON.h>

/* LLVMFuzzerTestOneInput - one schema and one instance */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_part part[2];
    cJSON *schema, *instance;
    char err[512];

    fuzz_split(data, size, "\n--\n", part, 2);
    schema = cJSON_ParseWithLength((const char *)part[0].data, part[0].size);
    instance = cJSON_ParseWithLength((const char *)part[1].data, part[1].size);
    if (schema && instance && jsonschema_check(schema, err, sizeof(err)) == 0)
        jsonschema_validate(schema, instance, err, sizeof(err));
    cJSON_Delete(schema);
    cJSON_Delete(instance);
    return 0;
}
