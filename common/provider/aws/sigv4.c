/*
 * sigv4 - AWS Signature Version 4 (see sigv4.h for the rules).
 *
 * DESCRIPTION
 *	sigv4_sign() builds the canonical request in four parts (URI, query,
 *	headers, payload), hashes it into the string to sign, derives the
 *	signing key (HMAC-SHA256 over date, region, service, "aws4_request")
 *	and signs. Key material on the stack is wiped before returning.
 */
#include "provider/aws/sigv4.h"

#include "base/child.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* One header that takes part in the signature. */
struct sigv4_item {
    char *name;        /* lowercased copy */
    const char *value; /* as given */
    size_t order;      /* position, keeps repeated names in order */
};

/* One query parameter, both parts encoded. */
struct sigv4_param {
    char *name;
    char *value;
};

/* botocore's SIGNED_HEADERS_BLACKLIST */
static const char *const sigv4_unsigned_names[] = {
    "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
};

/* sigv4_sha256_hex - hex SHA-256 of data */
void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
    hex_encode(md, 32, out);
}

/* sigv4_hmac - HMAC-SHA256 of a string under key into out[32] */
static void sigv4_hmac(const unsigned char *key, size_t key_len, const char *msg,
                       unsigned char out[32])
{
    unsigned int out_len = 32;

    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out, &out_len);
}

/* sigv4_format_date - "YYYYMMDDTHHMMSSZ" for t */
void sigv4_format_date(long long t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* sigv4_is_unreserved - RFC 3986 unreserved: A-Z a-z 0-9 - _ . ~ */
static int sigv4_is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

/* sigv4_uri_encode - percent-encode bytes outside the unreserved set */
int sigv4_uri_encode(struct buf *b, const char *s, size_t len, int keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (sigv4_is_unreserved(c) || (keep_slash && c == '/')) {
            if (buf_putc(b, (char)c) != 0)
                return -1;
            continue;
        }
        char esc[3] = { '%', digits[c >> 4], digits[c & 15] };
        if (buf_append(b, esc, 3) != 0)
            return -1;
    }
    return 0;
}

/* sigv4_is_space - white space as Python's str.split() sees it in ASCII */
static int sigv4_is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* sigv4_put_trimmed - value without outer white space, inner runs folded */
static int sigv4_put_trimmed(struct buf *b, const char *v)
{
    int pending = 0, started = 0;

    for (; *v; v++) {
        if (sigv4_is_space((unsigned char)*v)) {
            pending = started;
            continue;
        }
        if (pending && buf_putc(b, ' ') != 0)
            return -1;
        if (buf_putc(b, *v) != 0)
            return -1;
        pending = 0;
        started = 1;
    }
    return 0;
}

/* sigv4_hex_value - value of a hex digit, -1 when not one */
static int sigv4_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* sigv4_reencode - percent-decode s[0..len) ('+' is a space), encode again */
static char *sigv4_reencode(const char *s, size_t len)
{
    struct buf out;

    buf_init(&out, SIGV4_MAX_TEXT);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int hi, lo;
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < len && (hi = sigv4_hex_value(s[i + 1])) >= 0 &&
                   (lo = sigv4_hex_value(s[i + 2])) >= 0) {
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (sigv4_uri_encode(&out, (const char *)&c, 1, 0) != 0) {
            buf_free(&out);
            return NULL;
        }
    }
    return buf_steal(&out);
}

/* sigv4_param_cmp - order by encoded name, then encoded value */
static int sigv4_param_cmp(const void *a, const void *b)
{
    const struct sigv4_param *x = a, *y = b;
    int r = strcmp(x->name, y->name);

    return r ? r : strcmp(x->value, y->value);
}

