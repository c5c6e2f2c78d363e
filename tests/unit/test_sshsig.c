/*
 * test_sshsig - SSHSIG verification and signing (io/sshsig.h): OpenSSH's
 *	own signatures accepted, every kind of tampering refused, every
 *	truncation and thousands of random mutations refused without a
 *	crash, and signatures made from key files that ssh-keygen wrote.
 *
 * DESCRIPTION
 *	The known answers are public keys and signatures made by OpenSSH
 *	9.2 (ssh-keygen -Y sign -n cutover:shop) of MESSAGE; no private key
 *	is in the tree. Tampered blobs are rebuilt field by field with the
 *	wire writer, so that each refusal is the one its test names. The
 *	signing tests run ssh-keygen into a temporary directory (skipped
 *	when it is missing) and remove it. FUZZ_ITERATIONS (default 20000)
 *	sets the rounds of the mutation loop; its seed is fixed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/sshsig.h"
#include "io/sshsig_wire.h"

#define MESSAGE "cutover unit test message\n"
#define NS "cutover:shop"
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"

/* One known answer: a key, its fingerprint as ssh-keygen -l prints it, a signature of MESSAGE. */
struct vector {
    const char *key_line;
    const char *fingerprint;
    const char *sig;
};

static const struct vector vectors[] = {
    { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEei6liQPWkdeh7BoFedv9z5rhJl3NNUq2ttvoQ51vkd test-ed25519",
      "SHA256:aLIcWADRsUp7HMa8JEF2/XXX0De3jMZ3KQdd7Wb6H88",
      ARMOR_BEGIN "\n"
      "U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgR6LqWJA9aR16HsGgV52/3PmuEm\n"
      "Xc01Sra22+hDnW+R0AAAAMY3V0b3ZlcjpzaG9wAAAAAAAAAAZzaGE1MTIAAABTAAAAC3Nz\n"
      "aC1lZDI1NTE5AAAAQFxrIkzwLRpcMFvUIZJJVBUNhKCEBudhDPWbLmletcwEy3Bj+f4Hq4\n"
      "Ii/fjaigfkwjfeO4GTLsp8pnW/cnOTBww=\n" ARMOR_END "\n" },
    { "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDn91IPqP2rxJEkKRWCn"
      "Qu2yOSbSOnMY58u1emlzPWK1mlyDkF2xih5VLPJdGTHo6toK2euvgK7JpZ8UoMnNybE= test-ecdsa",
      "SHA256:xnrdy2+Icx97VODiwQlk2feO1OLg4PGfKeyOgqkbN6w",
      ARMOR_BEGIN "\n"
      "U1NIU0lHAAAAAQAAAGgAAAATZWNkc2Etc2hhMi1uaXN0cDI1NgAAAAhuaXN0cDI1NgAAAE\n"
      "EEOf3Ug+o/avEkSQpFYKdC7bI5JtI6cxjny7V6aXM9YrWaXIOQXbGKHlUs8l0ZMejq2grZ\n"
      "66+ArsmlnxSgyc3JsQAAAAxjdXRvdmVyOnNob3AAAAAAAAAABnNoYTUxMgAAAGQAAAATZW\n"
      "Nkc2Etc2hhMi1uaXN0cDI1NgAAAEkAAAAgUMafGlY5BgmkKBFPgyH70vqNSZdG0QVVlcIb\n"
      "8HyDpjcAAAAhAO+s86G5HU44Y312L7SUwi7swA8pzP9qL0xAUHWl93UK\n" ARMOR_END "\n" },
    { "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC5V5sJWguYt929AfhvWvpDhpgHAVSVKlVIxer34/DK4p6j/Ck+4AFN"
      "fkoDiZ/i/N6nDgO7J6rYvII8kusZ9pLwgK8E/JSlqhAyipRCj6nrj7FAXFuef+rapl9sxd6CFLWu1cQ3Vcr4aoGd+UXq"
      "Z7h9UZWs8SYoExEA/iOR1U/Kx0CR41fk2AtlP9TY4aJSAm4m3fr5oVSHLw1GeoUUZvlHW9iOdf5fUrLl4Q/CpRHR6d1C"
      "bpW+zLSsSc88Db4S/ol20LISlJ61IqT1T2QFqIF5eG5XfFsAicK70HrnvsKFSBZ8QGIIfzCiZObxiigtDnD+Ew8zDhtA"
      "gAtV1RD3WgPN test-rsa",
      "SHA256:pi9uCcSnip2WXOP5IeXVBWoYYH9j3cb1sNhedPYR21g",
      ARMOR_BEGIN "\n"
      "U1NIU0lHAAAAAQAAARcAAAAHc3NoLXJzYQAAAAMBAAEAAAEBALlXmwlaC5i33b0B+G9a+k\n"
      "OGmAcBVJUqVUjF6vfj8MrinqP8KT7gAU1+SgOJn+L83qcOA7snqti8gjyS6xn2kvCArwT8\n"
      "lKWqEDKKlEKPqeuPsUBcW55/6tqmX2zF3oIUta7VxDdVyvhqgZ35RepnuH1RlazxJigTEQ\n"
      "D+I5HVT8rHQJHjV+TYC2U/1NjholICbibd+vmhVIcvDUZ6hRRm+Udb2I51/l9SsuXhD8Kl\n"
      "EdHp3UJulb7MtKxJzzwNvhL+iXbQshKUnrUipPVPZAWogXl4bld8WwCJwrvQeue+woVIFn\n"
      "xAYgh/MKJk5vGKKC0OcP4TDzMOG0CAC1XVEPdaA80AAAAMY3V0b3ZlcjpzaG9wAAAAAAAA\n"
      "AAZzaGE1MTIAAAEUAAAADHJzYS1zaGEyLTUxMgAAAQAiz4RxhyPGdNj0Vg/rTlGuyqGssL\n"
      "gdb95pGJCWqrQb8PzqST0XI4UltR9iu4LppyO/3g/rYASOiAzZgiWOnrtMwIH6Qt02q5mm\n"
      "s3rWYdgz0g15Ojcl+N3I/9TGi/4cEG4xE+9HI+1pEygqizRGigV8bRwB3jkBqV8FtG14Aa\n"
      "aJb6Vr0RMOlnAeyv/2QBa+gZo7pu9UJ/9X3t7CfRvPCQVl1mUEAhjF3e67Hr3XjG+2S+wH\n"
      "PB9p3vVUVQ43peOd4V3tcuATOJ+JcTq30OkHZmsdY90UUaDGys7BGQEankgKPPnL71hEsv\n"
      "uvnzdvkaTWPbXrrNo0HPtK2FuAAWpVvtfe\n" ARMOR_END "\n" },
    /* the ECDSA key again, with -O hashalg=sha256 */
    { NULL, NULL,
      ARMOR_BEGIN "\n"
      "U1NIU0lHAAAAAQAAAGgAAAATZWNkc2Etc2hhMi1uaXN0cDI1NgAAAAhuaXN0cDI1NgAAAE\n"
      "EEOf3Ug+o/avEkSQpFYKdC7bI5JtI6cxjny7V6aXM9YrWaXIOQXbGKHlUs8l0ZMejq2grZ\n"
      "66+ArsmlnxSgyc3JsQAAAAxjdXRvdmVyOnNob3AAAAAAAAAABnNoYTI1NgAAAGMAAAATZW\n"
      "Nkc2Etc2hhMi1uaXN0cDI1NgAAAEgAAAAgFg/sdQy0PLZ//srYt58jkxu9E9eUtkcnp44L\n"
      "CRlgw4kAAAAgNGAOggha/2JQqJCbnXLsALacWdvzYTkWMjjQ3/GVpjg=\n" ARMOR_END "\n" },
};

