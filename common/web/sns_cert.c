/*
 * sns_cert - SNS signing certificates and signatures (see sns_cert.h).
 *
 * DESCRIPTION
 *	A certificate is fetched once per URL and kept SNS_CERT_TTL_S in a
 *	cache of SNS_CERT_CACHE_SLOTS entries; when every slot is taken the
 *	oldest entry goes. A failed fetch is not cached. The validity period
 *	is checked on every use, so a cached certificate that has since
 *	expired is refused.
 */
#include "web/sns_cert.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNS_CERT_MAX_BYTES (64u * 1024)
#define SNS_SIGNATURE_MAX_B64 2048

/* One cached certificate. */
struct sns_cert_slot {
    char *url;
    X509 *cert;
    time_t fetched;
};

static struct sns_cert_slot sns_cert_cache[SNS_CERT_CACHE_SLOTS];

/* sns_host_allowed - whether host matches the policy's pattern */
static int sns_host_allowed(const char *host, const struct sns_policy *p)
{
    const char *pattern = p->cert_host_pattern ? p->cert_host_pattern
                                               : SNS_DEFAULT_CERT_HOST_PATTERN;
    regex_t re;
    int ok;

    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
        return 0;
    ok = regexec(&re, host, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* sns_url_parts_ok - scheme https, host allowed, path ends in suffix (NULL: any) */
static int sns_url_parts_ok(CURLU *u, const struct sns_policy *p, const char *suffix, char *err,
                            size_t err_len)
{
    char *scheme = NULL, *host = NULL, *path = NULL;
    size_t n, sn = suffix ? strlen(suffix) : 0;
    int ok = 0;

    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
        snprintf(err, err_len, "no scheme, host or path");
    else if (strcmp(scheme, "https") != 0)
        snprintf(err, err_len, "scheme %s is not https", scheme);
    else if (!sns_host_allowed(host, p))
        snprintf(err, err_len, "host %s is not allowed", host);
    else if ((n = strlen(path)) < sn || strcmp(path + n - sn, suffix ? suffix : "") != 0)
        snprintf(err, err_len, "path does not end in %s", suffix);
    else
        ok = 1;
    curl_free(scheme);
    curl_free(host);
    curl_free(path);
    return ok;
}

/* sns_url_check - url parsed and checked, or NULL with the reason */
CURLU *sns_url_check(const char *url, const struct sns_policy *p, const char *path_suffix,
                     char *err, size_t err_len)
{
    CURLU *u = curl_url();
    char why[256] = "not a URL";

    if (u && url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        sns_url_parts_ok(u, p, path_suffix, why, sizeof(why)))
        return u;
    snprintf(err, err_len, "refused URL %.200s: %s", url ? url : "(none)", why);
    curl_url_cleanup(u);
    return NULL;
}

/* sns_https_write_cb - collect the body; refuse past the cap */
static size_t sns_https_write_cb(char *data, size_t size, size_t n, void *arg)
{
    return buf_append(arg, data, size * n) == 0 ? size * n : 0;
}

/* sns_https_get - GET url into body: 0 with the status, -1 on a transport error */
int sns_https_get(CURLU *url, const struct sns_policy *p, struct buf *body, long *status,
                  char *err, size_t err_len)
{
    CURL *c = curl_easy_init();
    long timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : SNS_DEFAULT_TIMEOUT_MS;
    CURLcode rc = CURLE_OUT_OF_MEMORY;

    *status = 0;
    if (c) {
        curl_easy_setopt(c, CURLOPT_CURLU, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        if (p->ca_file)
            curl_easy_setopt(c, CURLOPT_CAINFO, p->ca_file);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body->limit);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sns_https_write_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "cutover");
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    }
    if (rc != CURLE_OK)
        snprintf(err, err_len, "%s", curl_easy_strerror(rc));
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

/* sns_cert_valid_now - whether now is within the certificate's validity period */
int sns_cert_valid_now(X509 *cert, char *err, size_t err_len)
{
    if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0) {
        snprintf(err, err_len, "certificate not valid yet");
        return 0;
    }
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
        snprintf(err, err_len, "certificate expired");
        return 0;
    }
    return 1;
}

