/*
 * aws_http - signed AWS API calls (see aws_http.h).
 *
 * DESCRIPTION
 *	aws_client_request() runs attempts until one succeeds, the failure is
 *	not worth retrying, the attempts are used up or the call's deadline
 *	would pass. An attempt resolves the endpoint, signs with fresh
 *	credentials and the current time, and performs one libcurl request
 *	bounded by the time left. Per-service endpoint variables are read
 *	here and nowhere else.
 */
#include "provider/aws/aws_http.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "provider/aws/aws_credentials.h"
#include "provider/aws/aws_xml.h"

#define AWS_HTTP_MAX_BACKOFF_MS 20000L
#define AWS_HTTP_MAX_QUERY_BODY (1u << 20)
#define AWS_HTTP_MAX_HEADERS 32

struct aws_client {
    char region[64];
    struct aws_credentials_cache *creds;
    CURL *curl;
    long timeout_ms;
    int max_attempts;
    long backoff_base_ms;
    unsigned int seed;
};

/* One call, as the attempts see it. */
struct aws_http_call {
    enum aws_service svc;
    const char *method, *path, *query;
    const struct sigv4_header *headers;
    size_t header_count;
    const void *body;
    size_t body_len;
};

/* Response headers an error message needs. */
struct aws_http_meta {
    char request_id[128];
    char error_type[128];
};

/* Endpoint facts per service. */
static const struct {
    const char *name;   /* host prefix and signing name */
    const char *suffix; /* CUTOVER_AWS_ENDPOINT_URL_<suffix> */
    int global;         /* one endpoint, signed for us-east-1 */
} aws_services[] = {
    [AWS_SERVICE_ELBV2] = { "elasticloadbalancing", "ELBV2", 0 },
    [AWS_SERVICE_AUTOSCALING] = { "autoscaling", "AUTOSCALING", 0 },
    [AWS_SERVICE_CODEDEPLOY] = { "codedeploy", "CODEDEPLOY", 0 },
    [AWS_SERVICE_CLOUDFRONT] = { "cloudfront", "CLOUDFRONT", 1 },
    [AWS_SERVICE_S3] = { "s3", "S3", 0 },
    [AWS_SERVICE_CLOUDWATCH] = { "monitoring", "CLOUDWATCH", 0 },
    [AWS_SERVICE_SSM] = { "ssm", "SSM", 0 },
};

/* Error codes the SDK's standard mode retries. */
static const char *const aws_retry_codes[] = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException", "RequestTimeout", "RequestTimeoutException", "ConnectionError",
    "Timeout",
};

/* aws_client_create - a client for region (NULL: the usual sources) */
struct aws_client *aws_client_create(const char *region, char *err, size_t err_len)
{
    struct aws_client *c = calloc(1, sizeof(*c));

    if (!c || !(c->creds = aws_credentials_cache_create()) || !(c->curl = curl_easy_init())) {
        snprintf(err, err_len, "aws: out of memory");
        goto out;
    }
    if (region)
        snprintf(c->region, sizeof(c->region), "%s", region);
    else if (aws_region_resolve(c->region, sizeof(c->region)) != 0) {
        snprintf(err, err_len, "aws: no region (AWS_REGION, AWS_DEFAULT_REGION or the profile)");
        goto out;
    }
    c->timeout_ms = config_get_int("CUTOVER_AWS_TIMEOUT_MS");
    c->max_attempts = (int)config_get_int("CUTOVER_AWS_MAX_ATTEMPTS");
    c->backoff_base_ms = 1000;
    c->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
    return c;
out:
    aws_client_free(c);
    return NULL;
}

/* aws_client_free - release the client */
void aws_client_free(struct aws_client *c)
{
    if (!c)
        return;
    aws_credentials_cache_free(c->creds);
    curl_easy_cleanup(c->curl);
    free(c);
}

/* aws_client_set_backoff_base_ms - the backoff base */
void aws_client_set_backoff_base_ms(struct aws_client *c, long ms)
{
    c->backoff_base_ms = ms;
}

