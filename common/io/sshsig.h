/*
 * sshsig - OpenSSH's SSHSIG signatures ("ssh-keygen -Y sign"): verify
 *	one against a list of allowed public keys, and make one with an
 *	OpenSSH private key file or through ssh-agent.
 *
 * SYNOPSIS
 *	struct sshsig_key allowed[2];
 *	sshsig_key_from_line(&allowed[0], "ssh-ed25519 AAAAC3Nz... ops@x", err, sizeof(err));
 *	size_t which;
 *	if (sshsig_verify(msg, len, sig, sig_len, "cutover:shop", allowed, 2,
 *	                  &which, err, sizeof(err)) == SSHSIG_OK)
 *		... allowed[which] signed msg
 *	char fp[SSHSIG_FINGERPRINT_MAX];
 *	sshsig_key_fingerprint(&allowed[which], fp, sizeof(fp));	("SHA256:...")
 *
 *	char *armored;
 *	sshsig_sign_file(msg, len, "cutover:shop", "/home/op/.ssh/id_ed25519",
 *	                 &armored, err, sizeof(err));	(the caller frees armored)
 *	sshsig_sign_agent(msg, len, "cutover:shop", &public_key, NULL,
 *	                  &armored, err, sizeof(err));	(NULL: $SSH_AUTH_SOCK)
 *
 *	struct sshsig_file_signer *signer;		(a key file read once)
 *	sshsig_file_signer_load("/etc/cutover/web_key", &signer, err, sizeof(err));
 *	sshsig_file_signer_sign(signer, msg, len, "cutover:shop", &armored, err, sizeof(err));
 *	sshsig_file_signer_free(signer);
 *	sshsig_agent_keys(NULL, &keys, &n, err, sizeof(err));	(what the agent holds)
 *
 * DESCRIPTION
 *	The format is OpenSSH's PROTOCOL.sshsig. A signature is accepted
 *	as armored text ("-----BEGIN SSH SIGNATURE-----"), as the bare
 *	base64 of the blob (whitespace allowed), or as the binary blob.
 *	It must be version 1, carry an empty reserved field and the hash
 *	"sha256" or "sha512", name exactly the expected namespace, be made
 *	by a key equal to one of the allowed ones, have no trailing bytes,
 *	and verify with OpenSSL over the signed data of PROTOCOL.sshsig
 *	section 3. Key types: ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa
 *	(2048 to 16384 bits) with the signature algorithms rsa-sha2-256 and
 *	rsa-sha2-512 only: an "ssh-rsa" (SHA-1) signature is refused.
 *
 *	Everything here takes attacker-controlled bytes: every length is
 *	checked against what is left before it is read, and sizes are
 *	capped (SSHSIG_TEXT_MAX, SSHSIG_BLOB_MAX).
 *
 *	Signing hashes the message with sha512, as ssh-keygen does. Private
 *	key files must be unencrypted openssh-key-v1 files (cipher "none")
 *	holding one Ed25519, ECDSA P-256 or RSA key; the key material is
 *	wiped after use and never appears in an error message. The agent
 *	signer asks for rsa-sha2-512 for an RSA key. Every signature made
 *	is verified before it is handed out.
 */
#ifndef CUTOVER_SSHSIG_H
#define CUTOVER_SSHSIG_H

#include <openssl/evp.h>
#include <stddef.h>

#define SSHSIG_TEXT_MAX (16u * 1024)  /* armored or base64 text, or a raw blob */
#define SSHSIG_BLOB_MAX (8u * 1024)   /* a decoded blob */
#define SSHSIG_NAMESPACE_MAX 256      /* with its NUL */
#define SSHSIG_FINGERPRINT_MAX 52     /* "SHA256:" and 43 base64 characters, NUL */

enum sshsig_status {
    SSHSIG_OK = 0,
    SSHSIG_MALFORMED,        /* "malformed": not the format, truncated, trailing bytes */
    SSHSIG_BAD_VERSION,      /* "bad-version" */
    SSHSIG_UNSUPPORTED,      /* "unsupported": key type, hash or signature algorithm */
    SSHSIG_WRONG_NAMESPACE,  /* "wrong-namespace" */
    SSHSIG_KEY_NOT_ALLOWED,  /* "key-not-allowed" */
    SSHSIG_BAD_SIGNATURE,    /* "bad-signature": does not verify */
    SSHSIG_SYSTEM,           /* "system": memory, a file, the agent, OpenSSL */
};

