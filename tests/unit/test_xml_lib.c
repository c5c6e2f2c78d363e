/*
 * test_xml_lib - libxml2 loaded on first use (provider/aws/xml_lib.h): a
 *	program built like the workers has no libxml2 mapped until the first
 *	xml_lib() call, which loads it and hands out every function; a
 *	document made and read through them round-trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/aws/aws_xml.h"
#include "provider/aws/xml_lib.h"

#include <stdio.h>
#include <string.h>

/* mapped - a file whose path contains name is mapped into this process */
static int mapped(const char *name)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[1024];
    int found = 0;

    assert_non_null(maps);
    while (fgets(line, sizeof(line), maps))
        found |= strstr(line, name) != NULL;
    fclose(maps);
    return found;
}

/* test_loaded_on_first_use - nothing mapped before the call, the library after */
static void test_loaded_on_first_use(void **state)
{
    char err[256] = "";
    const struct xml_lib *xml;

    (void)state;
    assert_false(mapped("libxml2"));
    assert_false(mapped("libicuuc"));
    xml = xml_lib(err, sizeof(err));
    assert_non_null(xml);
    assert_string_equal(err, "");
    assert_true(mapped("libxml2"));
    assert_non_null(xml->read_memory);
    assert_non_null(xml->doc_dump_memory_enc);
    assert_non_null(xml->free);
    assert_ptr_equal(xml_lib(err, sizeof(err)), xml);
}

/* test_round_trip - a document written with the loaded functions reads back */
static void test_round_trip(void **state)
{
    char err[256], text[64];
    const struct xml_lib *xml = xml_lib(err, sizeof(err));
    xmlChar *out = NULL;
    int len = 0;

    (void)state;
    assert_non_null(xml);
    xmlDocPtr doc = xml->new_doc(BAD_CAST "1.0");
    xmlNodePtr root = xml->new_doc_node(doc, NULL, BAD_CAST "Root", NULL);
    xml->doc_set_root_element(doc, root);
    xml->new_text_child(root, NULL, BAD_CAST "Name", BAD_CAST "a<b&c");
    xml->doc_dump_memory_enc(doc, &out, &len, "UTF-8");
    xml->free_doc(doc);
    assert_non_null(out);
    assert_non_null(strstr((const char *)out, "a&lt;b&amp;c"));

    struct aws_xml *x = aws_xml_parse((const char *)out, (size_t)len, err, sizeof(err));
    xml->free(out);
    assert_non_null(x);
    assert_int_equal(aws_xml_text(x, NULL, "//Root/Name", text, sizeof(text)), 0);
    assert_string_equal(text, "a<b&c");
    aws_xml_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loaded_on_first_use),
        cmocka_unit_test(test_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
