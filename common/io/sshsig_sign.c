/*
 * sshsig_sign - SSHSIG signatures made with an unencrypted OpenSSH
 *	private key file (see sshsig.h).
 *
 * DESCRIPTION
 *	The file (OpenSSH's PROTOCOL.key): "-----BEGIN OPENSSH PRIVATE
 *	KEY-----", base64 of: "openssh-key-v1\0", string cipher ("none"),
 *	string kdf ("none"), string kdf options (empty), uint32 keys (1),
 *	string public key, string private section. The private section:
 *	uint32 check, uint32 check (equal), string type, the type's private
 *	fields, string comment, padding 1, 2, 3... Private fields:
 *	ssh-ed25519 string pk(32) string seed(32)+pk(32); ecdsa-sha2-nistp256
 *	string "nistp256" string Q mpint d; ssh-rsa mpint n mpint e mpint d
 *	mpint iqmp mpint p mpint q.
 *
 *	The public key signed for is the file's public key; a private part
 *	that does not match it makes a signature that sshsig_make() refuses.
 *	The file's bytes, the decoded blob and every private number are
 *	wiped before they are freed.
 */
#include "io/sshsig_internal.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSHSIG_KEY_FILE_MAX (64u * 1024)
#define SSHSIG_KEY_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define SSHSIG_KEY_END "-----END OPENSSH PRIVATE KEY-----"
#define SSHSIG_KEY_MAGIC "openssh-key-v1"
#define SSHSIG_ED25519_SEED_LEN 32
#define SSHSIG_RSA_NUMBERS 8

/* A key file's keys: the public one signed for, the private one that signs. */
struct sshsig_file_signer {
    struct sshsig_key pub;
    EVP_PKEY *priv;
};

/* sshsig_read_file - at most SSHSIG_KEY_FILE_MAX bytes of path into a new buffer */
static char *sshsig_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *text = f ? malloc(SSHSIG_KEY_FILE_MAX + 1) : NULL;

    if (text) {
        *len = fread(text, 1, SSHSIG_KEY_FILE_MAX + 1, f);
        if (*len > SSHSIG_KEY_FILE_MAX || ferror(f)) {
            OPENSSL_cleanse(text, SSHSIG_KEY_FILE_MAX + 1);
            free(text);
            text = NULL;
        }
    }
    if (f)
        fclose(f);
    return text;
}

/* sshsig_private_ed25519 - string pk, string seed+pk: the key from the seed */
static EVP_PKEY *sshsig_private_ed25519(struct ssh_reader *r)
{
    const unsigned char *pk, *sk;
    size_t pk_len, sk_len;

    if (ssh_read_string(r, &pk, &pk_len) != 0 || ssh_read_string(r, &sk, &sk_len) != 0 ||
        sk_len != 2 * SSHSIG_ED25519_SEED_LEN)
        return NULL;
    return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, SSHSIG_ED25519_SEED_LEN);
}

/* sshsig_private_ecdsa - string "nistp256", string Q, mpint d */
static EVP_PKEY *sshsig_private_ecdsa(struct ssh_reader *r)
{
    const unsigned char *q, *d;
    size_t q_len, d_len;
    OSSL_PARAM_BLD *bld;
    BIGNUM *priv = NULL;
    EVP_PKEY *pkey = NULL;

    if (ssh_read_string_eq(r, "nistp256") != 0 || ssh_read_string(r, &q, &q_len) != 0 ||
        ssh_read_mpint(r, &d, &d_len) != 0 || (bld = OSSL_PARAM_BLD_new()) == NULL)
        return NULL;
    if ((priv = BN_secure_new()) != NULL && BN_bin2bn(d, (int)d_len, priv) != NULL &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, q_len) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) == 1)
        pkey = sshsig_pkey_from_params("EC", EVP_PKEY_KEYPAIR, bld);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(priv);
    return pkey;
}