#define VECTOR_KEYS 3 /* vectors[3] is signed by vectors[1]'s key */

static const char other_key_line[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAsO8FEHoPtkS68pcYrKQpbmnvdtI3uN/x47r5Si13Ou test-other";
static const char small_rsa_line[] =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCzh7SBlyu4jF8RG9DIn6tS35EAVcRG4WqVZuGMGkS6VxDyrzKk6Akh"
    "7na/8wI/ME1fSPwyPFxZm/KyNlIDl6eKfEtgAaV4jF07+quI2r0a6lIQvq9Dh3QpqOuQkvYqrKJEOu32do7nLyGg3Yq5"
    "L4ZPltotk/d/X7HvyKlu41JBrQ== small";

/* A blob's fields, pointing into the blob they were read from. */
struct fields {
    uint32_t version;
    const unsigned char *key, *ns, *reserved, *hash, *sig;
    size_t key_len, ns_len, reserved_len, hash_len, sig_len;
};

/* One change to a blob's fields; what is 0 or NULL stays as it was. */
struct edit {
    int set_version;
    uint32_t version;
    const char *ns, *reserved, *hash;
    const char *sig_alg; /* the signature's blob under this algorithm name */
};

static struct sshsig_key keys[VECTOR_KEYS];
static uint64_t rng_state = 0x5eed5eed5eedULL;

/* rng - xorshift64* */
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* load_key - a key line that must parse */
static void load_key(const char *line, struct sshsig_key *key)
{
    char err[256];

    if (sshsig_key_from_line(key, line, err, sizeof(err)) != SSHSIG_OK)
        fail_msg("%s: %s", line, err);
}

/* setup - the known answers' keys */
static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < VECTOR_KEYS; i++)
        load_key(vectors[i].key_line, &keys[i]);
    return 0;
}