/* sshsig_status_code - a short stable name for logs and the audit */
const char *sshsig_status_code(enum sshsig_status status);

enum sshsig_key_type {
    SSHSIG_KEY_ED25519,
    SSHSIG_KEY_ECDSA_P256,
    SSHSIG_KEY_RSA,
};

/* A public key: its SSH wire form (what is compared) and OpenSSL's form. */
struct sshsig_key {
    enum sshsig_key_type type;
    unsigned char *blob;
    size_t blob_len;
    EVP_PKEY *pkey;
};

/* sshsig_key_from_blob - a public key from its SSH wire form */
enum sshsig_status sshsig_key_from_blob(struct sshsig_key *key, const unsigned char *blob,
                                        size_t len, char *err, size_t err_len);
/* sshsig_key_from_line - a public key from an authorized_keys or allowed_signers line:
 * the first field that names a supported key type, then its base64 blob */
enum sshsig_status sshsig_key_from_line(struct sshsig_key *key, const char *line, char *err,
                                        size_t err_len);
void sshsig_key_free(struct sshsig_key *key);
/* sshsig_key_equal - 1 when both are the same public key */
int sshsig_key_equal(const struct sshsig_key *a, const struct sshsig_key *b);
/* sshsig_key_type_name - "ssh-ed25519", "ecdsa-sha2-nistp256" or "ssh-rsa" */
const char *sshsig_key_type_name(const struct sshsig_key *key);
/* sshsig_key_fingerprint - "SHA256:" and the unpadded base64 of the blob's SHA-256 */
void sshsig_key_fingerprint(const struct sshsig_key *key, char *out, size_t out_len);

/* sshsig_verify - SSHSIG_OK when sig is a valid signature of msg in namespace ns by
 * one of the n allowed keys (its index in *which); else why not, and a message */
enum sshsig_status sshsig_verify(const unsigned char *msg, size_t len, const char *sig,
                                 size_t sig_len, const char *ns,
                                 const struct sshsig_key *allowed, size_t n, size_t *which,
                                 char *err, size_t err_len);

/* sshsig_sign_file - an armored signature of msg with an unencrypted OpenSSH key file */
enum sshsig_status sshsig_sign_file(const unsigned char *msg, size_t len, const char *ns,
                                    const char *key_path, char **armored, char *err,
                                    size_t err_len);
/* A private key file loaded once and used for many signatures: the key stays
 * in memory (OpenSSL wipes it when freed), the file is read only once. */
struct sshsig_file_signer;
/* sshsig_file_signer_load - read and check an unencrypted OpenSSH key file into *out */
enum sshsig_status sshsig_file_signer_load(const char *key_path, struct sshsig_file_signer **out,
                                           char *err, size_t err_len);
/* sshsig_file_signer_sign - an armored signature of msg with a loaded key */
enum sshsig_status sshsig_file_signer_sign(struct sshsig_file_signer *signer,
                                           const unsigned char *msg, size_t len, const char *ns,
                                           char **armored, char *err, size_t err_len);
/* sshsig_file_signer_key - the loaded key's public half */
const struct sshsig_key *sshsig_file_signer_key(const struct sshsig_file_signer *signer);
void sshsig_file_signer_free(struct sshsig_file_signer *signer);

/* sshsig_agent_keys - the public keys the agent holds, of the supported types (others
 * are skipped), into a new array *keys of *n (the caller frees each and the array);
 * socket_path NULL: $SSH_AUTH_SOCK */
enum sshsig_status sshsig_agent_keys(const char *socket_path, struct sshsig_key **keys, size_t *n,
                                     char *err, size_t err_len);
/* sshsig_sign_agent - an armored signature of msg by the agent's key equal to key;
 * socket_path NULL: $SSH_AUTH_SOCK */
enum sshsig_status sshsig_sign_agent(const unsigned char *msg, size_t len, const char *ns,
                                     const struct sshsig_key *key, const char *socket_path,
                                     char **armored, char *err, size_t err_len);

#endif