/* aws_endpoint_resolve - base URL, signing name and signing region of svc */
int aws_endpoint_resolve(enum aws_service svc, const char *region, char *url, size_t url_len,
                         const char **signing_name, const char **signing_region)
{
    char var[64];
    const char *base;
    size_t n;

    if ((unsigned)svc >= sizeof(aws_services) / sizeof(aws_services[0]))
        return -1;
    snprintf(var, sizeof(var), "CUTOVER_AWS_ENDPOINT_URL_%s", aws_services[svc].suffix);
    base = getenv(var);
    if (!base || !*base)
        base = config_get("CUTOVER_AWS_ENDPOINT_URL");
    *signing_name = aws_services[svc].name;
    *signing_region = aws_services[svc].global ? "us-east-1" : region;
    if (base && *base)
        n = (size_t)snprintf(url, url_len, "%s", base);
    else if (aws_services[svc].global)
        n = (size_t)snprintf(url, url_len, "https://%s.amazonaws.com", aws_services[svc].name);
    else
        n = (size_t)snprintf(url, url_len, "https://%s.%s.amazonaws.com%s", aws_services[svc].name,
                             region, strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
    if (n >= url_len)
        return -1;
    while (n > 0 && url[n - 1] == '/')
        url[--n] = '\0';
    return 0;
}

/* aws_http_copy_trimmed - src[0..len) without outer white space into out */
static void aws_http_copy_trimmed(char *out, size_t out_len, const char *src, size_t len)
{
    while (len > 0 && isspace((unsigned char)*src))
        src++, len--;
    while (len > 0 && isspace((unsigned char)src[len - 1]))
        len--;
    snprintf(out, out_len, "%.*s", (int)len, src);
}

/* aws_http_header_cb - keep the request id and error type response headers */
static size_t aws_http_header_cb(char *line, size_t size, size_t n, void *arg)
{
    struct aws_http_meta *m = arg;
    size_t len = size * n;
    static const struct { const char *name; size_t off; } keep[] = {
        { "x-amzn-requestid:", offsetof(struct aws_http_meta, request_id) },
        { "x-amz-request-id:", offsetof(struct aws_http_meta, request_id) },
        { "x-amzn-errortype:", offsetof(struct aws_http_meta, error_type) },
    };

    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        size_t nl = strlen(keep[i].name);
        if (len > nl && strncasecmp(line, keep[i].name, nl) == 0)
            aws_http_copy_trimmed((char *)m + keep[i].off, 128, line + nl, len - nl);
    }
    return len;
}

/* aws_http_write_cb - collect the body; refuse past the cap */
static size_t aws_http_write_cb(char *data, size_t size, size_t n, void *arg)
{
    return buf_append(arg, data, size * n) == 0 ? size * n : 0;
}

/* aws_http_target - the Host header and the full URL and path of a call */
static int aws_http_target(const char *base, const struct aws_http_call *call, char *host,
                           size_t host_len, char **url, char **path)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *h = NULL, *port = NULL, *prefix = NULL;
    int result = -1;

    if (!u || curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &prefix, 0) != CURLUE_OK)
        goto out;
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    snprintf(host, host_len, "%s%s%s", h, port ? ":" : "", port ? port : "");
    size_t pl = strlen(prefix);
    while (pl > 0 && prefix[pl - 1] == '/')
        pl--;
    if (asprintf(path, "%.*s%s", (int)pl, prefix, call->path && *call->path ? call->path : "/") < 0) {
        *path = NULL;
        goto out;
    }
    if (asprintf(url, "%s://%s%s%s%s", scheme, host, *path, call->query && *call->query ? "?" : "",
                 call->query ? call->query : "") < 0) {
        *url = NULL;
        goto out;
    }
    result = 0;
out:
    curl_free(scheme), curl_free(h), curl_free(port), curl_free(prefix);
    curl_url_cleanup(u);
    return result;
}

/* aws_http_append - add "name: value" to a curl list (the temporary copy wiped) */
static int aws_http_append(struct curl_slist **list, const char *name, const char *value)
{
    char *line = NULL;
    struct curl_slist *l;

    if (asprintf(&line, "%s: %s", name, value) < 0)
        return -1;
    l = curl_slist_append(*list, line);
    OPENSSL_cleanse(line, strlen(line));
    free(line);
    if (!l)
        return -1;
    *list = l;
    return 0;
}

/* aws_http_list_free - wipe (the token header is a secret) and free a curl list */
static void aws_http_list_free(struct curl_slist *list)
{
    for (struct curl_slist *s = list; s; s = s->next)
        OPENSSL_cleanse(s->data, strlen(s->data));
    curl_slist_free_all(list);
}

