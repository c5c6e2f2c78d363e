/*
 * event_sign - sign a CloudEvent before it is published (see event_sign.h).
 *
 * DESCRIPTION
 *	A signer holds either a loaded key file (io/sshsig.h's file signer)
 *	or the public key of the agent's key to ask for, and that key's
 *	fingerprint for the logs. The armored signature sshsig makes is
 *	turned into the bare base64 the attribute carries.
 */
#include "io/event_sign.h"

#include "io/event_canon.h"
#include "io/sshsig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_SIGN_ONLY_KEY "only"
#define EVENT_SIGN_PUBKEY_MAX (64u * 1024)

struct event_signer {
    struct sshsig_file_signer *file; /* a key file, or NULL: the agent */
    struct sshsig_key agent_key;     /* the agent's key to sign with */
    char fingerprint[SSHSIG_FINGERPRINT_MAX];
};

/* event_signer_file - load the key file once */
struct event_signer *event_signer_file(const char *path, char *err, size_t err_len)
{
    struct event_signer *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (sshsig_file_signer_load(path, &s->file, err, err_len) != SSHSIG_OK) {
        free(s);
        return NULL;
    }
    sshsig_key_fingerprint(sshsig_file_signer_key(s->file), s->fingerprint,
                           sizeof(s->fingerprint));
    return s;
}

/* event_signer_wanted - the public key of a .pub file into key, or its fingerprint into fp */
static int event_signer_wanted(const char *choice, struct sshsig_key *key, char *fp,
                               size_t fp_len, char *err, size_t err_len)
{
    struct buf text;
    int rc = 0;

    if (strncmp(choice, "SHA256:", 7) == 0) {
        snprintf(fp, fp_len, "%s", choice);
        return 0;
    }
    buf_init(&text, EVENT_SIGN_PUBKEY_MAX);
    if (buf_read_file(&text, choice) != 0 || buf_putc(&text, '\0') != 0) {
        snprintf(err, err_len, "cannot read the public key file %s", choice);
        rc = -1;
    } else if (sshsig_key_from_line(key, text.data, NULL, 0) != SSHSIG_OK) {
        snprintf(err, err_len, "%s holds no Ed25519, ECDSA P-256 or RSA public key", choice);
        rc = -1;
    } else
        sshsig_key_fingerprint(key, fp, fp_len);
    buf_free(&text);
    return rc;
}

/* event_signer_pick - the index of the agent's key whose fingerprint is fp (fp empty: its
 * only key); -1 with err */
