/*
 * sshsig_wire - the SSH wire encoding (RFC 4251 section 5) read with
 *	bounds checks, and written into a capped buffer; base64 as OpenSSH
 *	uses it. The bottom of io/sshsig*.c; nothing of cutover here.
 *
 * SYNOPSIS
 *	struct ssh_reader r = { bytes, len };
 *	const unsigned char *s; size_t n; uint32_t v;
 *	if (ssh_read_u32(&r, &v) != 0 || ssh_read_string(&r, &s, &n) != 0)
 *		refuse;			(never reads past bytes + len)
 *	if (r.left != 0)	refuse;	(trailing bytes)
 *
 *	struct buf b; buf_init(&b, cap);
 *	ssh_put_string(&b, s, n);	(-1 over the cap)
 *
 * DESCRIPTION
 *	A reader fails (-1) and stays where it was when the next item does
 *	not fit in what is left; a string's length is checked against what
 *	is left before anything is read, so no length can make it read past
 *	the end. ssh_read_mpint() takes only what RFC 4251 allows for a
 *	positive number: no needless leading zero byte, no sign bit set.
 */
#ifndef CUTOVER_SSHSIG_WIRE_H
#define CUTOVER_SSHSIG_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct ssh_reader {
    const unsigned char *p;
    size_t left;
};

int ssh_read_u8(struct ssh_reader *r, unsigned char *v);
int ssh_read_u32(struct ssh_reader *r, uint32_t *v);
/* ssh_read_bytes - the next n bytes, in place */
int ssh_read_bytes(struct ssh_reader *r, size_t n, const unsigned char **out);
/* ssh_read_string - a uint32 length and that many bytes, in place */
int ssh_read_string(struct ssh_reader *r, const unsigned char **s, size_t *len);
/* ssh_read_string_eq - a string that must equal text */
int ssh_read_string_eq(struct ssh_reader *r, const char *text);
/* ssh_read_cstring - a string copied into out (cap bytes with its NUL); no NUL inside */
int ssh_read_cstring(struct ssh_reader *r, char *out, size_t cap);
/* ssh_read_mpint - a positive mpint's magnitude (leading zero byte dropped), in place */
int ssh_read_mpint(struct ssh_reader *r, const unsigned char **s, size_t *len);

int ssh_put_u8(struct buf *b, unsigned char v);
int ssh_put_u32(struct buf *b, uint32_t v);
int ssh_put_string(struct buf *b, const void *s, size_t len);
int ssh_put_cstring(struct buf *b, const char *s);
/* ssh_put_mpint - a positive number given as big-endian magnitude bytes */
int ssh_put_mpint(struct buf *b, const unsigned char *s, size_t len);

/* ssh_base64_decode - base64 text (whitespace between characters allowed) into a new
 * buffer of at most cap bytes; the caller frees it (and wipes it first when it is a
 * secret: the scratch copy made here is wiped). NULL when not base64 or too long. */
unsigned char *ssh_base64_decode(const char *text, size_t len, size_t cap, size_t *out_len);
/* ssh_dearmor - the decoded base64 between a first line begin and a line end (only
 * whitespace may follow it), as OpenSSH writes signatures and private keys; NULL if not */
unsigned char *ssh_dearmor(const char *text, size_t len, const char *begin, const char *end,
                           size_t cap, size_t *out_len);
/* ssh_base64_encode - append base64 of data; wrap > 0 breaks lines every wrap characters */
int ssh_base64_encode(struct buf *b, const unsigned char *data, size_t len, size_t wrap);

#endif
