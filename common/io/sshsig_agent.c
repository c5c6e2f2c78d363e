/*
 * sshsig_agent - SSHSIG signatures made by ssh-agent (see sshsig.h).
 *
 * DESCRIPTION
 *	The agent protocol (draft-miller-ssh-agent) over the Unix socket
 *	$SSH_AUTH_SOCK: each message is uint32 length and that many bytes.
 *	Request: byte SSH_AGENTC_SIGN_REQUEST (13), string key blob, string
 *	data, uint32 flags (SSH_AGENT_RSA_SHA2_512 for an RSA key). Reply:
 *	byte SSH_AGENT_SIGN_RESPONSE (14), string signature, or
 *	SSH_AGENT_FAILURE (5) when the agent does not hold the key or the
 *	user refused. The keys it holds: byte SSH_AGENTC_REQUEST_IDENTITIES
 *	(11); reply byte SSH_AGENT_IDENTITIES_ANSWER (12), uint32 count, and
 *	count times string key blob, string comment. One connection per signature; reads and writes time
 *	out (an agent may ask the user to confirm). The reply is
 *	attacker-controlled as much as anything else: it is read with the
 *	same bounds checks, and sshsig_make() verifies the signature made.
 */
#include "io/sshsig_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define SSH_AGENTC_REQUEST_IDENTITIES 11
#define SSH_AGENT_IDENTITIES_ANSWER 12
#define SSH_AGENTC_SIGN_REQUEST 13
#define SSH_AGENT_SIGN_RESPONSE 14
#define SSH_AGENT_FAILURE 5
#define SSH_AGENT_RSA_SHA2_512 0x04
#define SSHSIG_AGENT_REPLY_MAX (SSHSIG_BLOB_MAX + 64)
#define SSHSIG_AGENT_TIMEOUT_S 60
#define SSHSIG_AGENT_KEYS_REPLY_MAX (256u * 1024) /* the identities answer */
#define SSHSIG_AGENT_KEYS_MAX 64                  /* keys taken from it */

/* The key to sign with and where its agent listens. */
struct sshsig_agent_signer {
    const struct sshsig_key *key;
    const char *socket_path;
};

/* sshsig_agent_connect - a connected socket with timeouts; -1 on failure */
static int sshsig_agent_connect(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timeval timeout = { .tv_sec = SSHSIG_AGENT_TIMEOUT_S };
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path))
        return -1;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) != 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* sshsig_agent_io - send (without SIGPIPE) or receive exactly len bytes */
static int sshsig_agent_io(int fd, void *data, size_t len, int sending)
{
    unsigned char *p = data;

    while (len > 0) {
        ssize_t n = sending ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* sshsig_agent_call - send one framed request, read one framed reply (at most cap bytes) */
static int sshsig_agent_call(int fd, const struct buf *request, unsigned char *reply,
                             size_t cap, size_t *reply_len)
{
    unsigned char head[4];
    struct ssh_reader r = { head, sizeof(head) };
    struct buf frame;
    uint32_t len = 0;
    int rc;

    buf_init(&frame, SSHSIG_AGENT_REPLY_MAX + SSHSIG_NAMESPACE_MAX + 256);
    rc = ssh_put_string(&frame, request->data, request->len) != 0 ||
         sshsig_agent_io(fd, frame.data, frame.len, 1) != 0 ||
         sshsig_agent_io(fd, head, sizeof(head), 0) != 0 || ssh_read_u32(&r, &len) != 0 ||
         len > cap || sshsig_agent_io(fd, reply, len, 0) != 0;
    buf_free(&frame);
    *reply_len = len;
    return rc ? -1 : 0;
}

/* sshsig_agent_exchange - one request to the agent at socket_path and its reply */
static enum sshsig_status sshsig_agent_exchange(const char *socket_path, const struct buf *request,
                                                unsigned char *reply, size_t cap,
                                                size_t *reply_len, char *err, size_t err_len)
{
    int fd = sshsig_agent_connect(socket_path);
    int rc;

    if (fd < 0)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "cannot connect to the agent at %s",
                           socket_path);
    rc = sshsig_agent_call(fd, request, reply, cap, reply_len);
    close(fd);
    return rc == 0 ? SSHSIG_OK
                   : sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the agent did not answer");
}

/* sshsig_agent_request - SSH_AGENTC_SIGN_REQUEST for data by key */
static int sshsig_agent_request(struct buf *request, const struct sshsig_key *key,
                                const unsigned char *data, size_t len)
{
    uint32_t flags = key->type == SSHSIG_KEY_RSA ? SSH_AGENT_RSA_SHA2_512 : 0;

    return ssh_put_u8(request, SSH_AGENTC_SIGN_REQUEST) != 0 ||
                   ssh_put_string(request, key->blob, key->blob_len) != 0 ||
                   ssh_put_string(request, data, len) != 0 || ssh_put_u32(request, flags) != 0
               ? -1
               : 0;
}

/* sshsig_agent_reply - the signature of a SSH_AGENT_SIGN_RESPONSE, appended to out */
static enum sshsig_status sshsig_agent_reply(const unsigned char *reply, size_t len,
                                             struct buf *out, char *err, size_t err_len)
{
    struct ssh_reader r = { reply, len };
    const unsigned char *sig;
    size_t sig_len;
    unsigned char type;

    if (ssh_read_u8(&r, &type) != 0)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the agent's reply is empty");
    if (type == SSH_AGENT_FAILURE)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the agent refused to sign (does it hold the key?)");
    if (type != SSH_AGENT_SIGN_RESPONSE || ssh_read_string(&r, &sig, &sig_len) != 0 || r.left != 0)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the agent's reply is malformed");
    if (buf_append(out, sig, sig_len) != 0)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the agent's signature is too large");
    return SSHSIG_OK;
}

/* sshsig_agent_sign_cb - one signature from the agent */
static enum sshsig_status sshsig_agent_sign_cb(void *signer, const unsigned char *data,
                                               size_t len, struct buf *out, char *err,
                                               size_t err_len)
{
    struct sshsig_agent_signer *s = signer;
    unsigned char *reply = malloc(SSHSIG_AGENT_REPLY_MAX);
    struct buf request;
    size_t reply_len = 0;
    enum sshsig_status status;

    buf_init(&request, SSHSIG_AGENT_REPLY_MAX + SSHSIG_NAMESPACE_MAX + 128);
    if (!reply || sshsig_agent_request(&request, s->key, data, len) != 0)
        status = sshsig_fail(err, err_len, SSHSIG_SYSTEM, "out of memory");
    else if ((status = sshsig_agent_exchange(s->socket_path, &request, reply,
                                             SSHSIG_AGENT_REPLY_MAX, &reply_len, err, err_len))
             == SSHSIG_OK)
        status = sshsig_agent_reply(reply, reply_len, out, err, err_len);
    buf_free(&request);
    free(reply);
    return status;
}

/* sshsig_sign_agent - an armored signature made by the agent's copy of key */
enum sshsig_status sshsig_sign_agent(const unsigned char *msg, size_t len, const char *ns,
                                     const struct sshsig_key *key, const char *socket_path,
                                     char **armored, char *err, size_t err_len)
{
    struct sshsig_agent_signer signer = { key, socket_path ? socket_path : getenv("SSH_AUTH_SOCK") };

    *armored = NULL;
    if (!signer.socket_path || signer.socket_path[0] == '\0')
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "no agent: SSH_AUTH_SOCK is not set");
    return sshsig_make(msg, len, ns, key, sshsig_agent_sign_cb, &signer, armored, err, err_len);
}

