/*
 * fuzz_aws_credentials - the AWS credential files and the container/IMDS replies.
 *
 * DESCRIPTION
 *	Input: one byte choosing the profile ("default", or "fuzz" through
 *	AWS_PROFILE), then a text read three ways: as the shared credentials
 *	file and the config file (aws_credentials_from_profile(), and the
 *	region by aws_region_resolve()), and as the JSON a container
 *	endpoint or IMDS answers (aws_credentials_parse_json()).
 */
#include "harness.h"

#include "provider/aws/aws_credentials.h"

#include <stdlib.h>

/* LLVMFuzzerInitialize - no credentials or region from this process's environment */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const vars[] = { "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
                                        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN" };

    (void)argc;
    (void)argv;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    return 0;
}

/* fuzz_profile - the text as both profile files */
static void fuzz_profile(const uint8_t *data, size_t size)
{
    struct aws_credentials c = { 0 };
    const char *path = fuzz_file(data, size);
    char err[512], region[64];

    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_CONFIG_FILE", path, 1);
    if (aws_credentials_from_profile(&c, err, sizeof(err)) == 0)
        aws_credentials_clear(&c);
    aws_region_resolve(region, sizeof(region));
}

/* LLVMFuzzerTestOneInput - one text, three readings */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct aws_credentials c = { 0 };
    char err[512], *text;

    if (size < 1)
        return 0;
    if (data[0] & 1)
        setenv("AWS_PROFILE", "fuzz", 1);
    else
        unsetenv("AWS_PROFILE");
    fuzz_profile(data + 1, size - 1);
    text = fuzz_cstring(data + 1, size - 1);
    if (aws_credentials_parse_json(text, "imds", &c, err, sizeof(err)) == 0)
        aws_credentials_clear(&c);
    free(text);
    return 0;
}
