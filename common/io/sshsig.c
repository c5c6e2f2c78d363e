/*
 * sshsig - the SSHSIG blob: decode (armored, base64 or binary), parse,
 *	verify against allowed keys, and make one with a signer (see
 *	sshsig.h; the key types are in sshsig_key.c).
 *
 * DESCRIPTION
 *	Blob (PROTOCOL.sshsig section 2): byte[6] "SSHSIG", uint32 version,
 *	string publickey, string namespace, string reserved, string
 *	hash_algorithm, string signature. Signed data (section 3): byte[6]
 *	"SSHSIG", string namespace, string reserved, string hash_algorithm,
 *	string H(message). The reserved field must be empty: ssh-keygen
 *	writes it empty and signs it empty, and a field no signature covers
 *	has no place in a signed command.
 */
#include "io/sshsig_internal.h"

#include <stdlib.h>
#include <string.h>

#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_MAGIC_LEN 6
#define SSHSIG_VERSION 1
#define SSHSIG_ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define SSHSIG_ARMOR_END "-----END SSH SIGNATURE-----"
#define SSHSIG_ARMOR_WRAP 70 /* as ssh-keygen writes it */
#define SSHSIG_HASH_NAME_MAX 16

/* A parsed blob; the pointers are into the decoded blob. */
struct sshsig_parsed {
    const unsigned char *key_blob;
    size_t key_len;
    char ns[SSHSIG_NAMESPACE_MAX];
    char hash[SSHSIG_HASH_NAME_MAX];
    const unsigned char *sig;
    size_t sig_len;
};

/* sshsig_hash_md - the digest named name ("sha256", "sha512"), or NULL */
static const EVP_MD *sshsig_hash_md(const char *name)
{
    if (strcmp(name, "sha256") == 0)
        return EVP_sha256();
    if (strcmp(name, "sha512") == 0)
        return EVP_sha512();
    return NULL;
}

/* sshsig_copy_raw - a binary blob as given, copied */
static unsigned char *sshsig_copy_raw(const char *text, size_t len, size_t *out_len)
{
    unsigned char *blob = len <= SSHSIG_BLOB_MAX ? malloc(len ? len : 1) : NULL;

    if (blob) {
        memcpy(blob, text, len);
        *out_len = len;
    }
    return blob;
}

/* sshsig_decode - the blob of an armored, base64 or binary signature */
static enum sshsig_status sshsig_decode(const char *text, size_t len, unsigned char **blob,
                                        size_t *blob_len, char *err, size_t err_len)
{
    size_t armor_len = sizeof(SSHSIG_ARMOR_BEGIN) - 1;

    if (len > SSHSIG_TEXT_MAX)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "signature is larger than %u bytes",
                           SSHSIG_TEXT_MAX);
    if (len >= SSHSIG_MAGIC_LEN && memcmp(text, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN) == 0)
        *blob = sshsig_copy_raw(text, len, blob_len);
    else if (len >= armor_len && memcmp(text, SSHSIG_ARMOR_BEGIN, armor_len) == 0)
        *blob = ssh_dearmor(text, len, SSHSIG_ARMOR_BEGIN, SSHSIG_ARMOR_END, SSHSIG_BLOB_MAX, blob_len);
    else
        *blob = ssh_base64_decode(text, len, SSHSIG_BLOB_MAX, blob_len);
    if (!*blob)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "signature is neither armored, base64 nor an SSHSIG blob");
    return SSHSIG_OK;
}

/* sshsig_parse_fields - the fields after the version; nothing may follow them */
static enum sshsig_status sshsig_parse_fields(struct ssh_reader *r, struct sshsig_parsed *p,
                                              char *err, size_t err_len)
{
    const unsigned char *reserved;
    size_t reserved_len;

    if (ssh_read_string(r, &p->key_blob, &p->key_len) != 0 ||
        ssh_read_cstring(r, p->ns, sizeof(p->ns)) != 0 ||
        ssh_read_string(r, &reserved, &reserved_len) != 0 ||
        ssh_read_cstring(r, p->hash, sizeof(p->hash)) != 0 ||
        ssh_read_string(r, &p->sig, &p->sig_len) != 0 || r->left != 0)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "SSHSIG blob is truncated or has trailing bytes");
    if (reserved_len != 0)
        return sshsig_fail(err, err_len, SSHSIG_UNSUPPORTED, "SSHSIG reserved field is not empty");
    if (!sshsig_hash_md(p->hash))
        return sshsig_fail(err, err_len, SSHSIG_UNSUPPORTED, "hash algorithm is not sha256 or sha512");
    return SSHSIG_OK;
}