/* teardown - free the keys */
static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < VECTOR_KEYS; i++)
        sshsig_key_free(&keys[i]);
    return 0;
}

/* vector_key - the key that made vectors[i] */
static const struct sshsig_key *vector_key(size_t i)
{
    return &keys[i < VECTOR_KEYS ? i : 1];
}

/* verify - the verdict on sig (len bytes) of msg against the allowed keys */
static enum sshsig_status verify(const void *msg, size_t msg_len, const void *sig, size_t len,
                                 const char *ns, const struct sshsig_key *allowed, size_t n)
{
    char err[256] = "";
    size_t which = 99;
    enum sshsig_status st = sshsig_verify(msg, msg_len, sig, len, ns, allowed, n, &which, err,
                                          sizeof(err));

    assert_true(st == SSHSIG_OK ? which < n : err[0] != '\0');
    return st;
}

/* verify_raw - the verdict on a binary blob of MESSAGE against vector i's key */
static enum sshsig_status verify_raw(const struct buf *blob, size_t i)
{
    return verify(MESSAGE, strlen(MESSAGE), blob->data, blob->len, NS, vector_key(i), 1);
}

/* raw_blob - the binary blob of vectors[i] */
static void raw_blob(size_t i, struct buf *out)
{
    const char *sig = vectors[i].sig;
    size_t len;
    unsigned char *blob = ssh_dearmor(sig, strlen(sig), ARMOR_BEGIN, ARMOR_END, 8192, &len);

    assert_non_null(blob);
    buf_init(out, 16384);
    assert_int_equal(buf_append(out, blob, len), 0);
    free(blob);
}

