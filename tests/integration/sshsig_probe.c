/*
 * sshsig_probe - io/sshsig.h and io/event_canon.h from the command line,
 *	for tests/integration/test_sshsig.sh.
 *
 * SYNOPSIS
 *	sshsig_probe canon FILE
 *	sshsig_probe verify NAMESPACE KEYS_FILE SIG_FILE FILE
 *	sshsig_probe sign NAMESPACE PRIVATE_KEY_FILE FILE
 *	sshsig_probe sign-agent NAMESPACE PUBLIC_KEY_FILE FILE
 *	sshsig_probe fingerprint PUBLIC_KEY_FILE
 *
 * DESCRIPTION
 *	canon prints the canonical form of the event in FILE. verify checks
 *	the signature in SIG_FILE of FILE's bytes against the keys of
 *	KEYS_FILE (one authorized_keys or allowed_signers line each) and
 *	prints "ok LINE FINGERPRINT" (LINE counts the keys from 1), or the
 *	refusal's code and message. sign prints an armored signature made
 *	with the private key file; sign-agent one made by $SSH_AUTH_SOCK's
 *	key equal to the public key file's. fingerprint prints the key's
 *	"SHA256:..." fingerprint. FILE "-" is stdin. Exit 0 on success, 1 on
 *	a refusal or failure (the reason on stderr), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "io/event_canon.h"
#include "io/sshsig.h"

#define PROBE_MAX_FILE (4u * 1024 * 1024)
#define PROBE_MAX_KEYS 16
#define PROBE_USAGE                                                                \
    "usage: sshsig_probe canon FILE\n"                                             \
    "       sshsig_probe verify NAMESPACE KEYS_FILE SIG_FILE FILE\n"               \
    "       sshsig_probe sign NAMESPACE PRIVATE_KEY_FILE FILE\n"                   \
    "       sshsig_probe sign-agent NAMESPACE PUBLIC_KEY_FILE FILE\n"              \
    "       sshsig_probe fingerprint PUBLIC_KEY_FILE\n"

/* probe_read - a whole file ("-": stdin) into b; -1 when it cannot be read */
static int probe_read(const char *path, struct buf *b)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char chunk[4096];
    size_t n;
    int rc = 0;

    buf_init(b, PROBE_MAX_FILE);
    if (!f)
        return -1;
    rc = buf_append(b, "", 0); /* an empty file is an empty string */
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = buf_append(b, chunk, n);
    if (f != stdin)
        fclose(f);
    return rc == 0 && b->data ? 0 : -1;
}

/* probe_keys - one key per non-empty line of path (at most max); their count, or -1 */
static long probe_keys(const char *path, struct sshsig_key *keys, long max)
{
    struct buf b;
    char err[256], *save = NULL;
    long n = 0;

    if (probe_read(path, &b) != 0)
        return -1;
    for (char *line = strtok_r(b.data, "\n", &save); line && n < max;
         line = strtok_r(NULL, "\n", &save)) {
        if (sshsig_key_from_line(&keys[n], line, err, sizeof(err)) != SSHSIG_OK) {
            fprintf(stderr, "%s: %s\n", path, err);
            n = -1;
            break;
        }
        n++;
    }
    buf_free(&b);
    return n;
}

/* probe_canon - print the canonical form of FILE */
static int probe_canon(const char *path)
{
    struct buf in, out;
    char err[256];
    int rc = 1;

    buf_init(&out, EVENT_CANON_MAX);
    if (probe_read(path, &in) != 0)
        fprintf(stderr, "cannot read %s\n", path);
    else if (event_canon(in.data, in.len, &out, err, sizeof(err)) != 0)
        fprintf(stderr, "%s\n", err);
    else
        rc = fwrite(out.data, 1, out.len, stdout) == out.len ? 0 : 1;
    buf_free(&in);
    buf_free(&out);
    return rc;
}

/* probe_verify_with - check the signature against n keys and print the verdict */
static int probe_verify_with(const char *ns, const struct sshsig_key *keys, size_t n,
                             const struct buf *sig, const struct buf *msg)
{
    char err[256], fp[SSHSIG_FINGERPRINT_MAX];
    size_t which = 0;
    enum sshsig_status st = sshsig_verify((const unsigned char *)msg->data, msg->len, sig->data,
                                          sig->len, ns, keys, n, &which, err, sizeof(err));

    if (st != SSHSIG_OK) {
        printf("%s\n", sshsig_status_code(st));
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    sshsig_key_fingerprint(&keys[which], fp, sizeof(fp));
    printf("ok %zu %s\n", which + 1, fp);
    return 0;
}

/* probe_verify - NAMESPACE KEYS_FILE SIG_FILE FILE */
static int probe_verify(char **argv)
{
    struct sshsig_key keys[PROBE_MAX_KEYS];
    struct buf sig, msg;
    long n = probe_keys(argv[1], keys, PROBE_MAX_KEYS);
    int rc = 1;

    if (n < 0 || probe_read(argv[2], &sig) != 0 || probe_read(argv[3], &msg) != 0)
        fprintf(stderr, "cannot read the keys, the signature or the message\n");
    else
        rc = probe_verify_with(argv[0], keys, (size_t)n, &sig, &msg);
    for (long i = 0; i < n; i++)
        sshsig_key_free(&keys[i]);
    buf_free(&sig);
    buf_free(&msg);
    return rc;
}

/* probe_sign - NAMESPACE KEY_FILE FILE, with the key file or the agent */
static int probe_sign(char **argv, int agent)
{
    struct sshsig_key key = { 0 };
    struct buf msg;
    char err[256], *armored = NULL;
    enum sshsig_status st = SSHSIG_SYSTEM;

    snprintf(err, sizeof(err), "cannot read %s", argv[2]);
    if (probe_read(argv[2], &msg) != 0)
        ;
    else if (!agent)
        st = sshsig_sign_file((const unsigned char *)msg.data, msg.len, argv[0], argv[1],
                              &armored, err, sizeof(err));
    else if (probe_keys(argv[1], &key, 1) == 1)
        st = sshsig_sign_agent((const unsigned char *)msg.data, msg.len, argv[0], &key, NULL,
                               &armored, err, sizeof(err));
    if (st == SSHSIG_OK)
        fputs(armored, stdout);
    else
        fprintf(stderr, "%s: %s\n", sshsig_status_code(st), err);
    free(armored);
    sshsig_key_free(&key);
    buf_free(&msg);
    return st == SSHSIG_OK ? 0 : 1;
}

/* probe_fingerprint - PUBLIC_KEY_FILE */
static int probe_fingerprint(const char *path)
{
    struct sshsig_key key;
    char fp[SSHSIG_FINGERPRINT_MAX];

    if (probe_keys(path, &key, 1) != 1)
        return 1;
    sshsig_key_fingerprint(&key, fp, sizeof(fp));
    printf("%s\n", fp);
    sshsig_key_free(&key);
    return 0;
}

/* main - one command */
int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";

    if (strcmp(cmd, "canon") == 0 && argc == 3)
        return probe_canon(argv[2]);
    if (strcmp(cmd, "verify") == 0 && argc == 6)
        return probe_verify(argv + 2);
    if ((strcmp(cmd, "sign") == 0 || strcmp(cmd, "sign-agent") == 0) && argc == 5)
        return probe_sign(argv + 2, strcmp(cmd, "sign-agent") == 0);
    if (strcmp(cmd, "fingerprint") == 0 && argc == 3)
        return probe_fingerprint(argv[2]);
    fputs(PROBE_USAGE, stderr);
    return 2;
}