/* sshsig_parse - check the magic and the version, then read the fields */
static enum sshsig_status sshsig_parse(const unsigned char *blob, size_t len,
                                       struct sshsig_parsed *p, char *err, size_t err_len)
{
    struct ssh_reader r = { blob, len };
    const unsigned char *magic;
    uint32_t version;

    if (ssh_read_bytes(&r, SSHSIG_MAGIC_LEN, &magic) != 0 ||
        memcmp(magic, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN) != 0 || ssh_read_u32(&r, &version) != 0)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "not an SSHSIG blob");
    if (version != SSHSIG_VERSION)
        return sshsig_fail(err, err_len, SSHSIG_BAD_VERSION, "SSHSIG version %u is not 1",
                           (unsigned)version);
    return sshsig_parse_fields(&r, p, err, err_len);
}

/* sshsig_signed_data - PROTOCOL.sshsig section 3 for msg, into out */
static int sshsig_signed_data(struct buf *out, const char *ns, const char *hash,
                              const unsigned char *msg, size_t len)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len;
    const EVP_MD *md = sshsig_hash_md(hash);

    if (!md || EVP_Digest(msg, len, digest, &digest_len, md, NULL) != 1)
        return -1;
    if (buf_append(out, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN) != 0 || ssh_put_cstring(out, ns) != 0 ||
        ssh_put_string(out, "", 0) != 0 || ssh_put_cstring(out, hash) != 0)
        return -1;
    return ssh_put_string(out, digest, digest_len);
}

/* sshsig_allowed_index - the allowed key whose wire form is blob; -1 when none */
static long sshsig_allowed_index(const unsigned char *blob, size_t len,
                                 const struct sshsig_key *allowed, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (allowed[i].blob_len == len && memcmp(allowed[i].blob, blob, len) == 0)
            return (long)i;
    return -1;
}

/* sshsig_key_not_allowed - the refusal, naming the signing key by its fingerprint */
static enum sshsig_status sshsig_key_not_allowed(const struct sshsig_parsed *p, char *err,
                                                 size_t err_len)
{
    char fp[SSHSIG_FINGERPRINT_MAX];

    sshsig_blob_fingerprint(p->key_blob, p->key_len, fp, sizeof(fp));
    return sshsig_fail(err, err_len, SSHSIG_KEY_NOT_ALLOWED, "signing key %s is not allowed", fp);
}

/* sshsig_check - a parsed blob against the namespace, the allowed keys and msg */
static enum sshsig_status sshsig_check(const struct sshsig_parsed *p, const unsigned char *msg,
                                       size_t len, const char *ns,
                                       const struct sshsig_key *allowed, size_t n,
                                       size_t *which, char *err, size_t err_len)
{
    long i = sshsig_allowed_index(p->key_blob, p->key_len, allowed, n);
    enum sshsig_status status;
    struct buf data;

    if (strcmp(p->ns, ns) != 0)
        return sshsig_fail(err, err_len, SSHSIG_WRONG_NAMESPACE, "signature is for another namespace");
    if (i < 0)
        return sshsig_key_not_allowed(p, err, err_len);
    buf_init(&data, SSHSIG_NAMESPACE_MAX + 128);
    if (sshsig_signed_data(&data, p->ns, p->hash, msg, len) != 0)
        status = sshsig_fail(err, err_len, SSHSIG_SYSTEM, "cannot hash the message");
    else
        status = sshsig_key_verify_signature(&allowed[i], p->sig, p->sig_len,
                                             (const unsigned char *)data.data, data.len, err,
                                             err_len);
    buf_free(&data);
    if (status == SSHSIG_OK && which)
        *which = (size_t)i;
    return status;
}

