/*
 * sshsig_key - SSH public keys (wire form and authorized_keys lines),
 *	their fingerprints, and one SSH signature checked with OpenSSL
 *	(see sshsig.h and sshsig_internal.h).
 *
 * DESCRIPTION
 *	Wire forms (RFC 4253, RFC 5656, RFC 8709): "ssh-ed25519" string
 *	key(32); "ecdsa-sha2-nistp256" string "nistp256" string Q (an
 *	uncompressed point, checked on the curve by OpenSSL); "ssh-rsa"
 *	mpint e mpint n. Signatures: string algorithm, string blob, where
 *	the blob is the raw 64 bytes for Ed25519, mpint r mpint s for ECDSA
 *	(turned into DER for OpenSSL), the PKCS#1 v1.5 signature for RSA.
 */
#include "io/sshsig_internal.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSHSIG_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define SSHSIG_ED25519_KEY_LEN 32
#define SSHSIG_ED25519_SIG_LEN 64
#define SSHSIG_P256_POINT_LEN 65
#define SSHSIG_P256_SCALAR_LEN 32
#define SSHSIG_RSA_MIN_BYTES (2048 / 8)
#define SSHSIG_RSA_MAX_BYTES (16384 / 8)
#define SSHSIG_RSA_E_MAX_BYTES 8
#define SSHSIG_LINE_MAX (16u * 1024)

typedef int (*sshsig_key_parse_fn)(struct ssh_reader *r, struct sshsig_key *key);

/* One key type: its name in the wire form and how the rest is read. */
struct sshsig_key_kind {
    const char *name;
    enum sshsig_key_type type;
    sshsig_key_parse_fn parse;
};

/* One signature algorithm a key type may use, and its digest (NULL: Ed25519's own). */
struct sshsig_sig_kind {
    enum sshsig_key_type type;
    const char *name;
    const EVP_MD *(*md)(void);
};

static const char *const sshsig_status_codes[] = {
    [SSHSIG_OK] = "ok",
    [SSHSIG_MALFORMED] = "malformed",
    [SSHSIG_BAD_VERSION] = "bad-version",
    [SSHSIG_UNSUPPORTED] = "unsupported",
    [SSHSIG_WRONG_NAMESPACE] = "wrong-namespace",
    [SSHSIG_KEY_NOT_ALLOWED] = "key-not-allowed",
    [SSHSIG_BAD_SIGNATURE] = "bad-signature",
    [SSHSIG_SYSTEM] = "system",
};

/* The first is the one cutover signs with; "ssh-rsa" (SHA-1) is not here on purpose. */
static const struct sshsig_sig_kind sshsig_sig_kinds[] = {
    { SSHSIG_KEY_ED25519, "ssh-ed25519", NULL },
    { SSHSIG_KEY_ECDSA_P256, "ecdsa-sha2-nistp256", EVP_sha256 },
    { SSHSIG_KEY_RSA, "rsa-sha2-512", EVP_sha512 },
    { SSHSIG_KEY_RSA, "rsa-sha2-256", EVP_sha256 },
};

/* sshsig_status_code - the status's stable name */
const char *sshsig_status_code(enum sshsig_status status)
{
    if ((unsigned)status >= SSHSIG_COUNT(sshsig_status_codes))
        return "unknown";
    return sshsig_status_codes[status];
}

