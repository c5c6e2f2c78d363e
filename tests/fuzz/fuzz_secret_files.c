/*
 * fuzz_secret_files - the files that hold secrets: a NAME_FILE secret and
 *                     a process's Kafka credentials file.
 *
 * DESCRIPTION
 *	Input: one byte, then the file's bytes. The byte's lowest bit
 *	chooses the reader: config_secret_parse() (a secret, trailing
 *	newlines dropped) or kafka_credentials_parse() (a user name line and
 *	a password line); its next bit the buffers: the sizes the callers
 *	use (CONFIG_SECRET_MAX; 256 and 1024 as the Kafka client's) or
 *	8 bytes each, so that the length checks are reached with short
 *	inputs.
 */
#include "harness.h"

#include "base/config.h"
#include "io/kafka.h"

/* fuzz_secret - the bytes as a NAME_FILE secret, into an out_len buffer */
static void fuzz_secret(const uint8_t *data, size_t size, size_t out_len)
{
    char out[CONFIG_SECRET_MAX];
    const char *why;

    config_secret_parse((const char *)data, size, out, out_len, &why);
}

/* fuzz_credentials - the bytes as a credentials file; buffers cut to small when set */
static void fuzz_credentials(const uint8_t *data, size_t size, int small)
{
    char user[256], password[1024];

    kafka_credentials_parse((const char *)data, size, user, small ? 8 : sizeof(user), password,
                            small ? 8 : sizeof(password));
}

/* LLVMFuzzerTestOneInput - a selector byte, then one file */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int small;

    if (size < 1)
        return 0;
    small = (data[0] >> 1) & 1;
    if (data[0] % 2 == 0)
        fuzz_secret(data + 1, size - 1, small ? 8 : CONFIG_SECRET_MAX);
    else
        fuzz_credentials(data + 1, size - 1, small);
    return 0;
}
