/*
 * xml_lib - libxml2 loaded on first use (see xml_lib.h).
 */
#include "provider/aws/xml_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define XML_LIB_SONAME "libxml2.so.2"

static struct xml_lib loaded;
static const struct xml_lib *usable;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* xml_lib_symbol - the address of name in the library; NULL with why */
static void *xml_lib_symbol(void *handle, const char *name)
{
    void *address = dlsym(handle, name);

    if (address == NULL)
        snprintf(why, sizeof(why), "%s: no %s", XML_LIB_SONAME, name);
    return address;
}

/* xml_lib_load - open the library and take every function; usable on success */
static void xml_lib_load(void)
{
    void *handle = dlopen(XML_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    xmlFreeFunc *free_function;

    if (handle == NULL) {
        snprintf(why, sizeof(why), "cannot load %s: %s", XML_LIB_SONAME, dlerror());
        return;
    }
#define XML_LIB_TAKE(member, function)                                          \
    if ((*(void **)&loaded.member = xml_lib_symbol(handle, #function)) == NULL) \
        return;
    XML_LIB_FUNCTIONS(XML_LIB_TAKE)
#undef XML_LIB_TAKE
    if ((free_function = xml_lib_symbol(handle, "xmlFree")) == NULL)
        return;
    loaded.free = *free_function;
    usable = &loaded;
}

/* xml_lib - the library's functions, loaded on the first call; NULL with err */
const struct xml_lib *xml_lib(char *err, size_t err_len)
{
    pthread_once(&once, xml_lib_load);
    if (usable == NULL)
        snprintf(err, err_len, "%s", why);
    return usable;
}