/* sshsig_fail - fill err and return status */
enum sshsig_status sshsig_fail(char *err, size_t err_len, enum sshsig_status status,
                               const char *fmt, ...)
{
    va_list ap;

    ERR_clear_error(); /* leave no OpenSSL error behind for an unrelated caller */
    if (err && err_len > 0) {
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* sshsig_pkey_from_params - build an EVP_PKEY from the parameters in bld */
EVP_PKEY *sshsig_pkey_from_params(const char *type, int selection, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* the secure part, private numbers, is wiped */
    return pkey;
}

/* sshsig_parse_ed25519 - string key(32) */
static int sshsig_parse_ed25519(struct ssh_reader *r, struct sshsig_key *key)
{
    const unsigned char *pk;
    size_t len;

    if (ssh_read_string(r, &pk, &len) != 0 || len != SSHSIG_ED25519_KEY_LEN)
        return -1;
    key->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, len);
    return key->pkey ? 0 : -1;
}

/* sshsig_parse_ecdsa - string "nistp256", string Q (uncompressed, on the curve) */
static int sshsig_parse_ecdsa(struct ssh_reader *r, struct sshsig_key *key)
{
    const unsigned char *q;
    size_t len;
    OSSL_PARAM_BLD *bld;

    if (ssh_read_string_eq(r, "nistp256") != 0 || ssh_read_string(r, &q, &len) != 0 ||
        len != SSHSIG_P256_POINT_LEN || q[0] != 0x04 || (bld = OSSL_PARAM_BLD_new()) == NULL)
        return -1;
    if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, len) == 1)
        key->pkey = sshsig_pkey_from_params("EC", EVP_PKEY_PUBLIC_KEY, bld);
    OSSL_PARAM_BLD_free(bld);
    return key->pkey ? 0 : -1;
}

/* sshsig_rsa_from_numbers - an RSA EVP_PKEY from count named numbers (none NULL) */
EVP_PKEY *sshsig_rsa_from_numbers(const char *const names[], BIGNUM *const numbers[],
                                  size_t count, int selection)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    size_t i = 0;

    while (bld && i < count && numbers[i] && OSSL_PARAM_BLD_push_BN(bld, names[i], numbers[i]) == 1)
        i++;
    if (bld && i == count)
        pkey = sshsig_pkey_from_params("RSA", selection, bld);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* sshsig_parse_rsa - mpint e, mpint n (2048 to 16384 bits) */
static int sshsig_parse_rsa(struct ssh_reader *r, struct sshsig_key *key)
{
    static const char *const names[] = { OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_N };
    const unsigned char *e, *n;
    size_t e_len, n_len;
    BIGNUM *numbers[2];

    if (ssh_read_mpint(r, &e, &e_len) != 0 || ssh_read_mpint(r, &n, &n_len) != 0 ||
        e_len > SSHSIG_RSA_E_MAX_BYTES || n_len < SSHSIG_RSA_MIN_BYTES ||
        n_len > SSHSIG_RSA_MAX_BYTES)
        return -1;
    numbers[0] = BN_bin2bn(e, (int)e_len, NULL);
    numbers[1] = BN_bin2bn(n, (int)n_len, NULL);
    key->pkey = sshsig_rsa_from_numbers(names, numbers, 2, EVP_PKEY_PUBLIC_KEY);
    BN_free(numbers[0]);
    BN_free(numbers[1]);
    return key->pkey ? 0 : -1;
}

static const struct sshsig_key_kind sshsig_key_kinds[] = {
    { "ssh-ed25519", SSHSIG_KEY_ED25519, sshsig_parse_ed25519 },
    { "ecdsa-sha2-nistp256", SSHSIG_KEY_ECDSA_P256, sshsig_parse_ecdsa },
    { "ssh-rsa", SSHSIG_KEY_RSA, sshsig_parse_rsa },
};

/* sshsig_key_kind_named - the kind whose name is the n bytes at name, or NULL */
static const struct sshsig_key_kind *sshsig_key_kind_named(const void *name, size_t n)
{
    for (size_t i = 0; i < SSHSIG_COUNT(sshsig_key_kinds); i++)
        if (strlen(sshsig_key_kinds[i].name) == n && memcmp(sshsig_key_kinds[i].name, name, n) == 0)
            return &sshsig_key_kinds[i];
    return NULL;
}

