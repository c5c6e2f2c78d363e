/*
 * aws_xml - AWS XML responses by local names (see aws_xml.h).
 *
 * DESCRIPTION
 *	A path becomes an XPath expression of local-name() steps, so that the
 *	namespaces AWS puts on every response do not matter.
 */
#include "provider/aws/aws_xml.h"

#include "provider/aws/xml_lib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AWS_XML_MAX_PATH 512

/* The parsed document. */
struct aws_xml {
    const struct xml_lib *lib;
    xmlDocPtr doc;
    xmlXPathContextPtr xpath;
};

/* aws_xml_parse - parse a response body; NULL with err when it is not XML */
struct aws_xml *aws_xml_parse(const char *data, size_t len, char *err, size_t err_len)
{
    const struct xml_lib *lib = xml_lib(err, err_len);
    struct aws_xml *x = lib ? calloc(1, sizeof(*x)) : NULL;

    if (lib == NULL)
        return NULL;
    if (!x || len > (size_t)0x7fffffff)
        goto out;
    x->lib = lib;
    x->doc = lib->read_memory(data, (int)len, NULL, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (x->doc && (x->xpath = lib->xpath_new_context(x->doc)))
        return x;
out:
    snprintf(err, err_len, "aws: response is not well-formed XML");
    aws_xml_free(x);
    return NULL;
}

/* aws_xml_free - release the document */
void aws_xml_free(struct aws_xml *x)
{
    if (!x)
        return;
    if (x->lib) {
        x->lib->xpath_free_context(x->xpath);
        x->lib->free_doc(x->doc);
    }
    free(x);
}

/* aws_xml_expr - a path as an XPath of local-name() steps; -1 on a bad name */
static int aws_xml_expr(const char *path, char *out, size_t out_len)
{
    int anywhere = strncmp(path, "//", 2) == 0, first = 1;
    size_t n = (size_t)snprintf(out, out_len, ".");

    for (path += anywhere ? 2 : 0; *path; first = 0) {
        size_t len = strcspn(path, "/");
        if (len == 0 || strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789_-.") < len)
            return -1;
        n += (size_t)snprintf(out + n, n < out_len ? out_len - n : 0, "%s*[local-name()='%.*s']",
                              first && anywhere ? "//" : "/", (int)len, path);
        if (n >= out_len)
            return -1;
        path += len + (path[len] == '/');
    }
    return 0;
}

/* aws_xml_eval - the node set of path under ctx (or the document); NULL on a bad path */
static xmlXPathObjectPtr aws_xml_eval(struct aws_xml *x, const struct aws_xml_node *ctx,
                                      const char *path)
{
    char expr[AWS_XML_MAX_PATH * 4];

    if (!x || aws_xml_expr(path, expr, sizeof(expr)) != 0)
        return NULL;
    x->xpath->node = ctx ? (xmlNodePtr)ctx : (xmlNodePtr)x->doc;
    return x->lib->xpath_eval_expression((const xmlChar *)expr, x->xpath);
}

/* aws_xml_select - the elements at path, up to max; how many matched */
int aws_xml_select(struct aws_xml *x, const struct aws_xml_node *ctx, const char *path,
                   const struct aws_xml_node **out, size_t max)
{
    xmlXPathObjectPtr r = aws_xml_eval(x, ctx, path);
    int n;

    if (!r)
        return -1;
    n = r->nodesetval ? r->nodesetval->nodeNr : 0;
    for (int i = 0; i < n && (size_t)i < max; i++)
        out[i] = (const struct aws_xml_node *)r->nodesetval->nodeTab[i];
    x->lib->xpath_free_object(r);
    return n;
}

/* aws_xml_text - the text of the first element at path */
int aws_xml_text(struct aws_xml *x, const struct aws_xml_node *ctx, const char *path, char *out,
                 size_t out_len)
{
    const struct aws_xml_node *node;
    xmlChar *text;
    int result = -1;

    if (aws_xml_select(x, ctx, path, &node, 1) < 1)
        return -1;
    text = x->lib->node_get_content((xmlNodePtr)node);
    if (text && strlen((const char *)text) < out_len) {
        memcpy(out, text, strlen((const char *)text) + 1);
        result = 0;
    }
    x->lib->free(text);
    return result;
}