/* sshsig_verify - decode, parse and check sig */
enum sshsig_status sshsig_verify(const unsigned char *msg, size_t len, const char *sig,
                                 size_t sig_len, const char *ns,
                                 const struct sshsig_key *allowed, size_t n, size_t *which,
                                 char *err, size_t err_len)
{
    struct sshsig_parsed parsed;
    enum sshsig_status status;
    unsigned char *blob = NULL;
    size_t blob_len;

    if (!ns || ns[0] == '\0' || strlen(ns) >= SSHSIG_NAMESPACE_MAX)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the expected namespace is empty or too long");
    status = sshsig_decode(sig, sig_len, &blob, &blob_len, err, err_len);
    if (status == SSHSIG_OK)
        status = sshsig_parse(blob, blob_len, &parsed, err, err_len);
    if (status == SSHSIG_OK)
        status = sshsig_check(&parsed, msg, len, ns, allowed, n, which, err, err_len);
    free(blob);
    return status;
}

/* sshsig_blob - the SSHSIG blob of a signature by key */
static int sshsig_blob(struct buf *out, const struct sshsig_key *key, const char *ns,
                       const struct buf *signature)
{
    return buf_append(out, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN) != 0 ||
                   ssh_put_u32(out, SSHSIG_VERSION) != 0 ||
                   ssh_put_string(out, key->blob, key->blob_len) != 0 ||
                   ssh_put_cstring(out, ns) != 0 || ssh_put_string(out, "", 0) != 0 ||
                   ssh_put_cstring(out, SSHSIG_SIGN_HASH) != 0 ||
                   ssh_put_string(out, signature->data, signature->len) != 0
               ? -1
               : 0;
}

/* sshsig_armor - the armored text of a blob */
static int sshsig_armor(struct buf *out, const struct buf *blob)
{
    return buf_puts(out, SSHSIG_ARMOR_BEGIN "\n") != 0 ||
                   ssh_base64_encode(out, (const unsigned char *)blob->data, blob->len,
                                     SSHSIG_ARMOR_WRAP) != 0 ||
                   buf_puts(out, "\n" SSHSIG_ARMOR_END "\n") != 0
               ? -1
               : 0;
}

/* sshsig_seal - sign the signed data and armor the blob into text */
static enum sshsig_status sshsig_seal(const unsigned char *msg, size_t len, const char *ns,
                                      const struct sshsig_key *key, sshsig_sign_fn sign,
                                      void *signer, struct buf *text, char *err,
                                      size_t err_len)
{
    struct buf data, signature, blob;
    enum sshsig_status status = SSHSIG_SYSTEM;

    buf_init(&data, SSHSIG_NAMESPACE_MAX + 128);
    buf_init(&signature, SSHSIG_BLOB_MAX);
    buf_init(&blob, SSHSIG_BLOB_MAX);
    if (sshsig_signed_data(&data, ns, SSHSIG_SIGN_HASH, msg, len) != 0)
        sshsig_fail(err, err_len, status, "cannot hash the message");
    else if ((status = sign(signer, (const unsigned char *)data.data, data.len, &signature,
                            err, err_len)) == SSHSIG_OK &&
             (sshsig_blob(&blob, key, ns, &signature) != 0 || sshsig_armor(text, &blob) != 0))
        status = sshsig_fail(err, err_len, SSHSIG_SYSTEM, "signature is too large");
    buf_free(&data);
    buf_free(&signature);
    buf_free(&blob);
    return status;
}

/* sshsig_make - sign, armor, and verify what was made before handing it out */
enum sshsig_status sshsig_make(const unsigned char *msg, size_t len, const char *ns,
                               const struct sshsig_key *key, sshsig_sign_fn sign, void *signer,
                               char **armored, char *err, size_t err_len)
{
    struct buf text;
    enum sshsig_status status;

    *armored = NULL;
    if (!ns || ns[0] == '\0' || strlen(ns) >= SSHSIG_NAMESPACE_MAX)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the namespace is empty or too long");
    buf_init(&text, SSHSIG_TEXT_MAX);
    status = sshsig_seal(msg, len, ns, key, sign, signer, &text, err, err_len);
    if (status == SSHSIG_OK &&
        sshsig_verify(msg, len, text.data, text.len, ns, key, 1, NULL, err, err_len) != SSHSIG_OK)
        status = sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the signature made does not verify");
    if (status == SSHSIG_OK)
        *armored = buf_steal(&text);
    buf_free(&text);
    return status;
}