/* sshsig_key_from_blob - parse the wire form; nothing may follow the key */
enum sshsig_status sshsig_key_from_blob(struct sshsig_key *key, const unsigned char *blob,
                                        size_t len, char *err, size_t err_len)
{
    struct ssh_reader r = { blob, len };
    const struct sshsig_key_kind *kind;
    const unsigned char *name;
    size_t name_len;

    memset(key, 0, sizeof(*key));
    if (len > SSHSIG_BLOB_MAX || ssh_read_string(&r, &name, &name_len) != 0)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "public key is malformed");
    if ((kind = sshsig_key_kind_named(name, name_len)) == NULL)
        return sshsig_fail(err, err_len, SSHSIG_UNSUPPORTED, "public key type is not supported");
    key->type = kind->type;
    if (kind->parse(&r, key) != 0 || r.left != 0 || (key->blob = malloc(len)) == NULL) {
        sshsig_key_free(key);
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "%s public key is malformed", kind->name);
    }
    memcpy(key->blob, blob, len);
    key->blob_len = len;
    return SSHSIG_OK;
}

/* sshsig_line_field - the next whitespace-separated field of a line (double quotes
 * keep spaces inside, as in authorized_keys options); NULL at the end */
static const char *sshsig_line_field(const char *p, size_t *len)
{
    const char *start;
    int quoted = 0;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#')
        return NULL;
    for (start = p; *p != '\0' && *p != '\n' && *p != '\r'; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && (*p == ' ' || *p == '\t'))
            break;
    }
    *len = (size_t)(p - start);
    return start;
}

/* sshsig_key_from_field - the key in the base64 field after the type field named kind */
static enum sshsig_status sshsig_key_from_field(struct sshsig_key *key,
                                                const struct sshsig_key_kind *kind,
                                                const char *b64, size_t len, char *err,
                                                size_t err_len)
{
    size_t blob_len;
    unsigned char *blob = ssh_base64_decode(b64, len, SSHSIG_BLOB_MAX, &blob_len);
    enum sshsig_status status;

    if (!blob)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "%s key is not base64", kind->name);
    status = sshsig_key_from_blob(key, blob, blob_len, err, err_len);
    free(blob);
    if (status == SSHSIG_OK && key->type != kind->type) {
        sshsig_key_free(key);
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "key does not match its type %s",
                           kind->name);
    }
    return status;
}

/* sshsig_key_from_line - the key of an authorized_keys or allowed_signers line */
enum sshsig_status sshsig_key_from_line(struct sshsig_key *key, const char *line, char *err,
                                        size_t err_len)
{
    const struct sshsig_key_kind *kind = NULL;
    const char *field, *p = line;
    size_t len;

    memset(key, 0, sizeof(*key));
    if (strnlen(line, SSHSIG_LINE_MAX) >= SSHSIG_LINE_MAX)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "key line is too long");
    while ((field = sshsig_line_field(p, &len)) != NULL) {
        p = field + len;
        if (kind)
            return sshsig_key_from_field(key, kind, field, len, err, err_len);
        kind = sshsig_key_kind_named(field, len);
    }
    return sshsig_fail(err, err_len, kind ? SSHSIG_MALFORMED : SSHSIG_UNSUPPORTED,
                       kind ? "key line ends after its type" : "no supported key type on the line");
}

/* sshsig_key_free - release the key; it may be freed again */
void sshsig_key_free(struct sshsig_key *key)
{
    free(key->blob);
    EVP_PKEY_free(key->pkey);
    key->blob = NULL;
    key->pkey = NULL;
    key->blob_len = 0;
}

/* sshsig_key_equal - the same wire form: the same key */
int sshsig_key_equal(const struct sshsig_key *a, const struct sshsig_key *b)
{
    return a->blob && b->blob && a->blob_len == b->blob_len &&
           memcmp(a->blob, b->blob, a->blob_len) == 0;
}

/* sshsig_key_type_name - the wire name of key's type */
const char *sshsig_key_type_name(const struct sshsig_key *key)
{
    for (size_t i = 0; i < SSHSIG_COUNT(sshsig_key_kinds); i++)
        if (sshsig_key_kinds[i].type == key->type)
            return sshsig_key_kinds[i].name;
    return "unknown";
}

