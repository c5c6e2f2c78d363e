/*
 * prometheus - an instant query through Prometheus's HTTP API (see
 *              prometheus.h).
 */
#include "io/prometheus.h"

#include "base/buf.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* prometheus_body_cb - append to the capped body; a body over the cap stops the transfer */
static size_t prometheus_body_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    return buf_append(arg, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}

/* prometheus_sample - the number of a [time, "value"] pair */
static enum prometheus_result prometheus_sample(const cJSON *pair, double *value, char *err,
                                                size_t err_len)
{
    const cJSON *text = cJSON_GetArrayItem(pair, 1);
    char *end;

    if (!cJSON_IsString(text)) {
        snprintf(err, err_len, "a sample without a value");
        return PROMETHEUS_ERROR;
    }
    *value = strtod(text->valuestring, &end);
    if (end == text->valuestring || *end != '\0') {
        snprintf(err, err_len, "not a number: \"%.40s\"", text->valuestring);
        return PROMETHEUS_ERROR;
    }
    return isnan(*value) ? PROMETHEUS_NO_DATA : PROMETHEUS_VALUE;
}

/* prometheus_result_of - a scalar, or a vector of at most one series */
static enum prometheus_result prometheus_result_of(const cJSON *data, double *value, char *err,
                                                   size_t err_len)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(data, "resultType");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(data, "result");
    int n;

    if (cJSON_IsString(type) && strcmp(type->valuestring, "scalar") == 0)
        return prometheus_sample(result, value, err, err_len);
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "vector") != 0 || !cJSON_IsArray(result)) {
        snprintf(err, err_len, "the result is neither a scalar nor a vector");
        return PROMETHEUS_ERROR;
    }
    if ((n = cJSON_GetArraySize(result)) == 0)
        return PROMETHEUS_NO_DATA;
    if (n > 1) {
        snprintf(err, err_len, "%d series: a gate's query must give one number", n);
        return PROMETHEUS_ERROR;
    }
    return prometheus_sample(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(result, 0), "value"),
                             value, err, err_len);
}

/* prometheus_parse - judge an API answer */
enum prometheus_result prometheus_parse(const char *body, double *value, char *err,
                                        size_t err_len)
{
    cJSON *doc = cJSON_Parse(body);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(doc, "status");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(doc, "error");
    enum prometheus_result r = PROMETHEUS_ERROR;

    if (doc == NULL)
        snprintf(err, err_len, "the answer is not JSON");
    else if (!cJSON_IsString(status) || strcmp(status->valuestring, "success") != 0)
        snprintf(err, err_len, "query failed: %.200s",
                 cJSON_IsString(message) ? message->valuestring : "no error message");
    else
        r = prometheus_result_of(cJSON_GetObjectItemCaseSensitive(doc, "data"), value, err,
                                 err_len);
    cJSON_Delete(doc);
    return r;
}

/* prometheus_get - GET url into body; 0, or -1 with err */
static int prometheus_get(const char *url, struct buf *body, char *err, size_t err_len)
{
    CURL *curl = curl_easy_init();
    long status = 0;
    CURLcode rc;

    if (curl == NULL) {
        snprintf(err, err_len, "curl_easy_init failed");
        return -1;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, prometheus_body_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)PROMETHEUS_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "cutover-analysis");
    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK)
        snprintf(err, err_len, "%s: %s", url, curl_easy_strerror(rc));
    else if (status >= 500)
        snprintf(err, err_len, "HTTP %ld from prometheus", status);
    return rc == CURLE_OK && status < 500 ? 0 : -1;
}

/* prometheus_query - an instant query */
enum prometheus_result prometheus_query(const char *base_url, const char *query, double *value,
                                        char *err, size_t err_len)
{
    char *escaped = curl_easy_escape(NULL, query, 0);
    struct buf url, body;
    enum prometheus_result r = PROMETHEUS_ERROR;

    buf_init(&url, 16384);
    buf_init(&body, PROMETHEUS_BODY_MAX);
    if (escaped == NULL || buf_printf(&url, "%s/api/v1/query?query=%s", base_url, escaped) != 0)
        snprintf(err, err_len, "query too long");
    else if (prometheus_get(url.data, &body, err, err_len) == 0)
        r = prometheus_parse(body.data, value, err, err_len);
    curl_free(escaped);
    buf_free(&url);
    buf_free(&body);
    return r;
}
