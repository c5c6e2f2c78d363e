/*
 * test_migrate - migrate_list(): which files are migrations and in what
 *	order they apply. No database needed.
 *
 * DESCRIPTION
 *	Each test fills a fresh temporary directory with empty files and
 *	checks the list (or the error) that migrate_list() returns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "io/migrate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* dir_create - a fresh temporary directory */
static int dir_create(void **state)
{
    char *path = strdup("/tmp/test_migrate.XXXXXX");

    assert_non_null(mkdtemp(path));
    *state = path;
    return 0;
}

/* dir_free - remove the directory and what is in it */
static int dir_free(void **state)
{
    char *path = *state;
    char file[512];
    struct dirent *entry;
    DIR *d = opendir(path);

    while (d && (entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        snprintf(file, sizeof(file), "%s/%s", path, entry->d_name);
        unlink(file);
    }
    if (d)
        closedir(d);
    rmdir(path);
    free(path);
    return 0;
}

/* touch - create an empty file in dir */
static void touch(const char *dir, const char *name)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
}

/* test_order - numbers order the files, README is ignored */
static void test_order(void **state)
{
    const char *dir = *state;
    char err[512] = "", **names;
    size_t count;

    touch(dir, "0010_b.sql");
    touch(dir, "0002_a.sql");
    touch(dir, "0001_x.sql");
    touch(dir, "README.md");
    assert_int_equal(migrate_list(dir, &names, &count, err, sizeof(err)), 0);
    assert_int_equal(count, 3);
    assert_string_equal(names[0], "0001_x.sql");
    assert_string_equal(names[1], "0002_a.sql");
    assert_string_equal(names[2], "0010_b.sql");
    migrate_list_free(names, count);
}

/* test_duplicate - two files with one number is an error naming both */
static void test_duplicate(void **state)
{
    const char *dir = *state;
    char err[512] = "", **names;
    size_t count;

    touch(dir, "0001_init.sql");
    touch(dir, "0002_users.sql");
    touch(dir, "0002_orders.sql");
    assert_int_equal(migrate_list(dir, &names, &count, err, sizeof(err)), -1);
    assert_null(names);
    assert_non_null(strstr(err, "0002_orders.sql"));
    assert_non_null(strstr(err, "0002_users.sql"));
}

/* test_bad_names - each bad name is an error naming the file */
static void test_bad_names(void **state)
{
    static const char *const bad[] = {
        "1_short.sql", "0001_Upper.sql", "0001-dash.sql", "0001_.sql", "0001_x.txt", "00011_x.sql", "notes.txt",
    };
    const char *dir = *state;
    char err[512], path[512], **names;
    size_t count;

    touch(dir, "0001_ok.sql");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        touch(dir, bad[i]);
        err[0] = '\0';
        assert_int_equal(migrate_list(dir, &names, &count, err, sizeof(err)), -1);
        assert_non_null(strstr(err, bad[i]));
        snprintf(path, sizeof(path), "%s/%s", dir, bad[i]);
        unlink(path);
    }
    assert_int_equal(migrate_list(dir, &names, &count, err, sizeof(err)), 0);
    assert_int_equal(count, 1);
    migrate_list_free(names, count);
}

/* test_empty - an empty directory is an empty list */
static void test_empty(void **state)
{
    const char *dir = *state;
    char err[512] = "", **names;
    size_t count = 99;

    assert_int_equal(migrate_list(dir, &names, &count, err, sizeof(err)), 0);
    assert_int_equal(count, 0);
    migrate_list_free(names, count);
}

/* test_missing_dir - a directory that does not exist is an error */
static void test_missing_dir(void **state)
{
    char err[512] = "", path[512], **names;
    size_t count;

    snprintf(path, sizeof(path), "%s/none", (const char *)*state);
    assert_int_equal(migrate_list(path, &names, &count, err, sizeof(err)), -1);
    assert_non_null(strstr(err, path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order, dir_create, dir_free),
        cmocka_unit_test_setup_teardown(test_duplicate, dir_create, dir_free),
        cmocka_unit_test_setup_teardown(test_bad_names, dir_create, dir_free),
        cmocka_unit_test_setup_teardown(test_empty, dir_create, dir_free),
        cmocka_unit_test_setup_teardown(test_missing_dir, dir_create, dir_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
