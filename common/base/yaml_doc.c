/*
 * yaml_doc - load one YAML document and report problems by line (see yaml_doc.h).
 */
#include "base/yaml_doc.h"

#include <stdio.h>

/* yaml_doc_load - parse text into doc; 0, or -1 with the line and column in err */
int yaml_doc_load(yaml_document_t *doc, const char *path, const unsigned char *text, size_t len,
                  char *err, size_t err_len)
{
    yaml_parser_t parser;
    int result = 0;

    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, err_len, "%s: out of memory", path);
        return -1;
    }
    yaml_parser_set_input_string(&parser, text, len);
    if (!yaml_parser_load(&parser, doc)) {
        snprintf(err, err_len, "%s line %lu column %lu: %s%s%s", path,
                 (unsigned long)parser.problem_mark.line + 1,
                 (unsigned long)parser.problem_mark.column + 1,
                 parser.problem != NULL ? parser.problem : "bad YAML",
                 parser.context != NULL ? " " : "",
                 parser.context != NULL ? parser.context : "");
        result = -1;
    }
    yaml_parser_delete(&parser);
    return result;
}

/* yaml_doc_verr - "path line N: message" into err (no line when node is NULL); returns -1 */
int yaml_doc_verr(char *err, size_t err_len, const char *path, const yaml_node_t *node,
                  const char *fmt, va_list ap)
{
    char msg[512];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (node != NULL)
        snprintf(err, err_len, "%s line %lu: %s", path, (unsigned long)node->start_mark.line + 1,
                 msg);
    else
        snprintf(err, err_len, "%s: %s", path, msg);
    return -1;
}
