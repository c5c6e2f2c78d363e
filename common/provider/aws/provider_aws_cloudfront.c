/*
 * provider_aws_cloudfront - the aws provider's cache flush: a CloudFront
 *                           invalidation of the environment's paths before
 *                           traffic moves to the new color.
 *
 * SYNOPSIS
 *	provider_aws_cache_flush_start(p, "cutover-<deployment>-<epoch>", id, sizeof(id), err, len);
 *	provider_aws_cache_flush_poll(p, id, &done, err, len);	(on a timer until done)
 *
 * DESCRIPTION
 *	aws.cloudfront {distribution_id, paths} names the distribution in
 *	front of the load balancer and the paths to invalidate (default:
 *	the wildcard path, everything). Without it both calls do nothing:
 *	start leaves the handle empty.
 *
 *	start() is CreateInvalidation (POST /2020-05-31/distribution/<id>/
 *	invalidation, an InvalidationBatch document built with libxml2, which
 *	escapes the paths; loaded on first use, xml_lib.h). The reference is the batch's CallerReference:
 *	CloudFront answers a second request with the same reference and
 *	paths with the first invalidation, so a retry after a crash starts
 *	nothing new. poll() is GetInvalidation; done when its Status is
 *	Completed.
 */
#include "provider/aws/provider_aws_internal.h"

#include "provider/aws/xml_lib.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CLOUDFRONT_API "/2020-05-31"
#define CLOUDFRONT_NS "http://cloudfront.amazonaws.com/doc/2020-05-31/"

/* cloudfront_batch - the InvalidationBatch document; xml->free() it; NULL when out of memory */
static xmlChar *cloudfront_batch(const struct xml_lib *xml, const cJSON *paths,
                                 const char *reference, int *len)
{
    xmlDocPtr doc = xml->new_doc(BAD_CAST "1.0");
    xmlNodePtr batch, list, items;
    const cJSON *path;
    char quantity[16];
    xmlChar *out = NULL;

    if (doc == NULL)
        return NULL;
    batch = xml->new_doc_node(doc, NULL, BAD_CAST "InvalidationBatch", NULL);
    xml->doc_set_root_element(doc, batch);
    xml->set_ns(batch, xml->new_ns(batch, BAD_CAST CLOUDFRONT_NS, NULL));
    list = xml->new_child(batch, NULL, BAD_CAST "Paths", NULL);
    snprintf(quantity, sizeof(quantity), "%d", cJSON_GetArraySize(paths));
    xml->new_text_child(list, NULL, BAD_CAST "Quantity", BAD_CAST quantity);
    items = xml->new_child(list, NULL, BAD_CAST "Items", NULL);
    cJSON_ArrayForEach(path, paths)
        xml->new_text_child(items, NULL, BAD_CAST "Path", BAD_CAST path->valuestring);
    xml->new_text_child(batch, NULL, BAD_CAST "CallerReference", BAD_CAST reference);
    xml->doc_dump_memory_enc(doc, &out, len, "UTF-8");
    xml->free_doc(doc);
    return out;
}

/* cloudfront_call - one CloudFront request; the answer's Id and Status */
static int cloudfront_call(struct aws_provider *p, const char *action, const char *method,
                           const char *path, const xmlChar *body, int body_len, char *id,
                           size_t id_len, char *status, size_t status_len, char *err,
                           size_t err_len)
{
    static const struct sigv4_header hdrs[] = { { "Content-Type", "application/xml" } };
    struct aws_response r = { 0 };
    struct aws_xml *x = NULL;
    char msg[768];
    int rc = -1;

    if (aws_client_request(p->client, AWS_SERVICE_CLOUDFRONT, method, path, NULL, hdrs,
                           body ? 1 : 0, body, body ? (size_t)body_len : 0, &r, msg,
                           sizeof(msg)) != 0) {
        snprintf(err, err_len, "%s: %s", action, msg);
        goto out;
    }
    if ((x = aws_xml_parse(r.body.data, r.body.len, msg, sizeof(msg))) == NULL) {
        snprintf(err, err_len, "%s: unreadable answer: %s", action, msg);
        goto out;
    }
    if (aws_xml_text(x, NULL, "//Invalidation/Id", id, id_len) != 0 ||
        aws_xml_text(x, NULL, "//Invalidation/Status", status, status_len) != 0) {
        snprintf(err, err_len, "%s: the answer has no Invalidation Id and Status", action);
        goto out;
    }
    rc = 0;
out:
    aws_xml_free(x);
    aws_response_free(&r);
    return rc;
}

/* provider_aws_cache_flush_start - CreateInvalidation; handle "" when none is configured */
int provider_aws_cache_flush_start(void *state, const char *reference, char *handle,
                                   size_t handle_len, char *err, size_t err_len)
{
    struct aws_provider *p = state;
    char path[128], status[32], why[256];
    const struct xml_lib *xml;
    xmlChar *body;
    int body_len = 0, rc;

    handle[0] = '\0';
    if (p->cloudfront_distribution[0] == '\0')
        return 0;
    if ((xml = xml_lib(why, sizeof(why))) == NULL) {
        snprintf(err, err_len, "CreateInvalidation: %s", why);
        return -1;
    }
    if ((body = cloudfront_batch(xml, p->cloudfront_paths, reference, &body_len)) == NULL) {
        snprintf(err, err_len, "CreateInvalidation: out of memory");
        return -1;
    }
    snprintf(path, sizeof(path), CLOUDFRONT_API "/distribution/%s/invalidation",
             p->cloudfront_distribution);
    rc = cloudfront_call(p, "CreateInvalidation", "POST", path, body, body_len, handle,
                         handle_len, status, sizeof(status), err, err_len);
    xml->free(body);
    return rc;
}

/* provider_aws_cache_flush_poll - GetInvalidation; *done 1 once it is Completed */
int provider_aws_cache_flush_poll(void *state, const char *handle, int *done, char *err,
                                  size_t err_len)
{
    struct aws_provider *p = state;
    char path[256], id[128], status[32];

    *done = 0;
    if (snprintf(path, sizeof(path), CLOUDFRONT_API "/distribution/%s/invalidation/%s",
                 p->cloudfront_distribution, handle) >= (int)sizeof(path) ||
        strspn(handle, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(handle)) {
        snprintf(err, err_len, "GetInvalidation: not an invalidation id: \"%s\"", handle);
        return -1;
    }
    if (cloudfront_call(p, "GetInvalidation", "GET", path, NULL, 0, id, sizeof(id), status,
                        sizeof(status), err, err_len) != 0)
        return -1;
    *done = strcasecmp(status, "Completed") == 0;
    return 0;
}