/* aws_http_sign - sign the call; the headers to send as a curl list, NULL on error */
static struct curl_slist *aws_http_sign(struct aws_client *c, const struct aws_http_call *call,
                                        const char *host, const char *path, const char *sname,
                                        const char *sregion, char *err, size_t err_len)
{
    struct sigv4_header hdrs[AWS_HTTP_MAX_HEADERS + 1];
    const struct aws_credentials *creds;
    struct sigv4_credentials view;
    struct sigv4_result res;
    struct curl_slist *list = NULL;
    char date[17];
    int bad = 0;

    if (call->header_count > AWS_HTTP_MAX_HEADERS) {
        snprintf(err, err_len, "aws: more than %d headers", AWS_HTTP_MAX_HEADERS);
        return NULL;
    }
    memcpy(hdrs, call->headers, call->header_count * sizeof(*hdrs));
    hdrs[call->header_count] = (struct sigv4_header){ "Host", host };
    if (aws_credentials_cache_get(c->creds, (long long)time(NULL), &creds, err, err_len) != 0)
        return NULL;
    aws_credentials_view(creds, &view);
    sigv4_format_date((long long)time(NULL), date);
    struct sigv4_request req = {
        .method = call->method, .path = path, .query = call->query, .headers = hdrs,
        .header_count = call->header_count + 1, .body = call->body, .body_len = call->body_len,
        .region = sregion, .service = sname, .amz_date = date,
    };
    if (sigv4_sign(&req, &view, &res, err, err_len) != 0)
        return NULL;
    for (size_t i = 0; i <= call->header_count; i++)
        bad |= aws_http_append(&list, hdrs[i].name, hdrs[i].value);
    for (size_t i = 0; i < res.add_count; i++)
        bad |= aws_http_append(&list, res.add[i].name, res.add[i].value);
    struct curl_slist *l = curl_slist_append(list, "Expect:");
    list = l ? l : list;
    sigv4_result_free(&res);
    if (bad || !l) {
        snprintf(err, err_len, "aws: out of memory");
        aws_http_list_free(list);
        return NULL;
    }
    return list;
}

/* aws_http_perform - one HTTP exchange within budget_ms */
static CURLcode aws_http_perform(struct aws_client *c, const struct aws_http_call *call,
                                 const char *url, struct curl_slist *list, long budget_ms,
                                 struct aws_response *resp, struct aws_http_meta *meta)
{
    CURL *h = c->curl;
    CURLcode rc;

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cutover");
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, budget_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, budget_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, aws_http_write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, aws_http_header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, meta);
    if (strcmp(call->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(call->method, "GET") == 0 && call->body_len == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call->method);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, call->body ? call->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
    }
    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    return rc;
}

/* aws_http_set_error - an error that did not come from AWS */
static void aws_http_set_error(struct aws_error *e, const char *code, const char *message)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->code, sizeof(e->code), "%s", code);
    snprintf(e->message, sizeof(e->message), "%s", message);
}

/* aws_http_transport_error - a libcurl failure as an aws_error */
static void aws_http_transport_error(struct aws_error *e, CURLcode rc)
{
    const char *code = "RequestError";

    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: code = "Timeout"; break;
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT: case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR: code = "ConnectionError"; break;
    case CURLE_WRITE_ERROR: code = "ResponseTooLarge"; break;
    default: break;
    }
    aws_http_set_error(e, code, curl_easy_strerror(rc));
}

/* aws_http_attempt - one signed try; 0 on a 2xx answer, -1 with resp->error */
static int aws_http_attempt(struct aws_client *c, const struct aws_http_call *call,
                            long budget_ms, struct aws_response *resp, char *err, size_t err_len)
{
    char base[1024], host[512];
    const char *sname, *sregion;
    char *url = NULL, *path = NULL;
    struct curl_slist *list = NULL;
    struct aws_http_meta meta = { "", "" };
    CURLcode rc;
    int result = -1;

    memset(&resp->error, 0, sizeof(resp->error));
    buf_reset(&resp->body);
    resp->status = 0;
    if (aws_endpoint_resolve(call->svc, c->region, base, sizeof(base), &sname, &sregion) != 0 ||
        aws_http_target(base, call, host, sizeof(host), &url, &path) != 0) {
        aws_http_set_error(&resp->error, "RequestError", "bad endpoint URL");
        goto out;
    }
    if (!(list = aws_http_sign(c, call, host, path, sname, sregion, err, err_len))) {
        aws_http_set_error(&resp->error, "CredentialsError", err);
        goto out;
    }
    if ((rc = aws_http_perform(c, call, url, list, budget_ms, resp, &meta)) != CURLE_OK)
        aws_http_transport_error(&resp->error, rc);
    else if (resp->status / 100 == 2)
        result = 0;
    else
        aws_error_parse(resp->status, resp->body.data, resp->body.len, meta.request_id,
                        meta.error_type, &resp->error);
out:
    aws_http_list_free(list);
    free(url);
    free(path);
    return result;
}