/* sshsig_rsa_crt - d mod (p - 1) and d mod (q - 1), which the file leaves out */
static int sshsig_rsa_crt(BIGNUM *const n[SSHSIG_RSA_NUMBERS])
{
    BN_CTX *ctx = BN_CTX_secure_new();
    BIGNUM *p1 = BN_secure_new(), *q1 = BN_secure_new();
    int ok = ctx && p1 && q1 && BN_sub(p1, n[3], BN_value_one()) == 1 &&
             BN_sub(q1, n[4], BN_value_one()) == 1 && BN_mod(n[5], n[2], p1, ctx) == 1 &&
             BN_mod(n[6], n[2], q1, ctx) == 1;

    BN_clear_free(p1);
    BN_clear_free(q1);
    BN_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* sshsig_private_rsa - mpint n, e, d, iqmp, p, q */
static EVP_PKEY *sshsig_private_rsa(struct ssh_reader *r)
{
    /* the order of numbers[]: what the file gives at file_order[i], then the two computed */
    static const char *const names[SSHSIG_RSA_NUMBERS] = {
        OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
        OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
        OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
        OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
    };
    static const int file_order[6] = { 0, 1, 2, 7, 3, 4 }; /* n e d iqmp p q */
    BIGNUM *numbers[SSHSIG_RSA_NUMBERS] = { 0 };
    EVP_PKEY *pkey = NULL;
    int ok = 1;

    for (size_t i = 0; i < SSHSIG_RSA_NUMBERS; i++)
        ok = ok && (numbers[i] = BN_secure_new()) != NULL;
    for (size_t i = 0; ok && i < 6; i++) {
        const unsigned char *v;
        size_t v_len;
        ok = ssh_read_mpint(r, &v, &v_len) == 0 && v_len <= SSHSIG_BLOB_MAX &&
             BN_bin2bn(v, (int)v_len, numbers[file_order[i]]) != NULL;
    }
    if (ok && sshsig_rsa_crt(numbers) == 0)
        pkey = sshsig_rsa_from_numbers(names, numbers, SSHSIG_RSA_NUMBERS, EVP_PKEY_KEYPAIR);
    for (size_t i = 0; i < SSHSIG_RSA_NUMBERS; i++)
        BN_clear_free(numbers[i]);
    return pkey;
}

/* sshsig_padding_ok - 1 when what is left is the padding 1, 2, 3, ... (less than a block) */
static int sshsig_padding_ok(struct ssh_reader *r)
{
    unsigned char pad;

    for (unsigned i = 1; r->left > 0; i++)
        if (i > 16 || ssh_read_u8(r, &pad) != 0 || pad != i)
            return 0;
    return 1;
}

/* sshsig_private_key - the private fields of pub's type, then comment and padding */
static EVP_PKEY *sshsig_private_key(struct ssh_reader *r, const struct sshsig_key *pub)
{
    const unsigned char *comment;
    size_t comment_len;
    EVP_PKEY *pkey = NULL;

    if (ssh_read_string_eq(r, sshsig_key_type_name(pub)) != 0)
        return NULL;
    if (pub->type == SSHSIG_KEY_ED25519)
        pkey = sshsig_private_ed25519(r);
    else if (pub->type == SSHSIG_KEY_ECDSA_P256)
        pkey = sshsig_private_ecdsa(r);
    else if (pub->type == SSHSIG_KEY_RSA)
        pkey = sshsig_private_rsa(r);
    if (pkey && (ssh_read_string(r, &comment, &comment_len) != 0 || !sshsig_padding_ok(r))) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

/* sshsig_private_section - uint32 check twice (equal), then one private key */
static EVP_PKEY *sshsig_private_section(const unsigned char *section, size_t len,
                                        const struct sshsig_key *pub)
{
    struct ssh_reader r = { section, len };
    uint32_t check1, check2;

    if (ssh_read_u32(&r, &check1) != 0 || ssh_read_u32(&r, &check2) != 0 || check1 != check2)
        return NULL;
    return sshsig_private_key(&r, pub);
}

/* sshsig_key_blob_parse - the header of an openssh-key-v1 blob, its public key, its private one */
static enum sshsig_status sshsig_key_blob_parse(const unsigned char *blob, size_t len,
                                                struct sshsig_file_signer *s, char *err,
                                                size_t err_len)
{
    struct ssh_reader r = { blob, len };
    const unsigned char *magic, *pub, *section;
    size_t pub_len, section_len;
    uint32_t nkeys;
    enum sshsig_status status;

    if (ssh_read_bytes(&r, sizeof(SSHSIG_KEY_MAGIC), &magic) != 0 ||
        memcmp(magic, SSHSIG_KEY_MAGIC, sizeof(SSHSIG_KEY_MAGIC)) != 0)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "not an openssh-key-v1 key");
    if (ssh_read_string_eq(&r, "none") != 0 || ssh_read_string_eq(&r, "none") != 0 ||
        ssh_read_string_eq(&r, "") != 0)
        return sshsig_fail(err, err_len, SSHSIG_UNSUPPORTED, "private key is encrypted");
    if (ssh_read_u32(&r, &nkeys) != 0 || nkeys != 1 || ssh_read_string(&r, &pub, &pub_len) != 0 ||
        ssh_read_string(&r, &section, &section_len) != 0 || r.left != 0)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "private key file is malformed");
    if ((status = sshsig_key_from_blob(&s->pub, pub, pub_len, err, err_len)) != SSHSIG_OK)
        return status;
    if ((s->priv = sshsig_private_section(section, section_len, &s->pub)) == NULL)
        return sshsig_fail(err, err_len, SSHSIG_MALFORMED, "private key is malformed");
    return SSHSIG_OK;
}

