/*
 * fuzz_sshsig_verify - the SSHSIG parser and verifier on hostile signatures.
 *
 * DESCRIPTION
 *	Input: the signed message, the line "--", then the signature in any
 *	form sshsig_verify() takes (armored, bare base64, or the binary
 *	blob). It is verified in namespace "cutover:fuzz" against three
 *	allowed keys, one of each type (their private halves are the seeds
 *	of fuzz_sshsig_private, so that the corpus holds valid signatures).
 */
#include "harness.h"

#include "io/sshsig.h"

#include <stdlib.h>

static const char *const fuzz_allowed_lines[] = {
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAp6EBeZYNpNjs+qMSNz9vr3/q6A+QHfIHVQp88/vrHJ fuzz",
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBB+0ferfCn4PMac5qA9Yii4hrJaozup0UAM7tSYuEskH+mTzNGwpJTnygg36x6tcKZWEVQQEVfqF/a1aAzGugvQ= fuzz",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDGHZYX2iwLtHsHYUZ0pyIg9nSDPJV0k9O2jE44u6wvRmZLyqmeRK1nICEpgxIcBg/onPfcV9DTyID+G7je1nbELmDt9SC4u/+uGVWWMqwuwEJXjstAv40jzGU+CvrUHJtUi0+krimDDUlkL2zNQ8jxVKhPX7KAhciumF6OtU7SEbWndQXrEIHO3jvQX/77LiaWJKreGc0gwYOStPRPIjDYDAQkfvSalnJlLjfSHAnftdD7D30rcn+QwzkWAatwy224LsMwJH3OkHfLnUijg4grm3TDI+DpftVvPaQuJriQ6ezMkH9mqNBgt+s1asTMr9k0CDrHOO1vTuGOYBfOSBRf fuzz",
};
#define FUZZ_ALLOWED (sizeof(fuzz_allowed_lines) / sizeof(fuzz_allowed_lines[0]))

static struct sshsig_key fuzz_allowed[FUZZ_ALLOWED];

/* fuzz_allowed_free - the keys freed at exit, so that leak checks stay quiet */
static void fuzz_allowed_free(void)
{
    for (size_t i = 0; i < FUZZ_ALLOWED; i++)
        sshsig_key_free(&fuzz_allowed[i]);
}

/* LLVMFuzzerInitialize - parse the allowed keys once */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];

    (void)argc;
    (void)argv;
    for (size_t i = 0; i < FUZZ_ALLOWED; i++)
        if (sshsig_key_from_line(&fuzz_allowed[i], fuzz_allowed_lines[i], err, sizeof(err)) !=
            SSHSIG_OK)
            abort();
    atexit(fuzz_allowed_free);
    return 0;
}

/* LLVMFuzzerTestOneInput - one message and one signature */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_part part[2];
    char err[512], *sig;
    size_t which;

    fuzz_split(data, size, "\n--\n", part, 2);
    sig = fuzz_cstring(part[1].data, part[1].size);
    sshsig_verify(part[0].data, part[0].size, sig, part[1].size, "cutover:fuzz", fuzz_allowed,
                  FUZZ_ALLOWED, &which, err, sizeof(err));
    free(sig);
    return 0;
}