/* aws_http_backoff - wait before the next attempt; 0 when there is none */
static int aws_http_backoff(struct aws_client *c, struct aws_response *resp, long long deadline)
{
    long cap = c->backoff_base_ms;
    char what[800];

    if (!aws_error_retryable(&resp->error) || resp->attempts >= c->max_attempts)
        return 0;
    for (int i = 1; i < resp->attempts && cap < AWS_HTTP_MAX_BACKOFF_MS; i++)
        cap *= 2;
    if (cap > AWS_HTTP_MAX_BACKOFF_MS)
        cap = AWS_HTTP_MAX_BACKOFF_MS;
    long delay = (long)((double)rand_r(&c->seed) / RAND_MAX * (double)cap);
    if (clock_mono_ms() + delay >= deadline)
        return 0;
    aws_error_format(&resp->error, what, sizeof(what));
    log_warn("aws: %s (attempt %d of %d), retrying in %ld ms", what, resp->attempts,
             c->max_attempts, delay);
    clock_sleep_ms(delay);
    return 1;
}

/* aws_client_request - one signed call with retries, within the timeout */
int aws_client_request(struct aws_client *c, enum aws_service svc, const char *method,
                       const char *path, const char *query, const struct sigv4_header *headers,
                       size_t header_count, const void *body, size_t body_len,
                       struct aws_response *resp, char *err, size_t err_len)
{
    struct aws_http_call call = { svc, method, path, query, headers, header_count, body, body_len };
    long long deadline = clock_call_deadline_clip(clock_mono_ms() + c->timeout_ms);

    memset(resp, 0, sizeof(*resp));
    buf_init(&resp->body, AWS_HTTP_MAX_BODY);
    do {
        long long left = deadline - clock_mono_ms();
        resp->attempts++;
        if (aws_http_attempt(c, &call, left > 1 ? (long)left : 1L, resp, err, err_len) == 0)
            return 0;
    } while (aws_http_backoff(c, resp, deadline));
    aws_error_format(&resp->error, err, err_len);
    return -1;
}

/* aws_http_put_param - "&name=value", both encoded */
static int aws_http_put_param(struct buf *b, const char *name, const char *value, int first)
{
    if ((!first && buf_putc(b, '&') != 0) || sigv4_uri_encode(b, name, strlen(name), 0) != 0 ||
        buf_putc(b, '=') != 0)
        return -1;
    return sigv4_uri_encode(b, value ? value : "", value ? strlen(value) : 0, 0);
}

/* aws_query_encode - "Action=...&Version=..." and the parameters, in order, encoded */
int aws_query_encode(struct buf *body, const char *action, const char *version,
                     const struct aws_param *params, size_t param_count)
{
    int bad = aws_http_put_param(body, "Action", action, 1) |
              aws_http_put_param(body, "Version", version, 0);

    for (size_t i = 0; i < param_count; i++)
        bad |= aws_http_put_param(body, params[i].name, params[i].value, 0);
    return bad ? -1 : 0;
}

