/*
 * event_canon - the canonical form of a CloudEvent, the bytes an
 *	operator's SSH signature covers, and the names that go with it.
 *
 * SYNOPSIS
 *	struct buf canon;
 *	buf_init(&canon, EVENT_CANON_MAX);
 *	if (event_canon(json, len, &canon, err, sizeof(err)) != 0)
 *		refuse;				(err says why)
 *	char ns[EVENT_CANON_NAMESPACE_MAX];
 *	event_canon_namespace("shop", ns, sizeof(ns));	("cutover:shop")
 *	... sshsig_verify(canon.data, canon.len, sig, sig_len, ns, ...)
 *	buf_free(&canon);
 *
 * DESCRIPTION
 *	The canonical form is RFC 8785 (JSON Canonicalization Scheme) of
 *	the event in structured mode, the whole JSON object, with its
 *	top-level attribute "cutoversig" (EVENT_CANON_SIGNATURE_ATTRIBUTE,
 *	the signature itself) left out:
 *	  - no whitespace between tokens;
 *	  - object members sorted by their names compared as UTF-16 code
 *	    units (for names of the Basic Multilingual Plane, the same as
 *	    their UTF-8 bytes); a name twice in one object is refused;
 *	  - strings in UTF-8 (invalid UTF-8 is refused), escaped minimally:
 *	    \" and \\, \b \f \n \r \t, other characters below U+0020 as
 *	    \u00XX with lowercase hex, everything else as itself (so "\u00e9"
 *	    and "\/" in the input become "é" and "/"); "\u0000" is refused;
 *	  - true, false, null as themselves;
 *	  - numbers: only integers of magnitude below 2^53 (JavaScript's safe
 *	    integers) are accepted, written in decimal without exponent or
 *	    fraction
 *	    (1.0, 1e2 and -0 become 1, 100 and 0, as RFC 8785 writes them);
 *	    any other number is refused, so the form never depends on how
 *	    a fraction is printed.
 *	The top level must be an object. Nested "cutoversig" members are
 *	kept. An event received in binary mode is put in structured form
 *	first (each ce_ header an attribute, a JSON value as "data").
 *
 *	The signature is an SSHSIG (io/sshsig.h) in namespace
 *	"cutover:<environment>" (event_canon_namespace), so that one made
 *	for one environment never verifies for another; it travels as the
 *	extension attribute "cutoversig" (header "ce_cutoversig" in binary
 *	mode): the base64 of the SSHSIG blob, without armor or line breaks.
 */
#ifndef CUTOVER_EVENT_CANON_H
#define CUTOVER_EVENT_CANON_H

#include <stddef.h>

#include "base/buf.h"

#define EVENT_CANON_SIGNATURE_ATTRIBUTE "cutoversig"
#define EVENT_CANON_SIGNATURE_HEADER "ce_cutoversig"
#define EVENT_CANON_NAMESPACE_PREFIX "cutover:"
#define EVENT_CANON_NAMESPACE_MAX 96
#define EVENT_CANON_MAX (4u * 1024 * 1024)

/* event_canon - append the canonical form of the event json (len bytes) to out;
 * 0, or -1 with err filled (not JSON, not an object, a refused number or string,
 * a repeated name, over out's cap) */
int event_canon(const char *json, size_t len, struct buf *out, char *err, size_t err_len);

/* event_canon_namespace - "cutover:<environment>" into out; -1 when the name is empty,
 * too long, or has characters other than [A-Za-z0-9._-] */
int event_canon_namespace(const char *environment, char *out, size_t out_len);

#endif
