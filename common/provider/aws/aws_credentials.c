/*
 * aws_credentials - AWS credentials and region (see aws_credentials.h).
 *
 * DESCRIPTION
 *	Each source is one function that answers found, not configured or
 *	broken. The shared files are read by a small INI reader (sections,
 *	"key = value", '#' and ';' comments; the indented lines that follow
 *	a "key =" line, nested settings of the AWS config file, are skipped).
 *	The metadata sources use libcurl with one-second timeouts and no
 *	proxy. Strings that hold secrets are wiped before they are freed.
 */
#include "provider/aws/aws_credentials.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"

#define AWS_CREDENTIALS_MAX_FILE (1u << 20)
#define AWS_CREDENTIALS_MAX_BODY (64u << 10)
#define AWS_CREDENTIALS_MAX_VALUE 8192
#define AWS_CREDENTIALS_TIMEOUT_MS 1000L
#define AWS_CONTAINER_HOST "http://169.254.170.2"
#define AWS_IMDS_DEFAULT "http://169.254.169.254"

/* The cache: the current credentials. */
struct aws_credentials_cache {
    struct aws_credentials creds;
    int loaded;
};

/* aws_credentials_wipe_free - wipe a secret string, then free it */
static void aws_credentials_wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* aws_credentials_clear - wipe and free the strings */
void aws_credentials_clear(struct aws_credentials *c)
{
    free(c->access_key_id);
    aws_credentials_wipe_free(c->secret_access_key);
    aws_credentials_wipe_free(c->session_token);
    memset(c, 0, sizeof(*c));
}

/* aws_credentials_view - borrow the strings for sigv4 */
void aws_credentials_view(const struct aws_credentials *c, struct sigv4_credentials *out)
{
    out->access_key_id = c->access_key_id;
    out->secret_access_key = c->secret_access_key;
    out->session_token = c->session_token;
}

/* aws_credentials_set - fill out with copies; -1 when out of memory */
static int aws_credentials_set(struct aws_credentials *out, const char *id, const char *secret,
                               const char *token, long long expiration, const char *source)
{
    memset(out, 0, sizeof(*out));
    out->access_key_id = strdup(id);
    out->secret_access_key = strdup(secret);
    out->session_token = token && *token ? strdup(token) : NULL;
    out->expiration = expiration;
    out->source = source;
    if (!out->access_key_id || !out->secret_access_key || (token && *token && !out->session_token)) {
        aws_credentials_clear(out);
        return -1;
    }
    return 0;
}

