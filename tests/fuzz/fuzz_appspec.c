/*
 * fuzz_appspec - the appspec.yml parser of the local provider.
 *
 * DESCRIPTION
 *	Input: an appspec.yml (a release's, so the operator's or anyone's who
 *	builds releases). It is written to a scratch file and loaded with
 *	appspec_load(); each hook it finds is looked up again.
 */
#include "harness.h"

#include "provider/local/appspec.h"

/* LLVMFuzzerTestOneInput - one appspec.yml */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    struct appspec *spec = appspec_load(fuzz_file(data, size), err, sizeof(err));
    static const char *const hooks[] = { "BeforeInstall", "AfterInstall", "ApplicationStart",
                                         "ValidateService", "BeforeAllowTraffic" };

    if (!spec)
        return 0;
    for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
        appspec_hook_find(spec, hooks[i]);
    appspec_free(spec);
    return 0;
}
