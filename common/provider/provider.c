/*
 * provider - the table of provider backends and the color helpers.
 *
 * SYNOPSIS
 *	const struct provider_ops *ops = provider_find("local");
 *	enum color c;
 *	if (color_parse("green", &c) == 0) ... color_name(color_other(c)) ...
 *
 * DESCRIPTION
 *	provider_find() looks the name up in one table; adding a backend is
 *	one line in provider_table. Each backend's file exports its
 *	struct provider_ops; provider_find() hands out the timed table in
 *	front of it (provider_timed.c), so every call is measured.
 */
#include "provider/provider.h"

#include "provider/provider_timed.h"

#include <string.h>

extern const struct provider_ops provider_local_ops;
extern const struct provider_ops provider_aws_ops;
extern const struct provider_ops provider_plan_ops;

static const struct provider_ops *const provider_table[] = {
    &provider_local_ops,
    &provider_aws_ops,
    &provider_plan_ops,
};

/* provider_find - the backend called name; NULL when unknown */
const struct provider_ops *provider_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(provider_table) / sizeof(provider_table[0]); i++)
        if (strcmp(provider_table[i]->name, name) == 0)
            return provider_timed(provider_table[i]);
    return NULL;
}

/* color_name - "blue" or "green" */
const char *color_name(enum color c)
{
    return c == COLOR_GREEN ? "green" : "blue";
}

/* color_parse - "blue" or "green" into *out; -1 for anything else */
int color_parse(const char *name, enum color *out)
{
    if (name != NULL && strcmp(name, "blue") == 0) {
        *out = COLOR_BLUE;
        return 0;
    }
    if (name != NULL && strcmp(name, "green") == 0) {
        *out = COLOR_GREEN;
        return 0;
    }
    return -1;
}

/* color_other - the color that is not c */
enum color color_other(enum color c)
{
    return c == COLOR_GREEN ? COLOR_BLUE : COLOR_GREEN;
}