/* sshsig_signer_load - read, dearmor and parse a key file; everything read is wiped */
static enum sshsig_status sshsig_signer_load(const char *path, struct sshsig_file_signer *s,
                                             char *err, size_t err_len)
{
    size_t text_len = 0, blob_len = 0;
    char *text = sshsig_read_file(path, &text_len);
    unsigned char *blob = NULL;
    enum sshsig_status status;

    if (!text)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "cannot read the private key file %s", path);
    blob = ssh_dearmor(text, text_len, SSHSIG_KEY_BEGIN, SSHSIG_KEY_END, SSHSIG_KEY_FILE_MAX,
                       &blob_len);
    if (!blob)
        status = sshsig_fail(err, err_len, SSHSIG_MALFORMED, "%s is not an OpenSSH private key", path);
    else
        status = sshsig_key_blob_parse(blob, blob_len, s, err, err_len);
    OPENSSL_cleanse(text, text_len);
    free(text);
    if (blob)
        OPENSSL_cleanse(blob, blob_len);
    free(blob);
    return status;
}

/* sshsig_evp_sign - OpenSSL's signature of data into sig (cap bytes); its length, or 0 */
static size_t sshsig_evp_sign(EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *data,
                              size_t len, unsigned char *sig, size_t cap)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t sig_len = cap;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, md, NULL, pkey) == 1 &&
             EVP_DigestSign(ctx, sig, &sig_len, data, len) == 1;

    EVP_MD_CTX_free(ctx);
    return ok ? sig_len : 0;
}

/* sshsig_file_sign_cb - string algorithm, string blob, signed with the file's private key */
static enum sshsig_status sshsig_file_sign_cb(void *signer, const unsigned char *data,
                                              size_t len, struct buf *out, char *err,
                                              size_t err_len)
{
    struct sshsig_file_signer *s = signer;
    unsigned char sig[SSHSIG_BLOB_MAX / 2];
    const EVP_MD *md;
    const char *alg = sshsig_key_signature_algorithm(&s->pub, &md);
    size_t sig_len = sshsig_evp_sign(s->priv, md, data, len, sig, sizeof(sig));
    struct buf blob;
    int rc;

    if (!alg || sig_len == 0)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "cannot sign with the %s key",
                           sshsig_key_type_name(&s->pub));
    buf_init(&blob, SSHSIG_BLOB_MAX);
    if (s->pub.type == SSHSIG_KEY_ECDSA_P256)
        rc = sshsig_ecdsa_der_to_ssh(sig, sig_len, &blob);
    else
        rc = buf_append(&blob, sig, sig_len);
    if (rc == 0)
        rc = ssh_put_cstring(out, alg) != 0 || ssh_put_string(out, blob.data, blob.len) != 0;
    buf_free(&blob);
    return rc == 0 ? SSHSIG_OK : sshsig_fail(err, err_len, SSHSIG_SYSTEM, "signature is too large");
}

/* sshsig_file_signer_load - a key file's keys in a new signer */
enum sshsig_status sshsig_file_signer_load(const char *key_path, struct sshsig_file_signer **out,
                                           char *err, size_t err_len)
{
    struct sshsig_file_signer *signer = calloc(1, sizeof(*signer));
    enum sshsig_status status;

    *out = NULL;
    if (signer == NULL)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "out of memory");
    status = sshsig_signer_load(key_path, signer, err, err_len);
    if (status != SSHSIG_OK)
        sshsig_file_signer_free(signer);
    else
        *out = signer;
    return status;
}

/* sshsig_file_signer_sign - sign with the loaded key */
enum sshsig_status sshsig_file_signer_sign(struct sshsig_file_signer *signer,
                                           const unsigned char *msg, size_t len, const char *ns,
                                           char **armored, char *err, size_t err_len)
{
    *armored = NULL;
    return sshsig_make(msg, len, ns, &signer->pub, sshsig_file_sign_cb, signer, armored, err,
                       err_len);
}

/* sshsig_file_signer_key - the public key signed for */
const struct sshsig_key *sshsig_file_signer_key(const struct sshsig_file_signer *signer)
{
    return &signer->pub;
}

/* sshsig_file_signer_free - wipe and free; NULL is fine */
void sshsig_file_signer_free(struct sshsig_file_signer *signer)
{
    if (signer == NULL)
        return;
    EVP_PKEY_free(signer->priv); /* OpenSSL wipes private key material when it frees it */
    sshsig_key_free(&signer->pub);
    free(signer);
}

/* sshsig_sign_file - load the key, sign, wipe the key */
enum sshsig_status sshsig_sign_file(const unsigned char *msg, size_t len, const char *ns,
                                    const char *key_path, char **armored, char *err,
                                    size_t err_len)
{
    struct sshsig_file_signer *signer = NULL;
    enum sshsig_status status;

    *armored = NULL;
    status = sshsig_file_signer_load(key_path, &signer, err, err_len);
    if (status == SSHSIG_OK)
        status = sshsig_file_signer_sign(signer, msg, len, ns, armored, err, err_len);
    sshsig_file_signer_free(signer);
    return status;
}