/* fields_read - split a blob into its fields */
static void fields_read(const struct buf *blob, struct fields *f)
{
    struct ssh_reader r = { (const unsigned char *)blob->data, blob->len };
    const unsigned char *magic;

    assert_int_equal(ssh_read_bytes(&r, 6, &magic), 0);
    assert_int_equal(ssh_read_u32(&r, &f->version), 0);
    assert_int_equal(ssh_read_string(&r, &f->key, &f->key_len), 0);
    assert_int_equal(ssh_read_string(&r, &f->ns, &f->ns_len), 0);
    assert_int_equal(ssh_read_string(&r, &f->reserved, &f->reserved_len), 0);
    assert_int_equal(ssh_read_string(&r, &f->hash, &f->hash_len), 0);
    assert_int_equal(ssh_read_string(&r, &f->sig, &f->sig_len), 0);
    assert_int_equal(r.left, 0);
}

/* fields_write - a blob of the fields */
static void fields_write(const struct fields *f, struct buf *out)
{
    buf_init(out, 16384);
    assert_int_equal(buf_append(out, "SSHSIG", 6), 0);
    assert_int_equal(ssh_put_u32(out, f->version), 0);
    assert_int_equal(ssh_put_string(out, f->key, f->key_len), 0);
    assert_int_equal(ssh_put_string(out, f->ns, f->ns_len), 0);
    assert_int_equal(ssh_put_string(out, f->reserved, f->reserved_len), 0);
    assert_int_equal(ssh_put_string(out, f->hash, f->hash_len), 0);
    assert_int_equal(ssh_put_string(out, f->sig, f->sig_len), 0);
}

/* signature_relabel - the signature's blob under another algorithm name */
static void signature_relabel(struct fields *f, struct buf *scratch, const char *alg)
{
    struct ssh_reader r = { f->sig, f->sig_len };
    const unsigned char *name, *blob;
    size_t name_len, blob_len;

    assert_int_equal(ssh_read_string(&r, &name, &name_len), 0);
    assert_int_equal(ssh_read_string(&r, &blob, &blob_len), 0);
    assert_int_equal(ssh_put_cstring(scratch, alg), 0);
    assert_int_equal(ssh_put_string(scratch, blob, blob_len), 0);
    f->sig = (const unsigned char *)scratch->data;
    f->sig_len = scratch->len;
}

/* set_field - a string field's new value, when there is one */
static void set_field(const unsigned char **field, size_t *len, const char *value)
{
    if (!value)
        return;
    *field = (const unsigned char *)value;
    *len = strlen(value);
}

/* apply_edit - change the fields as e says */
static void apply_edit(struct fields *f, const struct edit *e, struct buf *scratch)
{
    if (e->set_version)
        f->version = e->version;
    set_field(&f->ns, &f->ns_len, e->ns);
    set_field(&f->reserved, &f->reserved_len, e->reserved);
    set_field(&f->hash, &f->hash_len, e->hash);
    if (e->sig_alg)
        signature_relabel(f, scratch, e->sig_alg);
}

/* tampered - the verdict on vector i's blob after e changed its fields */
static enum sshsig_status tampered(size_t i, const struct edit *e)
{
    struct buf blob, rebuilt, scratch;
    struct fields f;
    enum sshsig_status st;

    raw_blob(i, &blob);
    fields_read(&blob, &f);
    buf_init(&scratch, 16384);
    apply_edit(&f, e, &scratch);
    fields_write(&f, &rebuilt);
    st = verify_raw(&rebuilt, i);
    buf_free(&blob);
    buf_free(&rebuilt);
    buf_free(&scratch);
    return st;
}

/* test_known_answers - each OpenSSH signature verifies, by the right key, with its fingerprint */
static void test_known_answers(void **state)
{
    char fp[SSHSIG_FINGERPRINT_MAX];
    size_t which;

    (void)state;
    for (size_t i = 0; i < COUNT(vectors); i++) {
        const char *sig = vectors[i].sig;
        assert_int_equal(sshsig_verify((const unsigned char *)MESSAGE, strlen(MESSAGE), sig,
                                       strlen(sig), NS, keys, VECTOR_KEYS, &which, NULL, 0),
                         SSHSIG_OK);
        assert_int_equal(which, i < VECTOR_KEYS ? i : 1);
    }
    for (size_t i = 0; i < VECTOR_KEYS; i++) {
        sshsig_key_fingerprint(&keys[i], fp, sizeof(fp));
        assert_string_equal(fp, vectors[i].fingerprint);
    }
    assert_string_equal(sshsig_key_type_name(&keys[0]), "ssh-ed25519");
    assert_string_equal(sshsig_key_type_name(&keys[1]), "ecdsa-sha2-nistp256");
    assert_string_equal(sshsig_key_type_name(&keys[2]), "ssh-rsa");
}