/* sigv4_split_query - decode and encode again each name=value of query */
static int sigv4_split_query(const char *query, struct sigv4_param *params, size_t *count,
                             char *err, size_t err_len)
{
    const char *p = query;

    *count = 0;
    while (*p) {
        size_t len = strcspn(p, "&");
        if (len > 0) {
            if (*count == SIGV4_MAX_PARAMS) {
                snprintf(err, err_len, "sigv4: more than %d query parameters", SIGV4_MAX_PARAMS);
                return -1;
            }
            const char *eq = memchr(p, '=', len);
            size_t name_len = eq ? (size_t)(eq - p) : len;
            struct sigv4_param *pm = &params[(*count)++];
            pm->name = sigv4_reencode(p, name_len);
            pm->value = eq ? sigv4_reencode(eq + 1, len - name_len - 1) : strdup("");
            if (!pm->name || !pm->value) {
                snprintf(err, err_len, "sigv4: query string too long");
                return -1;
            }
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return 0;
}

/* sigv4_put_query - the canonical query string */
static int sigv4_put_query(struct buf *b, const char *query, char *err, size_t err_len)
{
    struct sigv4_param *params;
    size_t count = 0;
    int result = -1;

    if (!query || !*query)
        return 0;
    params = calloc(SIGV4_MAX_PARAMS, sizeof(*params));
    if (!params) {
        snprintf(err, err_len, "sigv4: out of memory");
        return -1;
    }
    if (sigv4_split_query(query, params, &count, err, err_len) != 0)
        goto out;
    qsort(params, count, sizeof(*params), sigv4_param_cmp);
    for (size_t i = 0; i < count; i++) {
        if ((i > 0 && buf_putc(b, '&') != 0) || buf_puts(b, params[i].name) != 0 ||
            buf_putc(b, '=') != 0 || buf_puts(b, params[i].value) != 0) {
            snprintf(err, err_len, "sigv4: canonical request too long");
            goto out;
        }
    }
    result = 0;
out:
    for (size_t i = 0; i < count; i++) {
        free(params[i].name);
        free(params[i].value);
    }
    free(params);
    return result;
}

/* sigv4_put_segments - the path without dot and empty segments, encoded */
static int sigv4_put_segments(struct buf *b, const char *path, size_t len)
{
    size_t max = len / 2 + 2, n = 0;
    const char **seg = malloc(max * sizeof(*seg));
    size_t *seg_len = malloc(max * sizeof(*seg_len));
    int result = -1;

    if (!seg || !seg_len)
        goto out;
    for (const char *p = path, *end = path + len; p < end;) {
        size_t l = strcspn(p, "/");
        if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (n > 0)
                n--;
        } else if (l > 0 && !(l == 1 && p[0] == '.')) {
            seg[n] = p;
            seg_len[n++] = l;
        }
        p += l + (p[l] == '/');
    }
    if (buf_putc(b, '/') != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if ((i > 0 && buf_putc(b, '/') != 0) || sigv4_uri_encode(b, seg[i], seg_len[i], 0) != 0)
            goto out;
    }
    if (n > 0 && path[len - 1] == '/' && buf_putc(b, '/') != 0)
        goto out;
    result = 0;
out:
    free(seg);
    free(seg_len);
    return result;
}

/* sigv4_put_path - the canonical URI (s3: the path as given) */
static int sigv4_put_path(struct buf *b, const char *path, int s3, char *err, size_t err_len)
{
    if (!path || !*path)
        return buf_putc(b, '/');
    if (path[0] != '/') {
        snprintf(err, err_len, "sigv4: path must start with '/'");
        return -1;
    }
    if ((s3 ? buf_puts(b, path) : sigv4_put_segments(b, path, strlen(path))) != 0) {
        snprintf(err, err_len, "sigv4: path too long");
        return -1;
    }
    return 0;
}

/* sigv4_item_cmp - order by lowercased name, then by position */
static int sigv4_item_cmp(const void *a, const void *b)
{
    const struct sigv4_item *x = a, *y = b;
    int r = strcmp(x->name, y->name);

    return r ? r : (x->order > y->order) - (x->order < y->order);
}

/* sigv4_is_replaced - a header the signer drops because it sets its own */
static int sigv4_is_replaced(const char *lname, int has_token, int s3)
{
    for (size_t i = 0; i < sizeof(sigv4_unsigned_names) / sizeof(sigv4_unsigned_names[0]); i++)
        if (strcmp(lname, sigv4_unsigned_names[i]) == 0)
            return 1;
    return strcmp(lname, "authorization") == 0 || strcmp(lname, "x-amz-date") == 0 ||
           (has_token && strcmp(lname, "x-amz-security-token") == 0) ||
           (s3 && strcmp(lname, "x-amz-content-sha256") == 0);
}

/* sigv4_item_add - append one signed header (name copied and lowercased) */
static int sigv4_item_add(struct sigv4_item *items, size_t *n, const char *name,
                          const char *value)
{
    char *lname = strdup(name);

    if (!lname)
        return -1;
    for (char *p = lname; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    items[*n].name = lname;
    items[*n].value = value ? value : "";
    items[*n].order = *n;
    (*n)++;
    return 0;
}

/* sigv4_collect - the headers to sign: the input's, then the signer's own */
static int sigv4_collect(const struct sigv4_request *req, const struct sigv4_result *res,
                         struct sigv4_item *items, size_t *n, char *err, size_t err_len)
{
    int s3 = strcmp(req->service, "s3") == 0, has_token = res->session_token != NULL;

    for (size_t i = 0; i < req->header_count; i++) {
        const char *name = req->headers[i].name;
        if (!name || !*name || strpbrk(name, " \t\r\n:")) {
            snprintf(err, err_len, "sigv4: bad header name");
            return -1;
        }
        if (sigv4_item_add(items, n, name, req->headers[i].value) != 0) {
            snprintf(err, err_len, "sigv4: out of memory");
            return -1;
        }
        if (sigv4_is_replaced(items[*n - 1].name, has_token, s3))
            free(items[--(*n)].name);
    }
    if (sigv4_item_add(items, n, "x-amz-date", res->amz_date) != 0 ||
        (has_token && sigv4_item_add(items, n, "x-amz-security-token", res->session_token) != 0) ||
        (s3 && sigv4_item_add(items, n, "x-amz-content-sha256", res->payload_hash) != 0)) {
        snprintf(err, err_len, "sigv4: out of memory");
        return -1;
    }
    return 0;
}

/* sigv4_put_headers - canonical headers, a blank line, then signed headers */
static int sigv4_put_headers(struct buf *b, struct sigv4_item *items, size_t n,
                             struct buf *signed_names)
{
    qsort(items, n, sizeof(*items), sigv4_item_cmp);
    for (size_t i = 0; i < n; i++) {
        int first = i == 0 || strcmp(items[i].name, items[i - 1].name) != 0;
        if (first && i > 0 && (buf_putc(b, '\n') != 0 || buf_putc(signed_names, ';') != 0))
            return -1;
        if (first && (buf_puts(b, items[i].name) != 0 || buf_putc(b, ':') != 0 ||
                      buf_puts(signed_names, items[i].name) != 0))
            return -1;
        if (!first && buf_putc(b, ',') != 0)
            return -1;
        if (sigv4_put_trimmed(b, items[i].value) != 0)
            return -1;
    }
    if (buf_puts(b, "\n\n") != 0 || buf_puts(b, signed_names->data ? signed_names->data : "") != 0)
        return -1;
    return buf_putc(b, '\n');
}

/* sigv4_has_host - whether a host header is among the signed ones */
static int sigv4_has_host(const struct sigv4_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].name, "host") == 0)
            return 1;
    return 0;
}

