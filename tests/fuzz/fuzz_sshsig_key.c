/*
 * fuzz_sshsig_key - OpenSSH public keys: the authorized_keys line and the wire blob.
 *
 * DESCRIPTION
 *	Input: a public key line ("ssh-ed25519 AAAA... comment", as an
 *	environment's signers list holds them), read by
 *	sshsig_key_from_line(); the same bytes as a key's wire form, by
 *	sshsig_key_from_blob(). A key accepted is fingerprinted, named and
 *	compared with itself (a key unequal to itself aborts: a finding).
 */
#include "harness.h"

#include "io/sshsig.h"

#include <stdlib.h>

/* fuzz_key_use - what callers do with an accepted key, then free it */
static void fuzz_key_use(struct sshsig_key *key)
{
    char fp[SSHSIG_FINGERPRINT_MAX];

    sshsig_key_fingerprint(key, fp, sizeof(fp));
    sshsig_key_type_name(key);
    if (!sshsig_key_equal(key, key))
        abort();
    sshsig_key_free(key);
}

/* LLVMFuzzerTestOneInput - one key line, one key blob */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sshsig_key key = { 0 };
    char err[512], *line = fuzz_cstring(data, size);

    if (sshsig_key_from_line(&key, line, err, sizeof(err)) == SSHSIG_OK)
        fuzz_key_use(&key);
    free(line);
    if (sshsig_key_from_blob(&key, data, size, err, sizeof(err)) == SSHSIG_OK)
        fuzz_key_use(&key);
    return 0;
}
