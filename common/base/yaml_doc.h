/*
 * yaml_doc - what the readers of YAML files share (appspec.yml,
 *            migrations.yml): loading one document, errors with a line.
 *
 * SYNOPSIS
 *	yaml_document_t doc;
 *	if (yaml_doc_load(&doc, path, text, len, err, sizeof(err)) != 0)
 *		return -1;			(err: "path line L column C: problem")
 *	...walk doc; on a problem:
 *	return yaml_doc_verr(err, sizeof(err), path, node, fmt, ap);
 *	yaml_document_delete(&doc);
 *
 * DESCRIPTION
 *	libyaml's document loader does not expand aliases, so a walk of
 *	fixed depth over what it loads stays bounded. Lines and columns
 *	are 1-based.
 */
#ifndef CUTOVER_YAML_DOC_H
#define CUTOVER_YAML_DOC_H

#include <stdarg.h>
#include <stddef.h>
#include <yaml.h>

int yaml_doc_load(yaml_document_t *doc, const char *path, const unsigned char *text, size_t len,
                  char *err, size_t err_len);
/* yaml_doc_verr - "path line N: message" into err (no line when node is NULL); returns -1 */
int yaml_doc_verr(char *err, size_t err_len, const char *path, const yaml_node_t *node,
                  const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

#endif
