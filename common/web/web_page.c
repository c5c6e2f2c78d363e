/*
 * web_page - the status page: the files of assets/ embedded in the
 *            binary (web_assets.c), served with a Content-Security-Policy
 *            that allows nothing but this origin, so the page loads no
 *            external asset and runs no inline or injected script.
 */
#include "web/web_internal.h"

#include <event2/http.h>
#include <string.h>

#define WEB_CSP \
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';" \
    " img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* web_asset_find - the embedded file served at path ("/" is index.html), or NULL */
static const struct web_asset *web_asset_find(const char *path)
{
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (size_t i = 0; i < web_asset_count; i++) {
        if (strcmp(web_assets[i].path, path) == 0)
            return &web_assets[i];
    }
    return NULL;
}

/* web_page_cb - GET / and the page's files */
void web_page_cb(struct evhttp_request *req, const char *path, void *arg)
{
    const struct web_asset *a = web_asset_find(path);
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);

    (void)arg;
    if (a == NULL) {
        httpd_reply_error(req, 404, "no such path");
        return;
    }
    evhttp_add_header(headers, "Content-Security-Policy", WEB_CSP);
    evhttp_add_header(headers, "X-Frame-Options", "DENY");
    evhttp_add_header(headers, "Referrer-Policy", "no-referrer");
    httpd_reply(req, 200, a->content_type, a->data, a->len);
}