/* aws_credentials_env - a variable's value, NULL when unset or empty */
static const char *aws_credentials_env(const char *name)
{
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

/* aws_credentials_from_env - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN */
int aws_credentials_from_env(struct aws_credentials *out, char *err, size_t err_len)
{
    const char *id = aws_credentials_env("AWS_ACCESS_KEY_ID");
    const char *secret = aws_credentials_env("AWS_SECRET_ACCESS_KEY");

    if (!id && !secret)
        return 1;
    if (!id || !secret) {
        snprintf(err, err_len, "%s is set but %s is not",
                 id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                 id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return -1;
    }
    if (aws_credentials_set(out, id, secret, aws_credentials_env("AWS_SESSION_TOKEN"), 0,
                            "environment") != 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* aws_credentials_read_file - a whole file, up to the cap; 1 when missing */
static int aws_credentials_read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "r");
    char chunk[4096];
    size_t n;
    int result = 0;

    if (!f)
        return 1;
    while (result == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        result = buf_append(b, chunk, n);
    if (ferror(f))
        result = -1;
    fclose(f);
    OPENSSL_cleanse(chunk, sizeof(chunk));
    return result;
}

/* aws_credentials_path - the file named by a variable, or ~/.aws/NAME */
static int aws_credentials_path(const char *var, const char *name, char *out, size_t out_len)
{
    const char *v = aws_credentials_env(var), *home = aws_credentials_env("HOME");
    int n;

    if (v && strncmp(v, "~/", 2) == 0 && home)
        n = snprintf(out, out_len, "%s/%s", home, v + 2);
    else if (v)
        n = snprintf(out, out_len, "%s", v);
    else if (home)
        n = snprintf(out, out_len, "%s/.aws/%s", home, name);
    else
        return -1;
    return n > 0 && (size_t)n < out_len ? 0 : -1;
}

/* aws_ini_trim - [s, *len) without white space at either end */
static const char *aws_ini_trim(const char *s, size_t *len)
{
    while (*len > 0 && (*s == ' ' || *s == '\t'))
        s++, (*len)--;
    while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\r'))
        (*len)--;
    return s;
}

/* aws_ini_section_is - whether "[...]" text names the profile */
static int aws_ini_section_is(const char *s, size_t len, const char *profile, int config)
{
    s = aws_ini_trim(s, &len);
    if (config && len > 8 && strncmp(s, "profile", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
        s += 8, len -= 8;
        s = aws_ini_trim(s, &len);
    } else if (config && strcmp(profile, "default") != 0) {
        return 0;
    }
    return len == strlen(profile) && memcmp(s, profile, len) == 0;
}

/* aws_ini_match_key - if line is "key = value", copy the value to out */
static int aws_ini_match_key(const char *line, size_t len, const char *key, char *out,
                             size_t out_len)
{
    const char *eq = memchr(line, '=', len);

    if (!eq)
        return 0;
    size_t klen = (size_t)(eq - line), vlen = (size_t)(line + len - eq - 1);
    const char *k = aws_ini_trim(line, &klen), *v = aws_ini_trim(eq + 1, &vlen);
    if (klen != strlen(key) || strncasecmp(k, key, klen) != 0 || vlen >= out_len)
        return 0;
    memcpy(out, v, vlen);
    out[vlen] = '\0';
    return 1;
}

/* aws_ini_get - key of the profile's section: 0 found, 1 no such key, 2 no such section */
static int aws_ini_get(const char *text, const char *profile, int config, const char *key,
                       char *out, size_t out_len)
{
    int in_section = 0, seen = 0, nested = 0;

    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n"), tlen = len;
        const char *line = p, *t = aws_ini_trim(line, &tlen);
        int indented = line[0] == ' ' || line[0] == '\t';
        p += len + (p[len] == '\n');
        if (tlen == 0 || *t == '#' || *t == ';' || (indented && nested))
            continue;
        /* "s3 =" opens nested settings: the indented lines that follow */
        nested = tlen > 0 && t[tlen - 1] == '=';
        if (*t == '[') {
            const char *close = memchr(t, ']', tlen);
            in_section = close && aws_ini_section_is(t + 1, (size_t)(close - t - 1), profile, config);
            seen |= in_section;
            continue;
        }
        if (in_section && aws_ini_match_key(t, tlen, key, out, out_len))
            return 0;
    }
    return seen ? 1 : 2;
}

/* aws_ini_load - the text of the file named by var (or ~/.aws/name); 1 when missing */
static int aws_ini_load(const char *var, const char *name, struct buf *text)
{
    char path[4096];
    int r;

    if (aws_credentials_path(var, name, path, sizeof(path)) != 0)
        return 1;
    r = aws_credentials_read_file(path, text);
    if (r < 0)
        log_warn("aws: cannot read %s (unreadable or over %u bytes)", path,
                 AWS_CREDENTIALS_MAX_FILE);
    return r == 0 && text->data ? 0 : 1;
}

/* aws_credentials_try_file - the profile in one file: 0, 1 no keys, 2 no section, -1 */
static int aws_credentials_try_file(const char *var, const char *name, int config,
                                    const char *profile, struct aws_credentials *out, char *err,
                                    size_t err_len)
{
    char id[256], secret[AWS_CREDENTIALS_MAX_VALUE], token[AWS_CREDENTIALS_MAX_VALUE] = "";
    struct buf text;
    int result = 2, r1, r2;

    buf_init(&text, AWS_CREDENTIALS_MAX_FILE);
    if (aws_ini_load(var, name, &text) != 0)
        goto out;
    r1 = aws_ini_get(text.data, profile, config, "aws_access_key_id", id, sizeof(id));
    r2 = aws_ini_get(text.data, profile, config, "aws_secret_access_key", secret, sizeof(secret));
    aws_ini_get(text.data, profile, config, "aws_session_token", token, sizeof(token));
    if (r1 == 0 && r2 == 0)
        result = aws_credentials_set(out, id, secret, token, 0,
                                     config ? "config-file" : "shared-credentials-file");
    else if (r1 == 0 || r2 == 0)
        result = -1;
    else
        result = r1;
    if (result == -1)
        snprintf(err, err_len, "profile %s in the %s file has only one of aws_access_key_id and "
                 "aws_secret_access_key (or memory ran out)", profile, name);
out:
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(token, sizeof(token));
    buf_free(&text);
    return result;
}

/* aws_credentials_from_profile - the shared credentials file, then the config file */
int aws_credentials_from_profile(struct aws_credentials *out, char *err, size_t err_len)
{
    const char *named = aws_credentials_env("AWS_PROFILE");
    const char *profile = named ? named : "default";
    int r1, r2;

    r1 = aws_credentials_try_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", 0, profile, out,
                                  err, err_len);
    if (r1 <= 0)
        return r1;
    r2 = aws_credentials_try_file("AWS_CONFIG_FILE", "config", 1, profile, out, err, err_len);
    if (r2 <= 0)
        return r2;
    if (named && r1 == 2 && r2 == 2) {
        snprintf(err, err_len, "AWS_PROFILE names profile %s, which is in neither the "
                 "credentials nor the config file", profile);
        return -1;
    }
    return 1;
}

/* aws_credentials_write_cb - collect a response body; refuse past the cap */
static size_t aws_credentials_write_cb(char *data, size_t size, size_t n, void *arg)
{
    return buf_append(arg, data, size * n) == 0 ? size * n : 0;
}

/* aws_credentials_http - one metadata request: 0 with its status, -1 transport error */
static int aws_credentials_http(const char *method, const char *url, const char *header,
                                struct buf *body, long *status, char *err, size_t err_len)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = header ? curl_slist_append(NULL, header) : NULL;
    CURLcode rc = CURLE_OUT_OF_MEMORY;

    if (c && (h || !header)) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_PROXY, "");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, AWS_CREDENTIALS_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, AWS_CREDENTIALS_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, aws_credentials_write_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    }
    if (rc != CURLE_OK)
        snprintf(err, err_len, "%s %s: %s", method, url, curl_easy_strerror(rc));
    for (struct curl_slist *s = h; s; s = s->next)
        OPENSSL_cleanse(s->data, strlen(s->data));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

