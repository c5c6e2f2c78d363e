/*
 * sigv4 - AWS Signature Version 4 (header signing).
 *
 * SYNOPSIS
 *	struct sigv4_header hdrs[] = { { "Host", "elasticloadbalancing.eu-west-1.amazonaws.com" },
 *	                               { "Content-Type", "application/x-www-form-urlencoded" } };
 *	struct sigv4_request req = { .method = "POST", .path = "/", .query = NULL,
 *	    .headers = hdrs, .header_count = 2, .body = body, .body_len = len,
 *	    .region = "eu-west-1", .service = "elasticloadbalancing",
 *	    .amz_date = "20150830T123600Z" };
 *	struct sigv4_credentials creds = { key_id, secret, token_or_NULL };
 *	struct sigv4_result res;
 *	if (sigv4_sign(&req, &creds, &res, err, sizeof(err)) != 0) ...
 *	for (size_t i = 0; i < res.add_count; i++)
 *		add_header(res.add[i].name, res.add[i].value);
 *	sigv4_result_free(&res);
 * *
 * DESCRIPTION
 *	sigv4_sign() computes the canonical request, the string to sign, the
 *	signature and the headers to add (X-Amz-Date, X-Amz-Security-Token
 *	when the credentials have a session token, X-Amz-Content-SHA256 for
 *	s3, Authorization). The clock is the caller's: amz_date is
 *	"YYYYMMDDTHHMMSSZ". Nothing here does I/O or logs.
 *
 *	The rules are those of the SigV4 specification, and where the
 *	specification leaves a choice, botocore's (the cross-check reference,
 *	tests/integration/test_sigv4_botocore.sh):
 *	- path: as sent on the wire (percent-encoded once). Other services than
 *	  s3: dot segments and empty segments removed, then every byte outside
 *	  the unreserved set and '/' percent-encoded again (so "%" becomes
 *	  "%25"). s3: used as is. An empty path is "/".
 *	- query: the raw query string is split on '&', each name and value
 *	  percent-decoded ('+' is a space) and encoded again with the
 *	  unreserved set, then sorted by name, then value. "a" is "a=".
 *	- headers: every header is signed except connection, expect,
 *	  keep-alive, proxy-authenticate, proxy-authorization, te, trailer,
 *	  transfer-encoding, upgrade, user-agent and x-amzn-trace-id
 *	  (botocore's list). Names are lowercased, values trimmed with inner
 *	  runs of white space folded to one space, repeated names joined with
 *	  ',' in the order given. An Authorization or X-Amz-Date header in the
 *	  input is replaced; so is X-Amz-Security-Token when the credentials
 *	  carry a token, and X-Amz-Content-SHA256 for s3. A Host header is
 *	  required. A Date header is signed as an ordinary header (botocore
 *	  would use it instead of X-Amz-Date; cutover always uses X-Amz-Date).
 *	- payload: payload_hash when given, else (not s3) the value of an
 *	  X-Amz-Content-SHA256 header when present, else the hex SHA-256 of
 *	  the body.
 */
#ifndef CUTOVER_SIGV4_H
#define CUTOVER_SIGV4_H

#include "base/buf.h"

#include <stddef.h>

/* One header; names may repeat. */
struct sigv4_header {
    const char *name;
    const char *value;
};

struct sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "" when none */
};

struct sigv4_request {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* wire form, "/..."; "" or NULL is "/" */
    const char *query;        /* raw, without '?'; NULL or "" when none */
    const struct sigv4_header *headers;
    size_t header_count;
    const void *body;
    size_t body_len;
    const char *region;       /* "us-east-1" */
    const char *service;      /* signing name: "elasticloadbalancing", "s3", ... */
    const char *amz_date;     /* "YYYYMMDDTHHMMSSZ" */
    const char *payload_hash; /* NULL: computed; or a hex digest, "UNSIGNED-PAYLOAD" */
};

#define SIGV4_MAX_ADD 4

struct sigv4_result {
    char *canonical_request;
    char *string_to_sign;
    char *signed_headers;     /* "host;x-amz-date" */
    char *authorization;      /* the Authorization header's value */
    char signature[65];
    char amz_date[17];
    char payload_hash[65];
    char *session_token;      /* copy, wiped on free */
    struct sigv4_header add[SIGV4_MAX_ADD]; /* headers to add, in order */
    size_t add_count;
};

/* Limits, so that hostile input cannot grow memory without bound. */
#define SIGV4_MAX_HEADERS 256
#define SIGV4_MAX_PARAMS 1024
#define SIGV4_MAX_TEXT (4u << 20) /* canonical request, query, path */

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *creds,
               struct sigv4_result *out, char *err, size_t err_len);
void sigv4_result_free(struct sigv4_result *res);

/* sigv4_sha256_hex - hex SHA-256 of data into out[65] */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);
/* sigv4_uri_encode - percent-encode every byte outside the unreserved set
 * (and '/' unless keep_slash); appends to b; -1 over its cap */
int sigv4_uri_encode(struct buf *b, const char *s, size_t len, int keep_slash);
/* sigv4_format_date - "YYYYMMDDTHHMMSSZ" for t (seconds since the epoch) */
void sigv4_format_date(long long t, char out[17]);

#endif