/* test_forms - armored with CRLF, bare base64 and the binary blob are all accepted */
static void test_forms(void **state)
{
    struct buf blob, text;

    (void)state;
    raw_blob(0, &blob);
    assert_int_equal(verify_raw(&blob, 0), SSHSIG_OK);
    buf_init(&text, 16384);
    assert_int_equal(ssh_base64_encode(&text, (unsigned char *)blob.data, blob.len, 0), 0);
    assert_int_equal(verify_raw(&text, 0), SSHSIG_OK);
    buf_reset(&text);
    for (const char *p = vectors[0].sig; *p; p++)
        assert_int_equal(*p == '\n' ? buf_puts(&text, "\r\n") : buf_putc(&text, *p), 0);
    assert_int_equal(verify_raw(&text, 0), SSHSIG_OK);
    assert_int_equal(buf_puts(&text, "trailing"), 0);
    assert_int_equal(verify_raw(&text, 0), SSHSIG_MALFORMED);
    buf_free(&blob);
    buf_free(&text);
}

/* test_flipped_message - one changed bit anywhere in the message: refused */
static void test_flipped_message(void **state)
{
    char msg[] = MESSAGE;

    (void)state;
    for (size_t i = 0; i < COUNT(vectors); i++)
        for (size_t at = 0; at < strlen(MESSAGE); at++) {
            msg[at] ^= 0x01;
            assert_int_equal(verify(msg, strlen(MESSAGE), vectors[i].sig, strlen(vectors[i].sig),
                                    NS, keys, VECTOR_KEYS),
                             SSHSIG_BAD_SIGNATURE);
            msg[at] ^= 0x01;
        }
}

/* test_flipped_signature - one changed byte anywhere in the blob: refused; in the signature
 * itself: bad-signature */
static void test_flipped_signature(void **state)
{
    struct buf blob;

    (void)state;
    for (size_t i = 0; i < COUNT(vectors); i++) {
        raw_blob(i, &blob);
        for (size_t at = 0; at < blob.len; at++) {
            blob.data[at] ^= 0x40;
            enum sshsig_status st = verify_raw(&blob, i);
            assert_int_not_equal(st, SSHSIG_OK);
            if (at == blob.len - 1)
                assert_int_equal(st, SSHSIG_BAD_SIGNATURE);
            blob.data[at] ^= 0x40;
        }
        assert_int_equal(verify_raw(&blob, i), SSHSIG_OK);
        buf_free(&blob);
    }
}

/* test_other_namespace - a signature for cutover:shop is not one for cutover:prod */
static void test_other_namespace(void **state)
{
    struct buf blob, rebuilt;
    struct fields f;

    (void)state;
    for (size_t i = 0; i < COUNT(vectors); i++) {
        assert_int_equal(verify(MESSAGE, strlen(MESSAGE), vectors[i].sig, strlen(vectors[i].sig),
                                "cutover:prod", keys, VECTOR_KEYS),
                         SSHSIG_WRONG_NAMESPACE);
        assert_int_equal(verify(MESSAGE, strlen(MESSAGE), vectors[i].sig, strlen(vectors[i].sig),
                                "cutover:sho", keys, VECTOR_KEYS),
                         SSHSIG_WRONG_NAMESPACE);
        assert_int_equal(tampered(i, &(struct edit){ .ns = "cutover:prod" }), SSHSIG_WRONG_NAMESPACE);
        raw_blob(i, &blob); /* the namespace is signed: relabelling it does not verify */
        fields_read(&blob, &f);
        apply_edit(&f, &(struct edit){ .ns = "cutover:prod" }, NULL);
        fields_write(&f, &rebuilt);
        assert_int_equal(verify(MESSAGE, strlen(MESSAGE), rebuilt.data, rebuilt.len,
                                "cutover:prod", vector_key(i), 1),
                         SSHSIG_BAD_SIGNATURE);
        buf_free(&blob);
        buf_free(&rebuilt);
    }
    assert_int_equal(verify(MESSAGE, strlen(MESSAGE), vectors[0].sig, strlen(vectors[0].sig), "",
                            keys, VECTOR_KEYS),
                     SSHSIG_SYSTEM);
}

