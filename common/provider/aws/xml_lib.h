/*
 * xml_lib - libxml2, loaded the first time the aws provider reads or writes
 *           XML.
 *
 * SYNOPSIS
 *	const struct xml_lib *xml = xml_lib(err, sizeof(err));
 *	if (xml == NULL)
 *		return -1;			(err says why)
 *	xmlDocPtr doc = xml->read_memory(data, len, NULL, NULL, options);
 *	...
 *	xml->free_doc(doc);
 *
 * DESCRIPTION
 *	Only the aws provider speaks XML, but libxml2 brings ICU and
 *	libstdc++ with it: linked into every program, the three put about
 *	1.7 MB of resident pages into every worker, the ones that never meet
 *	an AWS environment too. So the programs are built against libxml2's
 *	headers only, and xml_lib() loads the library (libxml2.so.2, from
 *	Debian's libxml2) on its first call and hands out its functions.
 *	Each member has the type of the libxml2 function it is named after
 *	(read_memory is xmlReadMemory); free is the library's xmlFree.
 *
 *	The first call loads, once per process (pthread_once); the library
 *	stays until exit. NULL, with err, when it cannot be loaded or lacks
 *	one of the functions; every later call says the same.
 */
#ifndef CUTOVER_XML_LIB_H
#define CUTOVER_XML_LIB_H

#include <stddef.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

/* X(member, libxml2 function): every function cutover takes from libxml2 */
#define XML_LIB_FUNCTIONS(X)                     \
    X(read_memory, xmlReadMemory)                \
    X(free_doc, xmlFreeDoc)                      \
    X(node_get_content, xmlNodeGetContent)       \
    X(xpath_new_context, xmlXPathNewContext)     \
    X(xpath_free_context, xmlXPathFreeContext)   \
    X(xpath_eval_expression, xmlXPathEvalExpression) \
    X(xpath_free_object, xmlXPathFreeObject)     \
    X(new_doc, xmlNewDoc)                        \
    X(new_doc_node, xmlNewDocNode)               \
    X(doc_set_root_element, xmlDocSetRootElement) \
    X(new_ns, xmlNewNs)                          \
    X(set_ns, xmlSetNs)                          \
    X(new_child, xmlNewChild)                    \
    X(new_text_child, xmlNewTextChild)           \
    X(doc_dump_memory_enc, xmlDocDumpMemoryEnc)

struct xml_lib {
#define XML_LIB_MEMBER(member, function) __typeof__(function) *member;
    XML_LIB_FUNCTIONS(XML_LIB_MEMBER)
#undef XML_LIB_MEMBER
    xmlFreeFunc free;
};

const struct xml_lib *xml_lib(char *err, size_t err_len);

#endif
