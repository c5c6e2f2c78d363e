/*
 * aws_xml - read AWS XML responses (Query API, S3, CloudFront) by local
 *           element names, namespaces ignored.
 *
 * SYNOPSIS
 *	struct aws_xml *x = aws_xml_parse(body, len, err, sizeof(err));
 *	const struct aws_xml_node *members[64];
 *	int n = aws_xml_select(x, NULL, "//Listeners/member", members, 64);
 *	for (int i = 0; i < n; i++)
 *		aws_xml_text(x, members[i], "ListenerArn", arn, sizeof(arn));
 *	aws_xml_text(x, NULL, "//Error/Code", code, sizeof(code));
 *	aws_xml_free(x);
 *
 * DESCRIPTION
 *	A path is element local names separated by '/', relative to ctx (the
 *	document when ctx is NULL); a leading "//" finds the first name at any
 *	depth. Names are letters, digits, '_', '-' and '.'. The parser
 *	neither loads external entities nor touches the network.
 *	aws_xml_text() copies the text of the first match (-1 when there is
 *	none or it does not fit); aws_xml_select() fills up to max handles
 *	and returns how many matched in all (-1 on a bad path). Handles live
 *	as long as the document.
 *
 *	libxml2 does the parsing, loaded on the first parse (xml_lib.h);
 *	when it cannot be loaded, aws_xml_parse() fails and err says why.
 */
#ifndef CUTOVER_AWS_XML_H
#define CUTOVER_AWS_XML_H

#include <stddef.h>

struct aws_xml;
struct aws_xml_node;

struct aws_xml *aws_xml_parse(const char *data, size_t len, char *err, size_t err_len);
void aws_xml_free(struct aws_xml *x);
int aws_xml_text(struct aws_xml *x, const struct aws_xml_node *ctx, const char *path, char *out,
                 size_t out_len);
int aws_xml_select(struct aws_xml *x, const struct aws_xml_node *ctx, const char *path,
                   const struct aws_xml_node **out, size_t max);

#endif
