/*
 * fuzz_migration_manifest - a release's migrations.yml (and base/yaml_doc.c under it).
 *
 * DESCRIPTION
 *	Input: a migrations.yml, written to a scratch file and loaded with
 *	migration_manifest_load().
 */
#include "harness.h"

#include "validate/migration_manifest.h"

/* LLVMFuzzerTestOneInput - one migrations.yml */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    struct migration_manifest *m = migration_manifest_load(fuzz_file(data, size), err,
                                                           sizeof(err));

    migration_manifest_free(m);
    return 0;
}
