/*
 * aws_sign_cli - "cutover aws sign" (see aws_sign_cli.h).
 *
 * DESCRIPTION
 *	The request is parsed in place: names, values and the path are
 *	copied out, the request line and header lines are remembered as
 *	spans of the input so that the signed request repeats them as given.
 */
#include "cli/aws_sign_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "provider/aws/aws_credentials.h"

#define AWS_SIGN_CLI_MAX_INPUT (16u << 20)

/* One header of the raw request. */
struct aws_sign_cli_header {
    char *name;
    char *value;     /* continuation lines joined with a space */
    const char *raw; /* the header's lines as given */
    size_t raw_len;
};

/* The raw request, parsed. */
struct aws_sign_cli_request {
    char *method;
    char *path;
    char *query;
    const char *line; /* the request line as given */
    size_t line_len;
    struct aws_sign_cli_header *headers;
    size_t header_count;
    const char *body;
    size_t body_len;
};

/* aws_sign_cli_next_line - the line at p: its length without the end of line */
static const char *aws_sign_cli_next_line(const char *p, const char *end, size_t *len)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *stop = nl ? nl : end;

    *len = (size_t)(stop - p);
    if (*len > 0 && p[*len - 1] == '\r')
        (*len)--;
    return nl ? nl + 1 : end;
}

