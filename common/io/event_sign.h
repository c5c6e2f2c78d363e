/*
 * event_sign - sign a CloudEvent before it is published: the SSHSIG of
 *	its canonical form (io/event_canon.h) in the namespace of its
 *	environment, carried in its "cutoversig" attribute.
 *
 * SYNOPSIS
 *	struct event_signer *s = event_signer_file("/home/ci/.ssh/deploy", err, sizeof(err));
 *	struct event_signer *s = event_signer_agent("SHA256:...", err, sizeof(err));
 *	if (s == NULL)
 *		fatal(err);			(why, never key material)
 *	event_create(&ev, topic, source, environment, data);
 *	... every attribute and the data final ...
 *	if (event_sign(s, &ev, err, sizeof(err)) != 0)
 *		refuse to publish;
 *	value = event_encode(&ev);		(or event_binary_headers)
 *	event_signer_free(s);
 *
 * DESCRIPTION
 *	event_sign() signs exactly what is published: the event as
 *	event_encode() writes it without "cutoversig", canonical, in the
 *	namespace "cutover:<subject>", and sets ev->cutoversig to the base64
 *	of the SSHSIG blob (no armor, no line breaks). Any attribute or data
 *	changed after it invalidates the signature. Sign last.
 *
 *	event_canon_event() is the canonical form of a decoded event, from
 *	either content mode: the structured event its attributes make (in
 *	binary mode the ce_* headers, content-type as datacontenttype, the
 *	value as data), without "cutoversig". A verifier that decoded a
 *	record with event_decode() gets the bytes the signer signed.
 *
 *	A key file (event_signer_file) is an unencrypted OpenSSH private key
 *	(Ed25519, ECDSA P-256 or RSA), read once; the key stays in memory
 *	until event_signer_free(). An agent signer (event_signer_agent) asks
 *	ssh-agent at $SSH_AUTH_SOCK for each signature; choice names its key:
 *	a public key file (".pub", an authorized_keys line), a fingerprint
 *	"SHA256:...", or NULL, "" or "only" for the agent's one supported key
 *	(an error when it holds none or several). Errors name the file, the
 *	fingerprint or the agent's socket, never key material.
 */
#ifndef CUTOVER_EVENT_SIGN_H
#define CUTOVER_EVENT_SIGN_H

#include <stddef.h>

#include "base/buf.h"
#include "io/event.h"

struct event_signer;

/* event_signer_file - a signer with the private key file at path; NULL with err */
struct event_signer *event_signer_file(const char *path, char *err, size_t err_len);
/* event_signer_agent - a signer through ssh-agent with the key choice names; NULL with err */
struct event_signer *event_signer_agent(const char *choice, char *err, size_t err_len);
/* event_signer_fingerprint - "SHA256:..." of the signer's public key */
const char *event_signer_fingerprint(const struct event_signer *signer);
void event_signer_free(struct event_signer *signer);

/* event_sign - set ev->cutoversig to the signature of ev; 0, or -1 with err */
int event_sign(struct event_signer *signer, struct cloud_event *ev, char *err, size_t err_len);

/* event_canon_event - append the canonical form of ev (its cutoversig left out) to out;
 * 0, or -1 with err */
int event_canon_event(const struct cloud_event *ev, struct buf *out, char *err, size_t err_len);

#endif