/* test_key_not_allowed - another key, or none at all */
static void test_key_not_allowed(void **state)
{
    struct sshsig_key other;
    char err[256];

    (void)state;
    load_key(other_key_line, &other);
    for (size_t i = 0; i < COUNT(vectors); i++) {
        const char *sig = vectors[i].sig;
        assert_int_equal(verify(MESSAGE, strlen(MESSAGE), sig, strlen(sig), NS, &other, 1),
                         SSHSIG_KEY_NOT_ALLOWED);
        assert_int_equal(verify(MESSAGE, strlen(MESSAGE), sig, strlen(sig), NS, keys, 0),
                         SSHSIG_KEY_NOT_ALLOWED);
    }
    assert_int_equal(sshsig_verify((const unsigned char *)MESSAGE, strlen(MESSAGE), vectors[0].sig,
                                   strlen(vectors[0].sig), NS, &other, 1, NULL, err, sizeof(err)),
                     SSHSIG_KEY_NOT_ALLOWED);
    assert_non_null(strstr(err, vectors[0].fingerprint)); /* the refusal names the signer */
    assert_false(sshsig_key_equal(&other, &keys[0]));
    assert_true(sshsig_key_equal(&keys[0], &keys[0]));
    sshsig_key_free(&other);
}

/* test_truncated - every prefix of every blob and armored text: refused, no crash */
static void test_truncated(void **state)
{
    struct buf blob;

    (void)state;
    for (size_t i = 0; i < COUNT(vectors); i++) {
        const char *sig = vectors[i].sig;
        raw_blob(i, &blob);
        for (size_t len = 0; len < blob.len; len++)
            assert_int_equal(verify(MESSAGE, strlen(MESSAGE), blob.data, len, NS, keys, VECTOR_KEYS),
                             SSHSIG_MALFORMED);
        assert_int_equal(buf_putc(&blob, 0), 0); /* one byte too many */
        assert_int_equal(verify_raw(&blob, i), SSHSIG_MALFORMED);
        for (size_t len = 0; len + 1 < strlen(sig); len++)
            assert_int_not_equal(verify(MESSAGE, strlen(MESSAGE), sig, len, NS, keys, VECTOR_KEYS),
                                 SSHSIG_OK);
        buf_free(&blob);
    }
}

/* test_bad_version - only version 1 */
static void test_bad_version(void **state)
{
    (void)state;
    assert_int_equal(tampered(0, &(struct edit){ .set_version = 1, .version = 2 }), SSHSIG_BAD_VERSION);
    assert_int_equal(tampered(0, &(struct edit){ .set_version = 1, .version = 0 }), SSHSIG_BAD_VERSION);
}

/* test_unknown_hash - only sha256 and sha512, and the one signed */
static void test_unknown_hash(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(vectors); i++) {
        assert_int_equal(tampered(i, &(struct edit){ .hash = "sha1" }), SSHSIG_UNSUPPORTED);
        assert_int_equal(tampered(i, &(struct edit){ .hash = "SHA512" }), SSHSIG_UNSUPPORTED);
    }
    assert_int_equal(tampered(0, &(struct edit){ .hash = "sha256" }), SSHSIG_BAD_SIGNATURE);
    assert_int_equal(tampered(0, &(struct edit){ .reserved = "x" }), SSHSIG_UNSUPPORTED);
}