/* sigv4_canonical_headers - collect, sort and write the header part */
static int sigv4_canonical_headers(const struct sigv4_request *req, struct sigv4_result *res,
                                   struct buf *b, char *err, size_t err_len)
{
    struct sigv4_item *items = calloc(req->header_count + 3, sizeof(*items));
    struct buf names;
    size_t n = 0;
    int result = -1;

    buf_init(&names, SIGV4_MAX_TEXT);
    if (!items) {
        snprintf(err, err_len, "sigv4: out of memory");
        goto out;
    }
    if (sigv4_collect(req, res, items, &n, err, err_len) != 0)
        goto out;
    if (!sigv4_has_host(items, n)) {
        snprintf(err, err_len, "sigv4: no Host header");
        goto out;
    }
    if (sigv4_put_headers(b, items, n, &names) != 0) {
        snprintf(err, err_len, "sigv4: canonical request too long");
        goto out;
    }
    res->signed_headers = buf_steal(&names);
    result = res->signed_headers ? 0 : -1;
out:
    for (size_t i = 0; i < n; i++)
        free(items[i].name);
    free(items);
    buf_free(&names);
    return result;
}

/* sigv4_payload - the payload hash line (see sigv4.h) */
static void sigv4_payload(const struct sigv4_request *req, int s3, char out[65])
{
    if (req->payload_hash) {
        snprintf(out, 65, "%s", req->payload_hash);
        return;
    }
    for (size_t i = 0; !s3 && i < req->header_count; i++) {
        if (req->headers[i].name && strcasecmp(req->headers[i].name, "x-amz-content-sha256") == 0) {
            snprintf(out, 65, "%s", req->headers[i].value ? req->headers[i].value : "");
            return;
        }
    }
    sigv4_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0, out);
}