/* sshsig_agent_take_keys - the supported keys of an identities answer (after its type) */
static enum sshsig_status sshsig_agent_take_keys(struct ssh_reader *r, struct sshsig_key *keys,
                                                 size_t *n, char *err, size_t err_len)
{
    const unsigned char *blob, *comment;
    size_t blob_len, comment_len;
    uint32_t count;

    if (ssh_read_u32(r, &count) != 0)
        return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the agent's key list is malformed");
    for (uint32_t i = 0; i < count; i++) {
        if (ssh_read_string(r, &blob, &blob_len) != 0 ||
            ssh_read_string(r, &comment, &comment_len) != 0)
            return sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the agent's key list is malformed");
        if (*n < SSHSIG_AGENT_KEYS_MAX &&
            sshsig_key_from_blob(&keys[*n], blob, blob_len, NULL, 0) == SSHSIG_OK)
            (*n)++;
    }
    return r->left == 0 ? SSHSIG_OK
                        : sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the agent's key list is malformed");
}

/* sshsig_agent_keys - ask the agent for its keys; keep the supported ones */
enum sshsig_status sshsig_agent_keys(const char *socket_path, struct sshsig_key **keys, size_t *n,
                                     char *err, size_t err_len)
{
    const char *path = socket_path ? socket_path : getenv("SSH_AUTH_SOCK");
    unsigned char *reply = malloc(SSHSIG_AGENT_KEYS_REPLY_MAX), type = 0;
    struct sshsig_key *found = calloc(SSHSIG_AGENT_KEYS_MAX, sizeof(*found));
    struct buf request;
    size_t reply_len = 0;
    struct ssh_reader r;
    enum sshsig_status status;

    *keys = NULL;
    *n = 0;
    buf_init(&request, 16);
    if (!path || path[0] == '\0')
        status = sshsig_fail(err, err_len, SSHSIG_SYSTEM, "no agent: SSH_AUTH_SOCK is not set");
    else if (!reply || !found || ssh_put_u8(&request, SSH_AGENTC_REQUEST_IDENTITIES) != 0)
        status = sshsig_fail(err, err_len, SSHSIG_SYSTEM, "out of memory");
    else
        status = sshsig_agent_exchange(path, &request, reply, SSHSIG_AGENT_KEYS_REPLY_MAX,
                                       &reply_len, err, err_len);
    r = (struct ssh_reader){ reply, reply_len };
    if (status == SSHSIG_OK && (ssh_read_u8(&r, &type) != 0 || type != SSH_AGENT_IDENTITIES_ANSWER))
        status = sshsig_fail(err, err_len, SSHSIG_SYSTEM, "the agent did not list its keys");
    if (status == SSHSIG_OK)
        status = sshsig_agent_take_keys(&r, found, n, err, err_len);
    if (status != SSHSIG_OK)
        for (; *n > 0; (*n)--)
            sshsig_key_free(&found[*n - 1]);
    *keys = status == SSHSIG_OK ? found : NULL;
    if (status != SSHSIG_OK)
        free(found);
    buf_free(&request);
    free(reply);
    return status;
}
