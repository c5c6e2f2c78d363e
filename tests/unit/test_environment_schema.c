/*
 * test_environment_schema - schemas/environment.json and its examples.
 *
 * DESCRIPTION
 *	The schema must pass jsonschema_check() (only keywords the validator
 *	knows). Every schemas/examples/environment/valid-*.json must pass it,
 *	every invalid-*.json must fail it with a message; at least two of
 *	each kind must exist.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/share.h"
#include "io/jsonschema.h"
#include "io/schema.h"

#define FILE_MAX (256 * 1024)

/* load_schema - the environment schema, checked */
static cJSON *load_schema(void)
{
    char path[PATH_MAX], err[512];
    cJSON *schema;

    assert_int_equal(share_path("schemas/environment.json", path, sizeof(path)), 0);
    assert_non_null(schema = json_file_read(path, FILE_MAX, err, sizeof(err)));
    if (jsonschema_check(schema, err, sizeof(err)) != 0)
        fail_msg("environment.json: %s", err);
    return schema;
}

/* test_examples - valid-* pass, invalid-* fail with a message */
static void test_examples(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX + 256], err[512];
    int counts[2] = { 0, 0 }, bad = 0;
    cJSON *schema = load_schema(), *inst;
    struct dirent *de;
    DIR *d;

    (void)state;
    assert_int_equal(share_path("schemas/examples/environment", dir, sizeof(dir)), 0);
    assert_non_null(d = opendir(dir));
    while ((de = readdir(d)) != NULL) {
        int valid = strncmp(de->d_name, "valid-", 6) == 0;
        if (!valid && strncmp(de->d_name, "invalid-", 8) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        assert_non_null(inst = json_file_read(path, FILE_MAX, err, sizeof(err)));
        err[0] = '\0';
        int rc = jsonschema_validate(schema, inst, err, sizeof(err));
        if ((valid && rc != 0) || (!valid && (rc == 0 || err[0] == '\0'))) {
            fprintf(stderr, "%s: expected %s: %s\n", de->d_name, valid ? "valid" : "invalid",
                    err);
            bad++;
        }
        counts[valid]++;
        cJSON_Delete(inst);
    }
    closedir(d);
    cJSON_Delete(schema);
    assert_true(counts[1] >= 2);
    assert_true(counts[0] >= 3);
    assert_int_equal(bad, 0);
}

/* test_local_required - provider local without its section names what is missing */
static void test_local_required(void **state)
{
    cJSON *schema = load_schema();
    cJSON *inst = cJSON_Parse("{\"name\":\"shop\",\"provider\":\"local\"}");
    char err[512];

    (void)state;
    assert_int_equal(jsonschema_validate(schema, inst, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "local"));
    cJSON_Delete(inst);
    inst = cJSON_Parse("{\"name\":\"shop\",\"provider\":\"aws\"}");
    assert_int_equal(jsonschema_validate(schema, inst, err, sizeof(err)), 0);
    cJSON_Delete(inst);
    cJSON_Delete(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_local_required),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