/* aws_sign_cli_parse_line - "METHOD TARGET HTTP/x" into method, path, query */
static int aws_sign_cli_parse_line(struct aws_sign_cli_request *req, char *err, size_t err_len)
{
    const char *l = req->line, *sp1 = memchr(l, ' ', req->line_len), *sp2 = NULL;

    for (const char *p = l + req->line_len; p > l; p--)
        if (p[-1] == ' ') {
            sp2 = p - 1;
            break;
        }
    if (!sp1 || sp2 == sp1 || sp1 == l || sp1[1] != '/' || l + req->line_len - sp2 - 1 < 5 ||
        strncmp(sp2 + 1, "HTTP/", 5) != 0) {
        snprintf(err, err_len, "bad request line (want METHOD /PATH[?QUERY] HTTP/1.1)");
        return -1;
    }
    const char *target = sp1 + 1, *q = memchr(target, '?', (size_t)(sp2 - target));
    req->method = strndup(l, (size_t)(sp1 - l));
    req->path = strndup(target, (size_t)((q ? q : sp2) - target));
    req->query = q ? strndup(q + 1, (size_t)(sp2 - q - 1)) : strdup("");
    if (!req->method || !req->path || !req->query) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* aws_sign_cli_continue - add a continuation line to the last header */
static int aws_sign_cli_continue(struct aws_sign_cli_request *req, const char *line, size_t len)
{
    struct aws_sign_cli_header *h = &req->headers[req->header_count - 1];
    size_t old = strlen(h->value);
    char *v = realloc(h->value, old + len + 2);

    if (!v)
        return -1;
    while (len > 0 && (*line == ' ' || *line == '\t'))
        line++, len--;
    v[old] = ' ';
    memcpy(v + old + 1, line, len);
    v[old + 1 + len] = '\0';
    h->value = v;
    h->raw_len = (size_t)(line + len - h->raw);
    return 0;
}

/* aws_sign_cli_add_header - a "Name:value" line */
static int aws_sign_cli_add_header(struct aws_sign_cli_request *req, const char *line,
                                   size_t len, char *err, size_t err_len)
{
    const char *colon = memchr(line, ':', len);

    if (!colon || colon == line || memchr(line, ' ', (size_t)(colon - line)) ||
        memchr(line, '\t', (size_t)(colon - line))) {
        snprintf(err, err_len, "bad header line: %.*s", (int)(len > 80 ? 80 : len), line);
        return -1;
    }
    if (req->header_count == SIGV4_MAX_HEADERS) {
        snprintf(err, err_len, "more than %d headers", SIGV4_MAX_HEADERS);
        return -1;
    }
    struct aws_sign_cli_header *h = &req->headers[req->header_count++];
    h->name = strndup(line, (size_t)(colon - line));
    h->value = strndup(colon + 1, (size_t)(line + len - colon - 1));
    h->raw = line;
    h->raw_len = len;
    if (!h->name || !h->value) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* aws_sign_cli_parse - request line, headers, blank line, body */
static int aws_sign_cli_parse(const char *raw, size_t raw_len, struct aws_sign_cli_request *req,
                              char *err, size_t err_len)
{
    const char *end = raw + raw_len, *p;
    size_t len;

    req->headers = calloc(SIGV4_MAX_HEADERS, sizeof(*req->headers));
    if (!req->headers) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    req->line = raw;
    p = aws_sign_cli_next_line(raw, end, &req->line_len);
    if (aws_sign_cli_parse_line(req, err, err_len) != 0)
        return -1;
    while (p < end) {
        const char *line = p;
        p = aws_sign_cli_next_line(p, end, &len);
        if (len == 0)
            break;
        if (*line == ' ' || *line == '\t') {
            if (req->header_count == 0 || aws_sign_cli_continue(req, line, len) != 0) {
                snprintf(err, err_len, "continuation line without a header");
                return -1;
            }
        } else if (aws_sign_cli_add_header(req, line, len, err, err_len) != 0) {
            return -1;
        }
    }
    req->body = p;
    req->body_len = (size_t)(end - p);
    return 0;
}

/* aws_sign_cli_request_free - release a parsed request */
static void aws_sign_cli_request_free(struct aws_sign_cli_request *req)
{
    for (size_t i = 0; req->headers && i < req->header_count; i++) {
        free(req->headers[i].name);
        free(req->headers[i].value);
    }
    free(req->headers);
    free(req->method);
    free(req->path);
    free(req->query);
}

/* aws_sign_cli_print_headers - the input's headers, with the signer's replacing theirs */
static void aws_sign_cli_print_headers(const struct aws_sign_cli_request *req,
                                       const struct sigv4_result *res, FILE *out)
{
    int done[SIGV4_MAX_ADD] = { 0 };

    for (size_t i = 0; i < req->header_count; i++) {
        const struct aws_sign_cli_header *h = &req->headers[i];
        size_t a = 0;
        while (a < res->add_count && strcasecmp(h->name, res->add[a].name) != 0)
            a++;
        if (strcasecmp(h->name, "authorization") == 0 || (a < res->add_count && done[a]))
            continue;
        if (a < res->add_count) {
            fprintf(out, "%s:%s\n", h->name, res->add[a].value);
            done[a] = 1;
        } else {
            fprintf(out, "%.*s\n", (int)h->raw_len, h->raw);
        }
    }
    for (size_t a = 0; a < res->add_count; a++) {
        if (strcmp(res->add[a].name, "Authorization") == 0)
            fprintf(out, "Authorization: %s\n", res->add[a].value);
        else if (!done[a])
            fprintf(out, "%s:%s\n", res->add[a].name, res->add[a].value);
    }
}

/* aws_sign_cli_print - the three parts */
static void aws_sign_cli_print(const struct aws_sign_cli_request *req,
                               const struct sigv4_result *res, FILE *out)
{
    fprintf(out, "== canonical request ==\n%s\n\n", res->canonical_request);
    fprintf(out, "== string to sign ==\n%s\n\n", res->string_to_sign);
    fprintf(out, "== signed request ==\n%.*s\n", (int)req->line_len, req->line);
    aws_sign_cli_print_headers(req, res, out);
    if (req->body_len > 0) {
        fputc('\n', out);
        fwrite(req->body, 1, req->body_len, out);
    }
}

/* aws_sign_cli_run - parse, sign and print */
int aws_sign_cli_run(const char *raw, size_t raw_len, const char *region, const char *service,
                     const char *amz_date, const struct sigv4_credentials *creds, FILE *out,
                     char *err, size_t err_len)
{
    struct aws_sign_cli_request req = { 0 };
    struct sigv4_header *hdrs = NULL;
    struct sigv4_result res;
    int result = -1;

    if (aws_sign_cli_parse(raw, raw_len, &req, err, err_len) != 0)
        goto out;
    hdrs = calloc(req.header_count + 1, sizeof(*hdrs));
    if (!hdrs) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < req.header_count; i++)
        hdrs[i] = (struct sigv4_header){ req.headers[i].name, req.headers[i].value };
    struct sigv4_request sreq = {
        .method = req.method, .path = req.path, .query = req.query, .headers = hdrs,
        .header_count = req.header_count, .body = req.body, .body_len = req.body_len,
        .region = region, .service = service, .amz_date = amz_date,
    };
    if (sigv4_sign(&sreq, creds, &res, err, err_len) != 0)
        goto out;
    aws_sign_cli_print(&req, &res, out);
    sigv4_result_free(&res);
    result = 0;
out:
    free(hdrs);
    aws_sign_cli_request_free(&req);
    return result;
}

/* aws_sign_cli_usage - the --help text */
static void aws_sign_cli_usage(FILE *out)
{
    fputs("usage: cutover aws sign --service S [--region R] [--time YYYYMMDDTHHMMSSZ] < request\n"
          "\n"
          "Sign a raw HTTP request (request line, headers, blank line, body) with AWS\n"
          "Signature Version 4 and print the canonical request, the string to sign and\n"
          "the signed request. Credentials come from the environment, the shared\n"
          "credentials and config files, container credentials or EC2 instance\n"
          "metadata; the region from --region, AWS_REGION, AWS_DEFAULT_REGION or the\n"
          "profile; the time from --time or the clock.\n"
          "Exit status: 0 signed, 1 no credentials, 2 bad usage or bad input.\n",
          out);
}

/* aws_sign_cli_read - all of stdin, up to the cap */
static int aws_sign_cli_read(FILE *in, struct buf *b)
{
    char chunk[8192];
    size_t n;

    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
        if (buf_append(b, chunk, n) != 0)
            return -1;
    return ferror(in) ? -1 : 0;
}

/* aws_sign_cli_options - parse argv; 0 go on, 1 help shown, -1 bad usage */
static int aws_sign_cli_options(int argc, char **argv, const char **region, const char **service,
                                const char **amz_date)
{
    static const struct option opts[] = {
        { "region", required_argument, NULL, 'r' }, { "service", required_argument, NULL, 's' },
        { "time", required_argument, NULL, 't' },   { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+r:s:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': *region = optarg; break;
        case 's': *service = optarg; break;
        case 't': *amz_date = optarg; break;
        case 'h': aws_sign_cli_usage(stdout); return 1;
        default: return -1;
        }
    }
    if (optind != argc || !*service) {
        fprintf(stderr, "cutover aws sign: %s\n", optind != argc ? "unexpected argument" : "--service is required");
        return -1;
    }
    return 0;
}

/* aws_sign_cli_sign_stdin - read, sign with creds, print; the exit status */
static int aws_sign_cli_sign_stdin(const char *region, const char *service, const char *amz_date,
                                   const struct aws_credentials *creds)
{
    struct buf in;
    struct sigv4_credentials view;
    char err[512];
    int status = 2;

    buf_init(&in, AWS_SIGN_CLI_MAX_INPUT);
    if (aws_sign_cli_read(stdin, &in) != 0) {
        fprintf(stderr, "cutover aws sign: cannot read the request (over %u bytes?)\n",
                AWS_SIGN_CLI_MAX_INPUT);
        goto out;
    }
    aws_credentials_view(creds, &view);
    if (aws_sign_cli_run(in.data ? in.data : "", in.len, region, service, amz_date, &view, stdout,
                         err, sizeof(err)) != 0) {
        fprintf(stderr, "cutover aws sign: %s\n", err);
        goto out;
    }
    status = fflush(stdout) == 0 ? 0 : 1;
out:
    buf_free(&in);
    return status;
}

/* aws_sign_cli_main - "cutover aws sign ..." (argv[0] == "sign") */
int aws_sign_cli_main(int argc, char **argv)
{
    const char *region = NULL, *service = "", *amz_date = NULL;
    char region_buf[64], date_buf[17], err[512];
    struct aws_credentials creds = { 0 };
    int status;

    if ((status = aws_sign_cli_options(argc, argv, &region, &service, &amz_date)) != 0)
        return status > 0 ? 0 : 2;
    if (!region && aws_region_resolve(region_buf, sizeof(region_buf)) == 0)
        region = region_buf;
    if (!region) {
        fprintf(stderr, "cutover aws sign: no region (--region or AWS_REGION)\n");
        return 2;
    }
    if (!amz_date) {
        sigv4_format_date((long long)time(NULL), date_buf);
        amz_date = date_buf;
    }
    if (aws_credentials_load(&creds, err, sizeof(err)) != 0) {
        fprintf(stderr, "cutover aws sign: %s\n", err);
        return 1;
    }
    status = aws_sign_cli_sign_stdin(region, service, amz_date, &creds);
    aws_credentials_clear(&creds);
    return status;
}
