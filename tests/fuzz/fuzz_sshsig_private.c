/*
 * fuzz_sshsig_private - the OpenSSH private key file parser (cutover publish --sign).
 *
 * DESCRIPTION
 *	Input: a private key file ("-----BEGIN OPENSSH PRIVATE KEY-----"),
 *	written to a scratch file and used by sshsig_sign_file() to sign a
 *	short message.
 */
#include "harness.h"

#include "io/sshsig.h"

#include <stdlib.h>

/* LLVMFuzzerTestOneInput - one private key file */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char msg[] = "fuzz";
    char err[512], *armored = NULL;

    if (sshsig_sign_file(msg, sizeof(msg) - 1, "cutover:fuzz", fuzz_file(data, size), &armored,
                         err, sizeof(err)) == SSHSIG_OK)
        free(armored);
    return 0;
}