/* sigv4_check_date - "YYYYMMDDTHHMMSSZ" */
static int sigv4_check_date(const char *d)
{
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
        return -1;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)d[i]))
            return -1;
    return 0;
}

/* sigv4_check - reject requests that cannot be signed */
static int sigv4_check(const struct sigv4_request *req, const struct sigv4_credentials *creds,
                       char *err, size_t err_len)
{
    const char *what = NULL;

    if (!req->method || !*req->method || strpbrk(req->method, " \t\r\n"))
        what = "method";
    else if (!req->region || !*req->region || strchr(req->region, '/'))
        what = "region";
    else if (!req->service || !*req->service || strchr(req->service, '/'))
        what = "service";
    else if (sigv4_check_date(req->amz_date) != 0)
        what = "date (want YYYYMMDDTHHMMSSZ)";
    else if (!creds->access_key_id || !*creds->access_key_id || strchr(creds->access_key_id, '/'))
        what = "access key id";
    else if (!creds->secret_access_key || !*creds->secret_access_key)
        what = "secret access key";
    else if (req->header_count > SIGV4_MAX_HEADERS)
        what = "header count";
    if (what)
        snprintf(err, err_len, "sigv4: bad or missing %s", what);
    return what ? -1 : 0;
}

/* sigv4_canonical_request - method, URI, query, headers, signed headers, payload */
static int sigv4_canonical_request(const struct sigv4_request *req, struct sigv4_result *res,
                                   char *err, size_t err_len)
{
    int s3 = strcmp(req->service, "s3") == 0;
    struct buf b;

    buf_init(&b, SIGV4_MAX_TEXT);
    for (const char *m = req->method; *m; m++)
        buf_putc(&b, (char)toupper((unsigned char)*m));
    if (buf_putc(&b, '\n') != 0 || sigv4_put_path(&b, req->path, s3, err, err_len) != 0 ||
        buf_putc(&b, '\n') != 0 || sigv4_put_query(&b, req->query, err, err_len) != 0 ||
        buf_putc(&b, '\n') != 0 || sigv4_canonical_headers(req, res, &b, err, err_len) != 0 ||
        buf_puts(&b, res->payload_hash) != 0) {
        if (!*err)
            snprintf(err, err_len, "sigv4: canonical request too long");
        buf_free(&b);
        return -1;
    }
    res->canonical_request = buf_steal(&b);
    return res->canonical_request ? 0 : -1;
}