/* aws_credentials_parse_time - RFC 3339 UTC to seconds; -1 when malformed */
static long long aws_credentials_parse_time(const char *s)
{
    struct tm tm = { 0 };

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

/* aws_credentials_json_string - a string member, NULL when absent */
static char *aws_credentials_json_string(const cJSON *j, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, name);

    return cJSON_IsString(m) && m->valuestring[0] ? m->valuestring : NULL;
}

/* aws_credentials_parse_json - {AccessKeyId, SecretAccessKey, Token, Expiration} */
int aws_credentials_parse_json(const char *body, const char *source,
                               struct aws_credentials *out, char *err, size_t err_len)
{
    cJSON *j = cJSON_Parse(body);
    char *id = aws_credentials_json_string(j, "AccessKeyId");
    char *secret = aws_credentials_json_string(j, "SecretAccessKey");
    char *token = aws_credentials_json_string(j, "Token");
    const char *exp = aws_credentials_json_string(j, "Expiration");
    const char *code = aws_credentials_json_string(j, "Code");
    long long expiration = exp ? aws_credentials_parse_time(exp) : 0;
    int result = -1;

    if (!id || !secret || expiration < 0 || (code && strcmp(code, "Success") != 0))
        snprintf(err, err_len, "%s: unexpected credentials response (Code %s)", source,
                 code ? code : "absent");
    else if (aws_credentials_set(out, id, secret, token, expiration, source) != 0)
        snprintf(err, err_len, "out of memory");
    else
        result = 0;
    if (secret)
        OPENSSL_cleanse(secret, strlen(secret));
    if (token)
        OPENSSL_cleanse(token, strlen(token));
    cJSON_Delete(j);
    return result;
}

/* aws_credentials_allowed_host - hosts an http container endpoint may use */
static int aws_credentials_allowed_host(const char *host)
{
    static const char *const hosts[] = {
        "localhost", "[::1]", "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]",
    };

    if (strncmp(host, "127.", 4) == 0)
        return 1;
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
        if (strcasecmp(host, hosts[i]) == 0)
            return 1;
    return 0;
}

