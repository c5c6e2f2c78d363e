/*
 * test_sshsig_sign - SSHSIG signatures made with OpenSSH private key
 *	files (io/sshsig.h): Ed25519, ECDSA P-256 and RSA keys written by
 *	the real ssh-keygen sign, and what is signed verifies with the
 *	public key; encrypted keys, missing files, every truncation of a key
 *	file, and an absent agent are refused cleanly.
 *
 * DESCRIPTION
 *	The keys are made at test time in a temporary directory, which is
 *	removed at the end; no private key is in the tree. Without
 *	ssh-keygen on PATH the tests are skipped. That ssh-keygen accepts
 *	these signatures is tests/integration/test_sshsig.sh's part.
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

#include "ssh_keys.h"
#include "io/sshsig.h"
#include "io/sshsig_wire.h"

#define NS "cutover:shop"
#define MESSAGE "{\"data\":{\"action\":\"rollback\"},\"id\":\"1\"}"
#define KEY_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define KEY_END "-----END OPENSSH PRIVATE KEY-----"

static char dir[] = "/tmp/test_sshsig_sign.XXXXXX";
static int have_keys;

/* key_path - dir/name into out */
static const char *key_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
    return out;
}

/* setup - the keys, when ssh-keygen is there */
static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    have_keys = ssh_keys_make(dir, "ed25519", "-t ed25519", "") == 0 &&
                ssh_keys_make(dir, "ecdsa", "-t ecdsa -b 256", "") == 0 &&
                ssh_keys_make(dir, "rsa", "-t rsa -b 2048", "") == 0 &&
                ssh_keys_make(dir, "encrypted", "-t ed25519", "secret") == 0;
    return 0;
}

/* teardown - the keys removed */
static int teardown(void **state)
{
    (void)state;
    return ssh_keys_remove(dir);
}

/* read_text - a whole file into b */
static void read_text(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;

    assert_non_null(f);
    buf_init(b, 1 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(buf_append(b, chunk, n), 0);
    fclose(f);
}

/* public_key - the .pub file of a key */
static void public_key(const char *name, struct sshsig_key *key)
{
    char path[512], pub[520];
    struct buf text;

    snprintf(pub, sizeof(pub), "%s.pub", key_path(path, sizeof(path), name));
    read_text(pub, &text);
    assert_int_equal(sshsig_key_from_line(key, text.data, NULL, 0), SSHSIG_OK);
    buf_free(&text);
}

/* sign_with - sign MESSAGE with a key file; the status, the signature in *armored */
static enum sshsig_status sign_with(const char *path, char **armored)
{
    char err[256] = "";
    enum sshsig_status st = sshsig_sign_file((const unsigned char *)MESSAGE, strlen(MESSAGE), NS,
                                             path, armored, err, sizeof(err));

    assert_true(st == SSHSIG_OK ? *armored != NULL : *armored == NULL && err[0] != '\0');
    return st;
}

/* test_sign_verify - each key type signs; the public key verifies it, in this namespace only */
static void test_sign_verify(void **state)
{
    static const char *const names[] = { "ed25519", "ecdsa", "rsa" };
    char path[512], *armored;
    struct sshsig_key key;

    (void)state;
    if (!have_keys)
        skip();
    for (size_t i = 0; i < 3; i++) {
        public_key(names[i], &key);
        assert_int_equal(sign_with(key_path(path, sizeof(path), names[i]), &armored), SSHSIG_OK);
        assert_non_null(strstr(armored, "-----BEGIN SSH SIGNATURE-----\n"));
        assert_int_equal(sshsig_verify((const unsigned char *)MESSAGE, strlen(MESSAGE), armored,
                                       strlen(armored), NS, &key, 1, NULL, NULL, 0),
                         SSHSIG_OK);
        assert_int_equal(sshsig_verify((const unsigned char *)MESSAGE, strlen(MESSAGE), armored,
                                       strlen(armored), "cutover:prod", &key, 1, NULL, NULL, 0),
                         SSHSIG_WRONG_NAMESPACE);
        free(armored);
        sshsig_key_free(&key);
    }
}

/* test_refused_files - an encrypted key, a public key, a missing file */
static void test_refused_files(void **state)
{
    char path[512], *armored;

    (void)state;
    if (!have_keys)
        skip();
    assert_int_equal(sign_with(key_path(path, sizeof(path), "encrypted"), &armored),
                     SSHSIG_UNSUPPORTED);
    assert_int_equal(sign_with(key_path(path, sizeof(path), "ed25519.pub"), &armored),
                     SSHSIG_MALFORMED);
    assert_int_equal(sign_with(key_path(path, sizeof(path), "missing"), &armored), SSHSIG_SYSTEM);
}

/* write_armored - blob's first len bytes as a key file at path */
static void write_armored(const char *path, const unsigned char *blob, size_t len)
{
    struct buf text;
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    buf_init(&text, 1 << 20);
    assert_int_equal(buf_puts(&text, KEY_BEGIN "\n"), 0);
    assert_int_equal(ssh_base64_encode(&text, blob, len, 70), 0);
    assert_int_equal(buf_puts(&text, "\n" KEY_END "\n"), 0);
    assert_int_equal(fwrite(text.data, 1, text.len, f), text.len);
    fclose(f);
    buf_free(&text);
}

/* truncations - every prefix of a key file's blob: refused, no crash; the whole: signs */
static void truncations(const char *name)
{
    char path[512], cut[512], *armored;
    struct buf text;
    size_t len;
    unsigned char *blob;

    read_text(key_path(path, sizeof(path), name), &text);
    blob = ssh_dearmor(text.data, text.len, KEY_BEGIN, KEY_END, 1 << 16, &len);
    assert_non_null(blob);
    key_path(cut, sizeof(cut), "cut");
    for (size_t n = 0; n < len; n++) {
        write_armored(cut, blob, n);
        assert_int_not_equal(sign_with(cut, &armored), SSHSIG_OK);
    }
    write_armored(cut, blob, len);
    assert_int_equal(sign_with(cut, &armored), SSHSIG_OK);
    free(armored);
    free(blob);
    buf_free(&text);
}

/* test_truncated_key_files - Ed25519 and ECDSA key files cut at every length */
static void test_truncated_key_files(void **state)
{
    (void)state;
    if (!have_keys)
        skip();
    truncations("ed25519");
    truncations("ecdsa");
}

/* test_agent_absent - no agent socket, or one nobody listens on */
static void test_agent_absent(void **state)
{
    struct sshsig_key key;
    char *armored, err[256];
    const char *saved = getenv("SSH_AUTH_SOCK");
    char *copy = saved ? strdup(saved) : NULL;

    (void)state;
    if (!have_keys)
        skip();
    public_key("ed25519", &key);
    unsetenv("SSH_AUTH_SOCK");
    assert_int_equal(sshsig_sign_agent((const unsigned char *)"m", 1, NS, &key, NULL, &armored,
                                       err, sizeof(err)),
                     SSHSIG_SYSTEM);
    assert_int_equal(sshsig_sign_agent((const unsigned char *)"m", 1, NS, &key,
                                       "/nonexistent/agent.sock", &armored, err, sizeof(err)),
                     SSHSIG_SYSTEM);
    assert_null(armored);
    if (copy)
        setenv("SSH_AUTH_SOCK", copy, 1);
    free(copy);
    sshsig_key_free(&key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify),
        cmocka_unit_test(test_refused_files),
        cmocka_unit_test(test_truncated_key_files),
        cmocka_unit_test(test_agent_absent),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