/* sshsig_blob_fingerprint - "SHA256:" and the unpadded base64 of SHA-256(blob), as OpenSSH prints */
void sshsig_blob_fingerprint(const unsigned char *blob, size_t len, char *out, size_t out_len)
{
    unsigned char digest[32], text[48];
    unsigned int digest_len = 0;
    int n = 0;

    if (EVP_Digest(blob, len, digest, &digest_len, EVP_sha256(), NULL) == 1)
        n = EVP_EncodeBlock(text, digest, (int)digest_len);
    while (n > 0 && text[n - 1] == '=')
        n--;
    snprintf(out, out_len, "SHA256:%.*s", n, (const char *)text);
}

/* sshsig_key_fingerprint - the fingerprint of the key's wire form */
void sshsig_key_fingerprint(const struct sshsig_key *key, char *out, size_t out_len)
{
    sshsig_blob_fingerprint(key->blob, key->blob_len, out, out_len);
}

/* sshsig_key_signature_algorithm - the table's first algorithm for key's type, and its digest */
const char *sshsig_key_signature_algorithm(const struct sshsig_key *key, const EVP_MD **md)
{
    for (size_t i = 0; i < SSHSIG_COUNT(sshsig_sig_kinds); i++)
        if (sshsig_sig_kinds[i].type == key->type) {
            *md = sshsig_sig_kinds[i].md ? sshsig_sig_kinds[i].md() : NULL;
            return sshsig_sig_kinds[i].name;
        }
    return NULL;
}

/* sshsig_sig_kind_of - the algorithm named alg, when key's type may use it */
static const struct sshsig_sig_kind *sshsig_sig_kind_of(const struct sshsig_key *key,
                                                        const char *alg)
{
    for (size_t i = 0; i < SSHSIG_COUNT(sshsig_sig_kinds); i++)
        if (sshsig_sig_kinds[i].type == key->type && strcmp(sshsig_sig_kinds[i].name, alg) == 0)
            return &sshsig_sig_kinds[i];
    return NULL;
}

/* sshsig_evp_verify - OpenSSL's verdict on sig over data; 0 when it verifies */
static int sshsig_evp_verify(EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *sig,
                             size_t sig_len, const unsigned char *data, size_t data_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, data, data_len) == 1;

    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* sshsig_ecdsa_ssh_to_der - SSH's mpint r, mpint s as a DER ECDSA-Sig-Value in out */
static int sshsig_ecdsa_ssh_to_der(const unsigned char *blob, size_t len, unsigned char **out,
                                   size_t *out_len)
{
    struct ssh_reader r = { blob, len };
    const unsigned char *rb, *sb;
    size_t r_len, s_len;
    ECDSA_SIG *sig;
    int n = -1;

    if (ssh_read_mpint(&r, &rb, &r_len) != 0 || ssh_read_mpint(&r, &sb, &s_len) != 0 ||
        r.left != 0 || r_len > SSHSIG_P256_SCALAR_LEN || s_len > SSHSIG_P256_SCALAR_LEN)
        return -1;
    if ((sig = ECDSA_SIG_new()) == NULL)
        return -1;
    BIGNUM *bn_r = BN_bin2bn(rb, (int)r_len, NULL), *bn_s = BN_bin2bn(sb, (int)s_len, NULL);
    if (bn_r && bn_s && ECDSA_SIG_set0(sig, bn_r, bn_s) == 1) {
        bn_r = bn_s = NULL; /* the signature owns them */
        *out = NULL;
        n = i2d_ECDSA_SIG(sig, out);
    }
    BN_free(bn_r);
    BN_free(bn_s);
    ECDSA_SIG_free(sig);
    *out_len = n > 0 ? (size_t)n : 0;
    return n > 0 ? 0 : -1;
}