/* aws_credentials_full_uri_ok - https anywhere, http only to the allowed hosts */
static int aws_credentials_full_uri_ok(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = 0;

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        ok = strcmp(scheme, "https") == 0 ||
             (strcmp(scheme, "http") == 0 && aws_credentials_allowed_host(host));
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

/* aws_credentials_container_token - the Authorization value, "" when none */
static int aws_credentials_container_token(char *out, size_t out_len, char *err, size_t err_len)
{
    const char *file = aws_credentials_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *token = aws_credentials_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    struct buf b;
    int result = 0;

    buf_init(&b, out_len - 1);
    if (file && aws_credentials_read_file(file, &b) != 0) {
        snprintf(err, err_len, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s", file);
        result = -1;
    } else {
        snprintf(out, out_len, "%s", file ? (b.data ? b.data : "") : (token ? token : ""));
        out[strcspn(out, "\r\n")] = '\0';
    }
    buf_free(&b);
    return result;
}

/* aws_credentials_container_url - where the container agent answers; 1 when not set */
static int aws_credentials_container_url(char *url, size_t url_len, char *err, size_t err_len)
{
    const char *rel = aws_credentials_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = aws_credentials_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");

    if (rel)
        snprintf(url, url_len, "%s%s%s", AWS_CONTAINER_HOST, rel[0] == '/' ? "" : "/", rel);
    else if (full && aws_credentials_full_uri_ok(full))
        snprintf(url, url_len, "%s", full);
    else if (full)
        snprintf(err, err_len, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a "
                 "loopback or container agent address");
    return rel || (full && aws_credentials_full_uri_ok(full)) ? 0 : full ? -1 : 1;
}

/* aws_credentials_from_container - the ECS/EKS container credentials endpoint */
int aws_credentials_from_container(struct aws_credentials *out, char *err, size_t err_len)
{
    char url[2048], token[AWS_CREDENTIALS_MAX_VALUE], header[AWS_CREDENTIALS_MAX_VALUE + 32];
    struct buf body;
    long status = 0;
    int r = aws_credentials_container_url(url, sizeof(url), err, err_len);

    if (r != 0)
        return r;
    if (aws_credentials_container_token(token, sizeof(token), err, err_len) != 0)
        return -1;
    snprintf(header, sizeof(header), "Authorization: %s", token);
    buf_init(&body, AWS_CREDENTIALS_MAX_BODY);
    r = aws_credentials_http("GET", url, token[0] ? header : NULL, &body, &status, err, err_len);
    if (r == 0 && status != 200) {
        snprintf(err, err_len, "container credentials: GET %s: HTTP %ld", url, status);
        r = -1;
    }
    if (r == 0)
        r = aws_credentials_parse_json(body.data ? body.data : "", "container", out, err, err_len);
    OPENSSL_cleanse(token, sizeof(token));
    OPENSSL_cleanse(header, sizeof(header));
    buf_free(&body);
    return r;
}

/* aws_imds_get - one IMDS request; the body when the status is 200 */
static int aws_imds_get(const char *method, const char *base, const char *path,
                        const char *header, struct buf *body, char *err, size_t err_len)
{
    char url[2048];
    long status = 0;

    snprintf(url, sizeof(url), "%s%s", base, path);
    buf_reset(body);
    if (aws_credentials_http(method, url, header, body, &status, err, err_len) != 0)
        return -1;
    if (status != 200) {
        snprintf(err, err_len, "instance metadata: %s %s: HTTP %ld", method, url, status);
        return -1;
    }
    return body->data ? 0 : -1;
}

/* aws_imds_base - the metadata endpoint without a trailing slash */
static void aws_imds_base(char *out, size_t out_len)
{
    const char *v = aws_credentials_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    size_t n;

    snprintf(out, out_len, "%s", v ? v : AWS_IMDS_DEFAULT);
    n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
}

/* aws_credentials_from_imds - IMDSv2: token, role name, then the role's credentials */
int aws_credentials_from_imds(struct aws_credentials *out, char *err, size_t err_len)
{
    const char *disabled = aws_credentials_env("AWS_EC2_METADATA_DISABLED");
    char base[1024], header[512], path[512];
    struct buf body;
    int result = 1;

    if (disabled && strcasecmp(disabled, "true") == 0)
        return 1;
    aws_imds_base(base, sizeof(base));
    buf_init(&body, AWS_CREDENTIALS_MAX_BODY);
    if (aws_imds_get("PUT", base, "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 21600",
                     &body, err, err_len) != 0 || body.len >= sizeof(header) - 32)
        goto out;
    snprintf(header, sizeof(header), "X-aws-ec2-metadata-token: %.*s", (int)strcspn(body.data, "\r\n"),
             body.data);
    if (aws_imds_get("GET", base, "/latest/meta-data/iam/security-credentials/", header, &body, err,
                     err_len) != 0 || strcspn(body.data, "\r\n") == 0)
        goto out;
    snprintf(path, sizeof(path), "/latest/meta-data/iam/security-credentials/%.*s",
             (int)strcspn(body.data, "\r\n"), body.data);
    result = -1;
    if (aws_imds_get("GET", base, path, header, &body, err, err_len) == 0)
        result = aws_credentials_parse_json(body.data, "imds", out, err, err_len);
out:
    OPENSSL_cleanse(header, sizeof(header));
    buf_free(&body);
    return result;
}

/* aws_credentials_load - one pass through the sources, in the SDK order */
int aws_credentials_load(struct aws_credentials *out, char *err, size_t err_len)
{
    static int (*const sources[])(struct aws_credentials *, char *, size_t) = {
        aws_credentials_from_env,
        aws_credentials_from_profile,
        aws_credentials_from_container,
        aws_credentials_from_imds,
    };

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
        int r = sources[i](out, err, err_len);
        if (r == 0)
            log_debug("aws: credentials from %s, expiration %lld", out->source, out->expiration);
        if (r <= 0)
            return r;
    }
    snprintf(err, err_len, "no AWS credentials (environment, shared files, container, instance "
             "metadata)");
    return -1;
}

/* aws_credentials_cache_create - an empty cache; loads on first use */
struct aws_credentials_cache *aws_credentials_cache_create(void)
{
    return calloc(1, sizeof(struct aws_credentials_cache));
}

/* aws_credentials_cache_fresh - whether the cached credentials may still be used at now */
static int aws_credentials_cache_fresh(const struct aws_credentials_cache *cache, long long now)
{
    return cache->loaded &&
           (cache->creds.expiration == 0 ||
            now < cache->creds.expiration - AWS_CREDENTIALS_REFRESH_EARLY);
}

/* aws_credentials_cache_get - valid credentials at now; refreshes 5 minutes early */
int aws_credentials_cache_get(struct aws_credentials_cache *cache, long long now,
                              const struct aws_credentials **out, char *err, size_t err_len)
{
    struct aws_credentials fresh;

    if (!aws_credentials_cache_fresh(cache, now)) {
        if (aws_credentials_load(&fresh, err, err_len) != 0) {
            if (!cache->loaded || now >= cache->creds.expiration)
                return -1;
            log_warn("aws: refreshing credentials failed, the current ones expire in %lld s: %s",
                     cache->creds.expiration - now, err);
        } else {
            aws_credentials_clear(&cache->creds);
            cache->creds = fresh;
            cache->loaded = 1;
        }
    }
    *out = &cache->creds;
    return 0;
}

/* aws_credentials_cache_free - wipe and release */
void aws_credentials_cache_free(struct aws_credentials_cache *cache)
{
    if (!cache)
        return;
    aws_credentials_clear(&cache->creds);
    free(cache);
}

/* aws_region_resolve - AWS_REGION, AWS_DEFAULT_REGION, the profile's region */
int aws_region_resolve(char *out, size_t out_len)
{
    const char *v = aws_credentials_env("AWS_REGION");
    const char *profile = aws_credentials_env("AWS_PROFILE");
    struct buf text;
    int r = 2;

    if (!v)
        v = aws_credentials_env("AWS_DEFAULT_REGION");
    if (v) {
        snprintf(out, out_len, "%s", v);
        return 0;
    }
    buf_init(&text, AWS_CREDENTIALS_MAX_FILE);
    if (aws_ini_load("AWS_CONFIG_FILE", "config", &text) == 0)
        r = aws_ini_get(text.data, profile ? profile : "default", 1, "region", out, out_len);
    buf_free(&text);
    return r == 0 && *out ? 0 : -1;
}