/* test_signature_algorithm - ssh-rsa (SHA-1) refused; names that do not fit the key refused */
static void test_signature_algorithm(void **state)
{
    (void)state;
    assert_int_equal(tampered(2, &(struct edit){ .sig_alg = "ssh-rsa" }), SSHSIG_UNSUPPORTED);
    assert_int_equal(tampered(2, &(struct edit){ .sig_alg = "rsa-sha2-256" }), SSHSIG_BAD_SIGNATURE);
    assert_int_equal(tampered(0, &(struct edit){ .sig_alg = "ecdsa-sha2-nistp256" }), SSHSIG_UNSUPPORTED);
    assert_int_equal(tampered(1, &(struct edit){ .sig_alg = "ssh-rsa" }), SSHSIG_UNSUPPORTED);
}

/* key_line_status - the verdict on one key line */
static enum sshsig_status key_line_status(const char *line)
{
    struct sshsig_key key;
    char err[256] = "";
    enum sshsig_status st = sshsig_key_from_line(&key, line, err, sizeof(err));

    if (st == SSHSIG_OK)
        sshsig_key_free(&key);
    else
        assert_true(err[0] != '\0');
    return st;
}

/* test_key_lines - authorized_keys and allowed_signers lines, and broken ones */
static void test_key_lines(void **state)
{
    char line[2048];
    struct sshsig_key key;

    (void)state;
    snprintf(line, sizeof(line), "ops@example.com namespaces=\"cutover:shop,x y\" %s", vectors[0].key_line);
    load_key(line, &key);
    assert_true(sshsig_key_equal(&key, &keys[0]));
    sshsig_key_free(&key);
    snprintf(line, sizeof(line), "from=\"10.0.0.1\",command=\"echo a b\" %s\n", vectors[2].key_line);
    load_key(line, &key);
    assert_true(sshsig_key_equal(&key, &keys[2]));
    sshsig_key_free(&key);
    assert_int_equal(key_line_status(""), SSHSIG_UNSUPPORTED);
    assert_int_equal(key_line_status("# ssh-ed25519 AAAA"), SSHSIG_UNSUPPORTED);
    assert_int_equal(key_line_status("ssh-dss AAAAB3NzaC1kc3MAAACBA"), SSHSIG_UNSUPPORTED);
    assert_int_equal(key_line_status("ssh-ed25519"), SSHSIG_MALFORMED);
    assert_int_equal(key_line_status("ssh-ed25519 not*base64"), SSHSIG_MALFORMED);
    assert_int_equal(key_line_status(small_rsa_line), SSHSIG_MALFORMED); /* 1024 bits */
    snprintf(line, sizeof(line), "ssh-rsa %s", strchr(vectors[0].key_line, ' ') + 1);
    assert_int_equal(key_line_status(line), SSHSIG_MALFORMED); /* an Ed25519 blob called ssh-rsa */
}

/* test_key_blobs - a point off the curve, trailing bytes, a short key */
static void test_key_blobs(void **state)
{
    struct buf blob;
    struct sshsig_key key;

    (void)state;
    buf_init(&blob, 4096);
    assert_int_equal(buf_append(&blob, keys[1].blob, keys[1].blob_len), 0);
    blob.data[blob.len - 1] ^= 0x01; /* Q's y: no longer on the curve */
    assert_int_equal(sshsig_key_from_blob(&key, (unsigned char *)blob.data, blob.len, NULL, 0),
                     SSHSIG_MALFORMED);
    blob.data[blob.len - 1] ^= 0x01;
    assert_int_equal(sshsig_key_from_blob(&key, (unsigned char *)blob.data, blob.len, NULL, 0),
                     SSHSIG_OK);
    sshsig_key_free(&key);
    assert_int_equal(buf_putc(&blob, 0), 0);
    assert_int_equal(sshsig_key_from_blob(&key, (unsigned char *)blob.data, blob.len, NULL, 0),
                     SSHSIG_MALFORMED);
    for (size_t len = 0; len < keys[2].blob_len; len++)
        assert_int_not_equal(sshsig_key_from_blob(&key, keys[2].blob, len, NULL, 0), SSHSIG_OK);
    buf_free(&blob);
}