/* sns_cert_parse - the first PEM X.509 certificate in pem (len bytes), or NULL with err */
X509 *sns_cert_parse(const char *pem, size_t len, char *err, size_t err_len)
{
    BIO *bio = NULL;
    X509 *cert = NULL;

    if (len > SNS_CERT_MAX_BYTES || !(bio = BIO_new_mem_buf(pem, (int)len)) ||
        !(cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
        snprintf(err, err_len, "certificate: not a PEM X.509 certificate");
    ERR_clear_error();
    BIO_free(bio);
    return cert;
}

/* sns_cert_fetch - download and parse the certificate at u */
static X509 *sns_cert_fetch(CURLU *u, const struct sns_policy *p, char *err, size_t err_len)
{
    struct buf body;
    X509 *cert = NULL;
    long status;

    buf_init(&body, SNS_CERT_MAX_BYTES);
    if (sns_https_get(u, p, &body, &status, err, err_len) != 0)
        ERR_clear_error();
    else if (status != 200)
        snprintf(err, err_len, "certificate fetch: HTTP %ld", status);
    else
        cert = sns_cert_parse(body.data ? body.data : "", body.len, err, err_len);
    buf_free(&body);
    return cert;
}

/* sns_cert_cached - a new reference to url's live cached certificate, or NULL */
static X509 *sns_cert_cached(const char *url, time_t now)
{
    for (size_t i = 0; i < SNS_CERT_CACHE_SLOTS; i++) {
        struct sns_cert_slot *s = &sns_cert_cache[i];
        if (s->url && strcmp(s->url, url) == 0 && now - s->fetched < SNS_CERT_TTL_S &&
            X509_up_ref(s->cert) == 1)
            return s->cert;
    }
    return NULL;
}

/* sns_cert_slot_clear - empty one cache slot */
static void sns_cert_slot_clear(struct sns_cert_slot *s)
{
    free(s->url);
    X509_free(s->cert);
    memset(s, 0, sizeof(*s));
}

/* sns_cert_remember - keep a reference to cert under url, in its own or the oldest slot */
static void sns_cert_remember(const char *url, X509 *cert, time_t now)
{
    struct sns_cert_slot *victim = &sns_cert_cache[0];

    for (size_t i = 0; i < SNS_CERT_CACHE_SLOTS; i++) {
        struct sns_cert_slot *s = &sns_cert_cache[i];
        if (!s->url || strcmp(s->url, url) == 0) {
            victim = s;
            break;
        }
        if (s->fetched < victim->fetched)
            victim = s;
    }
    sns_cert_slot_clear(victim);
    if (!(victim->url = strdup(url)) || X509_up_ref(cert) != 1) {
        free(victim->url);
        victim->url = NULL;
        return;
    }
    victim->cert = cert;
    victim->fetched = now;
}

/* sns_cert_cache_clear - forget every cached certificate */
void sns_cert_cache_clear(void)
{
    for (size_t i = 0; i < SNS_CERT_CACHE_SLOTS; i++)
        sns_cert_slot_clear(&sns_cert_cache[i]);
}

/* sns_cert_get - the checked URL's certificate, from the cache or fetched */
enum sns_outcome sns_cert_get(const char *url, const struct sns_policy *p, X509 **out, char *err,
                              size_t err_len)
{
    time_t now = time(NULL);
    CURLU *u = sns_url_check(url, p, ".pem", err, err_len);
    X509 *cert;

    *out = NULL;
    if (!u)
        return SNS_CERT_URL_REFUSED;
    cert = sns_cert_cached(url, now);
    if (!cert && (cert = sns_cert_fetch(u, p, err, err_len)) != NULL)
        sns_cert_remember(url, cert, now);
    curl_url_cleanup(u);
    if (!cert)
        return SNS_CERT_FETCH_FAILED;
    if (!sns_cert_valid_now(cert, err, err_len)) {
        X509_free(cert);
        return SNS_CERT_FETCH_FAILED;
    }
    *out = cert;
    return SNS_OK;
}

/* sns_base64_decode - the bytes of b64 into out (cap bytes); their count, or -1 */
static int sns_base64_decode(const char *b64, unsigned char *out, int cap)
{
    EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
    int len = (int)strlen(b64), n = -1, tail = 0;

    if (ctx && len <= SNS_SIGNATURE_MAX_B64 && len / 4 * 3 + 3 <= cap) {
        EVP_DecodeInit(ctx);
        if (EVP_DecodeUpdate(ctx, out, &n, (const unsigned char *)b64, len) < 0 ||
            EVP_DecodeFinal(ctx, out + n, &tail) != 1)
            n = -1;
        else
            n += tail;
    }
    EVP_ENCODE_CTX_free(ctx);
    return n;
}

/* sns_signature_check - 0 when signature_b64 is cert's RSA signature of text */
int sns_signature_check(X509 *cert, int version, const char *text, const char *signature_b64,
                        char *err, size_t err_len)
{
    unsigned char sig[SNS_SIGNATURE_MAX_B64];
    EVP_PKEY *key = X509_get0_pubkey(cert);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const EVP_MD *md = version == 1 ? EVP_sha1() : EVP_sha256();
    int n = sns_base64_decode(signature_b64, sig, (int)sizeof(sig)), ok = 0;

    if (n <= 0)
        snprintf(err, err_len, "signature is not base64");
    else if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
        snprintf(err, err_len, "certificate key is not RSA");
    else if (!ctx || EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) != 1 ||
             EVP_DigestVerify(ctx, sig, (size_t)n, (const unsigned char *)text, strlen(text)) != 1)
        snprintf(err, err_len, "signature does not match (SignatureVersion %d)", version);
    else
        ok = 1;
    ERR_clear_error();
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}
