/*
 * sshsig_internal - what the io/sshsig*.c files share and nothing else
 *	sees. The order, bottom up: sshsig_wire.c, sshsig_key.c (keys, one
 *	SSH signature checked with OpenSSL, the status names), sshsig.c
 *	(the SSHSIG blob: parse, verify, make), sshsig_sign.c (the private
 *	key file), sshsig_agent.c (ssh-agent).
 */
#ifndef CUTOVER_SSHSIG_INTERNAL_H
#define CUTOVER_SSHSIG_INTERNAL_H

#include <openssl/bn.h>
#include <openssl/params.h>
#include <openssl/param_build.h>

#include "base/buf.h"
#include "io/sshsig.h"
#include "io/sshsig_wire.h"

#define SSHSIG_SIGN_HASH "sha512"

/* sshsig_fail - fill err (may be NULL) and return status */
enum sshsig_status sshsig_fail(char *err, size_t err_len, enum sshsig_status status,
                               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* sshsig_pkey_from_params - an EVP_PKEY of type ("ED25519", "EC", "RSA") from bld's params */
EVP_PKEY *sshsig_pkey_from_params(const char *type, int selection, OSSL_PARAM_BLD *bld);

/* sshsig_rsa_from_numbers - an RSA EVP_PKEY from count named numbers (OSSL_PKEY_PARAM_RSA_*) */
EVP_PKEY *sshsig_rsa_from_numbers(const char *const names[], BIGNUM *const numbers[],
                                  size_t count, int selection);

/* sshsig_blob_fingerprint - the fingerprint of a key's wire form, parsed or not */
void sshsig_blob_fingerprint(const unsigned char *blob, size_t len, char *out, size_t out_len);

/* sshsig_key_verify_signature - check an SSH signature (string algorithm, string blob)
 * of data by key; the algorithm must be one this key type may use */
enum sshsig_status sshsig_key_verify_signature(const struct sshsig_key *key,
                                               const unsigned char *sig, size_t sig_len,
                                               const unsigned char *data, size_t data_len,
                                               char *err, size_t err_len);

/* sshsig_key_signature_algorithm - the algorithm cutover signs with for key's type, and
 * its digest in *md (NULL for Ed25519) */
const char *sshsig_key_signature_algorithm(const struct sshsig_key *key, const EVP_MD **md);

/* sshsig_ecdsa_der_to_ssh - a DER ECDSA signature as SSH's blob (mpint r, mpint s) */
int sshsig_ecdsa_der_to_ssh(const unsigned char *der, size_t len, struct buf *out);

/* A signer: the SSH signature (string algorithm, string blob) of data, appended to out. */
typedef enum sshsig_status (*sshsig_sign_fn)(void *signer, const unsigned char *data,
                                             size_t len, struct buf *out, char *err,
                                             size_t err_len);

/* sshsig_make - the armored SSHSIG of msg by key through sign, checked before it is returned */
enum sshsig_status sshsig_make(const unsigned char *msg, size_t len, const char *ns,
                               const struct sshsig_key *key, sshsig_sign_fn sign, void *signer,
                               char **armored, char *err, size_t err_len);

#endif