/* mutate_span - remove span bytes at at, or append a copy of them */
static void mutate_span(struct buf *blob, size_t at, size_t span, int remove)
{
    if (at + span > blob->len)
        return;
    if (!remove) {
        char copy[16]; /* appending may move the buffer the span is in */
        memcpy(copy, blob->data + at, span);
        assert_int_equal(buf_append(blob, copy, span), 0);
        return;
    }
    memmove(blob->data + at, blob->data + at + span, blob->len - at - span);
    blob->len -= span;
}

/* mutate - one random change to blob: a bit, a byte, a huge length, a cut, a span */
static void mutate(struct buf *blob)
{
    static const unsigned char huge[4] = { 0xff, 0xff, 0xff, 0xf0 };
    size_t at = blob->len ? (size_t)(rng() % blob->len) : 0, span = (size_t)(rng() % 16);
    unsigned kind = (unsigned)(rng() % 6);

    if (blob->len == 0)
        return;
    if (kind == 0)
        blob->data[at] ^= (char)(1u << (rng() % 8));
    else if (kind == 1)
        blob->data[at] = (char)rng();
    else if (kind == 2 && at + 4 <= blob->len)
        memcpy(blob->data + at, huge, 4);
    else if (kind == 3)
        blob->len = at;
    else
        mutate_span(blob, at, span, kind == 4);
}

/* test_fuzz - thousands of mutated blobs: each refused unless unchanged, nothing crashes */
static void test_fuzz(void **state)
{
    const char *iterations = getenv("FUZZ_ITERATIONS");
    long rounds = iterations ? strtol(iterations, NULL, 10) : 20000, refused = 0;
    struct buf seed, blob;

    (void)state;
    for (long round = 0; round < rounds; round++) {
        size_t i = (size_t)(rng() % COUNT(vectors));
        raw_blob(i, &seed);
        raw_blob(i, &blob);
        for (uint64_t k = 1 + rng() % 4; k > 0; k--)
            mutate(&blob);
        enum sshsig_status st = verify_raw(&blob, i);
        int unchanged = blob.len == seed.len && memcmp(blob.data, seed.data, seed.len) == 0;
        assert_true(unchanged ? st == SSHSIG_OK : st != SSHSIG_OK);
        refused += !unchanged;
        assert_string_not_equal(sshsig_status_code(st), "unknown");
        buf_free(&seed);
        buf_free(&blob);
    }
    assert_true(refused > rounds / 2);
}

/* test_status_codes - every status has a name */
static void test_status_codes(void **state)
{
    (void)state;
    assert_string_equal(sshsig_status_code(SSHSIG_OK), "ok");
    assert_string_equal(sshsig_status_code(SSHSIG_KEY_NOT_ALLOWED), "key-not-allowed");
    assert_string_equal(sshsig_status_code(SSHSIG_SYSTEM), "system");
    assert_string_equal(sshsig_status_code((enum sshsig_status)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_flipped_message),
        cmocka_unit_test(test_flipped_signature),
        cmocka_unit_test(test_other_namespace),
        cmocka_unit_test(test_key_not_allowed),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_unknown_hash),
        cmocka_unit_test(test_signature_algorithm),
        cmocka_unit_test(test_key_lines),
        cmocka_unit_test(test_key_blobs),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_status_codes),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