/* sigv4_compute - string to sign, signing key, signature */
static int sigv4_compute(const struct sigv4_request *req, const struct sigv4_credentials *creds,
                         struct sigv4_result *res)
{
    char date[9], hash[65], *key = NULL;
    unsigned char k1[32], k2[32];
    size_t key_len = strlen(creds->secret_access_key) + 5;

    memcpy(date, req->amz_date, 8);
    date[8] = '\0';
    sigv4_sha256_hex(res->canonical_request, strlen(res->canonical_request), hash);
    if (asprintf(&res->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
                 req->amz_date, date, req->region, req->service, hash) < 0) {
        res->string_to_sign = NULL;
        return -1;
    }
    if (!(key = malloc(key_len)))
        return -1;
    snprintf(key, key_len, "AWS4%s", creds->secret_access_key);
    sigv4_hmac((unsigned char *)key, key_len - 1, date, k1);
    sigv4_hmac(k1, 32, req->region, k2);
    sigv4_hmac(k2, 32, req->service, k1);
    sigv4_hmac(k1, 32, "aws4_request", k2);
    sigv4_hmac(k2, 32, res->string_to_sign, k1);
    hex_encode(k1, 32, res->signature);
    OPENSSL_cleanse(key, key_len);
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    free(key);
    return 0;
}

/* sigv4_add - name the headers the caller adds to the request */
static void sigv4_add(struct sigv4_result *res, int s3)
{
    res->add[res->add_count++] = (struct sigv4_header){ "X-Amz-Date", res->amz_date };
    if (res->session_token)
        res->add[res->add_count++] =
            (struct sigv4_header){ "X-Amz-Security-Token", res->session_token };
    if (s3)
        res->add[res->add_count++] =
            (struct sigv4_header){ "X-Amz-Content-SHA256", res->payload_hash };
    res->add[res->add_count++] = (struct sigv4_header){ "Authorization", res->authorization };
}

/* sigv4_authorization - the Authorization header's value */
static int sigv4_authorization(const struct sigv4_request *req,
                               const struct sigv4_credentials *creds, struct sigv4_result *res)
{
    if (asprintf(&res->authorization,
                 "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, "
                 "Signature=%s",
                 creds->access_key_id, req->amz_date, req->region, req->service,
                 res->signed_headers, res->signature) < 0) {
        res->authorization = NULL;
        return -1;
    }
    return 0;
}

/* sigv4_sign - sign req with creds; out is freed with sigv4_result_free */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *creds,
               struct sigv4_result *out, char *err, size_t err_len)
{
    int s3, result = -1;

    memset(out, 0, sizeof(*out));
    if (err_len)
        err[0] = '\0';
    if (sigv4_check(req, creds, err, err_len) != 0)
        return -1;
    s3 = strcmp(req->service, "s3") == 0;
    snprintf(out->amz_date, sizeof(out->amz_date), "%s", req->amz_date);
    sigv4_payload(req, s3, out->payload_hash);
    if (creds->session_token && *creds->session_token &&
        !(out->session_token = strdup(creds->session_token))) {
        snprintf(err, err_len, "sigv4: out of memory");
        goto out;
    }
    if (sigv4_canonical_request(req, out, err, err_len) != 0)
        goto out;
    if (sigv4_compute(req, creds, out) != 0 || sigv4_authorization(req, creds, out) != 0) {
        snprintf(err, err_len, "sigv4: out of memory");
        goto out;
    }
    sigv4_add(out, s3);
    result = 0;
out:
    if (result != 0)
        sigv4_result_free(out);
    return result;
}

/* sigv4_result_free - release what sigv4_sign allocated; wipe the token */
void sigv4_result_free(struct sigv4_result *res)
{
    free(res->canonical_request);
    free(res->string_to_sign);
    free(res->signed_headers);
    free(res->authorization);
    if (res->session_token) {
        OPENSSL_cleanse(res->session_token, strlen(res->session_token));
        free(res->session_token);
    }
    memset(res, 0, sizeof(*res));
}