static long event_signer_pick(const struct sshsig_key *keys, size_t n, const char *fp, char *err,
                              size_t err_len)
{
    char have[SSHSIG_FINGERPRINT_MAX];

    if (fp[0] == '\0' && n == 1)
        return 0;
    if (fp[0] == '\0') {
        snprintf(err, err_len, "the agent holds %zu usable keys: name one (a .pub file or a "
                               "SHA256: fingerprint)", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        sshsig_key_fingerprint(&keys[i], have, sizeof(have));
        if (strcmp(have, fp) == 0)
            return (long)i;
    }
    snprintf(err, err_len, "the agent does not hold the key %s", fp);
    return -1;
}

/* event_signer_adopt - take the agent's key i into s; free the others and the array */
static void event_signer_adopt(struct event_signer *s, struct sshsig_key *keys, size_t n, long i)
{
    for (size_t k = 0; k < n; k++)
        if ((long)k == i)
            s->agent_key = keys[k];
        else
            sshsig_key_free(&keys[k]);
    free(keys);
    sshsig_key_fingerprint(&s->agent_key, s->fingerprint, sizeof(s->fingerprint));
}

/* event_signer_agent - find the chosen key among the agent's */
struct event_signer *event_signer_agent(const char *choice, char *err, size_t err_len)
{
    struct event_signer *s = calloc(1, sizeof(*s));
    struct sshsig_key wanted = {0}, *keys = NULL;
    char fp[SSHSIG_FINGERPRINT_MAX] = "";
    size_t n = 0;
    long i = -1;

    if (choice == NULL || strcmp(choice, EVENT_SIGN_ONLY_KEY) == 0)
        choice = "";
    if (s == NULL)
        snprintf(err, err_len, "out of memory");
    else if ((*choice == '\0'
              || event_signer_wanted(choice, &wanted, fp, sizeof(fp), err, err_len) == 0)
             && sshsig_agent_keys(NULL, &keys, &n, err, err_len) == SSHSIG_OK)
        i = event_signer_pick(keys, n, fp, err, err_len);
    sshsig_key_free(&wanted);
    if (i < 0) {
        for (size_t k = 0; k < n; k++)
            sshsig_key_free(&keys[k]);
        free(keys);
        free(s);
        return NULL;
    }
    event_signer_adopt(s, keys, n, i);
    return s;
}

/* event_signer_fingerprint - for the logs */
const char *event_signer_fingerprint(const struct event_signer *signer)
{
    return signer->fingerprint;
}

/* event_signer_free - wipe the key; NULL is fine */
void event_signer_free(struct event_signer *signer)
{
    if (signer == NULL)
        return;
    sshsig_file_signer_free(signer->file);
    sshsig_key_free(&signer->agent_key);
    free(signer);
}

/* event_canon_event - the canonical form of ev as event_encode writes it, unsigned */
int event_canon_event(const struct cloud_event *ev, struct buf *out, char *err, size_t err_len)
{
    struct cloud_event unsigned_ev = *ev;
    char *json;
    int rc;

    unsigned_ev.cutoversig = NULL;
    if ((json = event_encode(&unsigned_ev)) == NULL) {
        snprintf(err, err_len, "cannot encode the event");
        return -1;
    }
    rc = event_canon(json, strlen(json), out, err, err_len);
    free(json);
    return rc;
}

/* event_sign_unarmor - the base64 between an armored signature's first and last line */
static char *event_sign_unarmor(const char *armored)
{
    const char *p = strchr(armored, '\n');
    char *out = malloc(strlen(armored) + 1), *o = out;

    if (out == NULL || p == NULL) {
        free(out);
        return NULL;
    }
    for (p++; *p != '\0' && *p != '-'; p++)
        if (*p != '\n' && *p != '\r')
            *o++ = *p;
    *o = '\0';
    return out;
}

/* event_sign_bytes - the armored signature of canon in ns by the signer */
static int event_sign_bytes(struct event_signer *s, const struct buf *canon, const char *ns,
                            char **armored, char *err, size_t err_len)
{
    const unsigned char *msg = (const unsigned char *)canon->data;

    if (s->file != NULL)
        return sshsig_file_signer_sign(s->file, msg, canon->len, ns, armored, err, err_len)
                       == SSHSIG_OK
                   ? 0
                   : -1;
    return sshsig_sign_agent(msg, canon->len, ns, &s->agent_key, NULL, armored, err, err_len)
                   == SSHSIG_OK
               ? 0
               : -1;
}

/* event_sign - canonical form, namespace of the subject, signature, attribute */
int event_sign(struct event_signer *signer, struct cloud_event *ev, char *err, size_t err_len)
{
    char ns[EVENT_CANON_NAMESPACE_MAX], *armored = NULL, *sig = NULL;
    struct buf canon;
    int rc = -1;

    buf_init(&canon, EVENT_CANON_MAX);
    if (ev->subject == NULL || event_canon_namespace(ev->subject, ns, sizeof(ns)) != 0)
        snprintf(err, err_len, "the environment name cannot make a signature namespace");
    else if (event_canon_event(ev, &canon, err, err_len) == 0
             && event_sign_bytes(signer, &canon, ns, &armored, err, err_len) == 0) {
        if ((sig = event_sign_unarmor(armored)) == NULL)
            snprintf(err, err_len, "the signature is not armored");
        else {
            free(ev->cutoversig);
            ev->cutoversig = sig;
            rc = 0;
        }
    }
    free(armored);
    buf_free(&canon);
    return rc;
}