/* aws_client_query - Query API: a form-encoded POST / */
int aws_client_query(struct aws_client *c, enum aws_service svc, const char *action,
                     const char *version, const struct aws_param *params, size_t param_count,
                     struct aws_response *resp, char *err, size_t err_len)
{
    static const struct sigv4_header hdrs[] = {
        { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
    };
    struct buf body;
    int result;

    buf_init(&body, AWS_HTTP_MAX_QUERY_BODY);
    if (aws_query_encode(&body, action, version, params, param_count) != 0) {
        memset(resp, 0, sizeof(*resp));
        buf_init(&resp->body, AWS_HTTP_MAX_BODY);
        aws_http_set_error(&resp->error, "RequestError", "request over the size cap");
        snprintf(err, err_len, "aws: %s: request over %u bytes", action, AWS_HTTP_MAX_QUERY_BODY);
        buf_free(&body);
        return -1;
    }
    result = aws_client_request(c, svc, "POST", "/", NULL, hdrs, 1, body.data, body.len, resp,
                                err, err_len);
    buf_free(&body);
    return result;
}

/* aws_client_json - JSON 1.1 API: POST / with X-Amz-Target */
int aws_client_json(struct aws_client *c, enum aws_service svc, const char *target,
                    const char *json, struct aws_response *resp, char *err, size_t err_len)
{
    const struct sigv4_header hdrs[] = {
        { "Content-Type", "application/x-amz-json-1.1" },
        { "X-Amz-Target", target },
    };

    return aws_client_request(c, svc, "POST", "/", NULL, hdrs, 2, json ? json : "{}",
                              json ? strlen(json) : 2, resp, err, err_len);
}

/* aws_response_free - release the body */
void aws_response_free(struct aws_response *resp)
{
    buf_free(&resp->body);
}

/* aws_error_parse_xml - <Error><Code>, <Message>, and <RequestId> anywhere */
static void aws_error_parse_xml(const char *body, size_t len, struct aws_error *e)
{
    char err[128];
    struct aws_xml *x = aws_xml_parse(body, len, err, sizeof(err));

    if (!x)
        return;
    if (aws_xml_text(x, NULL, "//Error/Code", e->code, sizeof(e->code)) != 0)
        e->code[0] = '\0';
    if (aws_xml_text(x, NULL, "//Error/Message", e->message, sizeof(e->message)) != 0)
        e->message[0] = '\0';
    if (aws_xml_text(x, NULL, "//RequestId", e->request_id, sizeof(e->request_id)) != 0 &&
        aws_xml_text(x, NULL, "//RequestID", e->request_id, sizeof(e->request_id)) != 0)
        e->request_id[0] = '\0';
    aws_xml_free(x);
}

/* aws_error_set_code - "ns#Code:uri" to "Code" */
static void aws_error_set_code(struct aws_error *e, const char *type)
{
    const char *hash = strrchr(type, '#');

    if (hash)
        type = hash + 1;
    snprintf(e->code, sizeof(e->code), "%.*s", (int)strcspn(type, ":"), type);
}

/* aws_error_parse_json - {"__type": "ns#Code", "message": "..."} */
static void aws_error_parse_json(const char *body, size_t len, struct aws_error *e)
{
    static const char *const code_names[] = { "__type", "code", "Code" };
    static const char *const message_names[] = { "message", "Message", "errorMessage" };
    cJSON *j = cJSON_ParseWithLength(body, len);

    for (size_t i = 0; j && i < 3; i++) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, code_names[i]);
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, message_names[i]);
        if (cJSON_IsString(code) && !e->code[0])
            aws_error_set_code(e, code->valuestring);
        if (cJSON_IsString(msg) && !e->message[0])
            snprintf(e->message, sizeof(e->message), "%s", msg->valuestring);
    }
    cJSON_Delete(j);
}

/* aws_error_parse - fill e from an error response */
void aws_error_parse(long status, const char *body, size_t len, const char *request_id_header,
                     const char *error_type_header, struct aws_error *e)
{
    size_t skip = 0;

    memset(e, 0, sizeof(*e));
    e->http_status = status;
    while (body && skip < len && isspace((unsigned char)body[skip]))
        skip++;
    if (body && skip < len && body[skip] == '<')
        aws_error_parse_xml(body, len, e);
    else if (body && skip < len && body[skip] == '{')
        aws_error_parse_json(body, len, e);
    if (!e->code[0] && error_type_header && *error_type_header)
        aws_error_set_code(e, error_type_header);
    if (!e->request_id[0] && request_id_header)
        snprintf(e->request_id, sizeof(e->request_id), "%s", request_id_header);
    if (!e->code[0])
        snprintf(e->code, sizeof(e->code), "HTTP %ld", status);
}

/* aws_error_retryable - throttling, transient codes and statuses, connection errors */
int aws_error_retryable(const struct aws_error *e)
{
    long s = e->http_status;

    for (size_t i = 0; i < sizeof(aws_retry_codes) / sizeof(aws_retry_codes[0]); i++)
        if (strcmp(e->code, aws_retry_codes[i]) == 0)
            return 1;
    return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

/* aws_error_format - "Code: Message (request id X)" */
void aws_error_format(const struct aws_error *e, char *out, size_t out_len)
{
    char tail[200] = "";

    if (e->request_id[0])
        snprintf(tail, sizeof(tail), " (request id %s)", e->request_id);
    else if (e->http_status)
        snprintf(tail, sizeof(tail), " (HTTP %ld)", e->http_status);
    snprintf(out, out_len, "%s%s%s%s", e->code, e->message[0] ? ": " : "", e->message, tail);
}