/* sshsig_ecdsa_der_to_ssh - a DER ECDSA signature as mpint r, mpint s */
int sshsig_ecdsa_der_to_ssh(const unsigned char *der, size_t len, struct buf *out)
{
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &der, (long)len);
    unsigned char r[SSHSIG_P256_SCALAR_LEN], s[SSHSIG_P256_SCALAR_LEN];
    int ok = sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), r, sizeof(r)) > 0 &&
             BN_bn2binpad(ECDSA_SIG_get0_s(sig), s, sizeof(s)) > 0 &&
             ssh_put_mpint(out, r, sizeof(r)) == 0 && ssh_put_mpint(out, s, sizeof(s)) == 0;

    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

/* sshsig_verify_ecdsa - convert the blob to DER and check it */
static int sshsig_verify_ecdsa(const struct sshsig_key *key, const EVP_MD *md,
                               const unsigned char *blob, size_t len,
                               const unsigned char *data, size_t data_len)
{
    unsigned char *der;
    size_t der_len;
    int rc;

    if (sshsig_ecdsa_ssh_to_der(blob, len, &der, &der_len) != 0)
        return -1;
    rc = sshsig_evp_verify(key->pkey, md, der, der_len, data, data_len);
    OPENSSL_free(der);
    return rc;
}

/* sshsig_verify_rsa - check a PKCS#1 v1.5 signature, left-padded to the modulus as OpenSSH does */
static int sshsig_verify_rsa(const struct sshsig_key *key, const EVP_MD *md,
                             const unsigned char *blob, size_t len,
                             const unsigned char *data, size_t data_len)
{
    unsigned char padded[SSHSIG_RSA_MAX_BYTES];
    int size = EVP_PKEY_get_size(key->pkey);

    if (size <= 0 || (size_t)size > sizeof(padded) || len > (size_t)size || len == 0)
        return -1;
    memset(padded, 0, (size_t)size - len);
    memcpy(padded + ((size_t)size - len), blob, len);
    return sshsig_evp_verify(key->pkey, md, padded, (size_t)size, data, data_len);
}

/* sshsig_verify_blob - the key type's check of one signature blob */
static int sshsig_verify_blob(const struct sshsig_key *key, const struct sshsig_sig_kind *kind,
                              const unsigned char *blob, size_t len,
                              const unsigned char *data, size_t data_len)
{
    const EVP_MD *md = kind->md ? kind->md() : NULL;

    switch (key->type) {
    case SSHSIG_KEY_ED25519:
        if (len != SSHSIG_ED25519_SIG_LEN)
            return -1;
        return sshsig_evp_verify(key->pkey, NULL, blob, len, data, data_len);
    case SSHSIG_KEY_ECDSA_P256:
        return sshsig_verify_ecdsa(key, md, blob, len, data, data_len);
    case SSHSIG_KEY_RSA:
        return sshsig_verify_rsa(key, md, blob, len, data, data_len);
    }
    return -1;
}

/* sshsig_key_verify_signature - parse string algorithm, string blob and check it */
enum sshsig_status sshsig_key_verify_signature(const struct sshsig_key *key,
                                               const unsigned char *sig, size_t sig_len,
                                               const unsigned char *data, size_t data_len,
                                               char *err, size_t err_len)
{
    struct ssh_reader r = { sig, sig_len };
    const struct sshsig_sig_kind *kind;
    const unsigned char *blob;
    size_t blob_len;
    char alg[64];

    if (ssh_read_cstring(&r, alg, sizeof(alg)) != 0 || ssh_read_string(&r, &blob, &blob_len) != 0 ||
        r.left != 0)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "signature is malformed");
    if ((kind = sshsig_sig_kind_of(key, alg)) == NULL)
        return sshsig_fail(err, err_len, SSHSIG_UNSUPPORTED,
                           "signature algorithm is not allowed for a %s key%s",
                           sshsig_key_type_name(key),
                           strcmp(alg, "ssh-rsa") == 0 ? " (ssh-rsa is SHA-1)" : "");
    if (sshsig_verify_blob(key, kind, blob, blob_len, data, data_len) != 0)
        return sshsig_fail(err, err_len, SSHSIG_BAD_SIGNATURE, "signature does not verify");
    ERR_clear_error();
    return SSHSIG_OK;
}
