/*
 * replay - run a fuzz harness over its corpus, as a unit test.
 *
 * SYNOPSIS
 *	build/tests/test_fuzz_NAME [FILE | DIR]...
 *
 * DESCRIPTION
 *	Linked with one harness (tests/fuzz/fuzz_NAME.c) instead of libFuzzer:
 *	calls LLVMFuzzerInitialize() when the harness has one, then
 *	LLVMFuzzerTestOneInput() once on each file named, or without
 *	arguments on every file of tests/fuzz/corpus/NAME/ (NAME from the
 *	program's name; run from the top of the tree, as tests/run does) and
 *	of fuzz-made/NAME/ beside the program, the inputs the build made
 *	because they may not be kept in the tree (private key files).
 *	Prints one TAP line: ok when every file ran, which is all a harness
 *	can say; a crash, a sanitizer's report or a leak (make sanitize)
 *	ends the program and tests/run counts the failure.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_PREFIX "test_fuzz_"
#define REPLAY_MAX_BYTES (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* replay_file - one corpus file through the harness; 0, or -1 when unreadable */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = malloc(REPLAY_MAX_BYTES);
    size_t n = 0;

    if (f && data)
        n = fread(data, 1, REPLAY_MAX_BYTES, f);
    if (!f || !data || ferror(f)) {
        printf("# %s: unreadable\n", path);
        free(data);
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    /* a copy of the exact size, so that ASan sees any read past the input */
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, data, n);
    free(data);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

/* replay_dir - every regular file of dir; the count run, or -1 */
static long replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[4096];
    long count = 0;

    if (!d) {
        printf("# %s: cannot open\n", dir);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        int n = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (n < 0 || (size_t)n >= sizeof(path) || de->d_name[0] == '.' ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (replay_file(path) != 0) {
            count = -1;
            break;
        }
        count++;
    }
    closedir(d);
    return count;
}

/* replay_path - a file or a directory; the count run, or -1 */
static long replay_path(const char *path)
{
    struct stat st;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return replay_dir(path);
    return replay_file(path) == 0 ? 1 : -1;
}

/* replay_name - NAME of the program test_fuzz_NAME */
static const char *replay_name(const char *argv0)
{
    const char *base = strrchr(argv0, '/');

    base = base ? base + 1 : argv0;
    return strncmp(base, REPLAY_PREFIX, strlen(REPLAY_PREFIX)) == 0
               ? base + strlen(REPLAY_PREFIX) : base;
}

/* replay_corpus_dir - the kept corpus (which 0) or the made one beside the
 * program (which 1) of NAME into out; 0, or -1 when there is none */
static int replay_corpus_dir(const char *argv0, const char *name, int which, char *out,
                             size_t len)
{
    const char *slash = strrchr(argv0, '/');
    struct stat st;
    int n;

    if (which == 0)
        n = snprintf(out, len, "tests/fuzz/corpus/%s", name);
    else
        n = snprintf(out, len, "%.*sfuzz-made/%s", slash ? (int)(slash - argv0 + 1) : 0, argv0,
                     name);
    if (n < 0 || (size_t)n >= len)
        return -1;
    return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *name = replay_name(argv[0]);
    char corpus[4096];
    long total = 0;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    printf("1..1\n");
    for (int i = 1; i < argc && total >= 0; i++) {
        long n = replay_path(argv[i]);
        total = n < 0 ? -1 : total + n;
    }
    for (int i = 0; argc == 1 && i < 2 && total >= 0; i++) {
        long n;

        if (replay_corpus_dir(argv[0], name, i, corpus, sizeof(corpus)) != 0)
            continue;
        n = replay_dir(corpus);
        total = n < 0 ? -1 : total + n;
    }
    if (total <= 0) {
        printf("not ok 1 - fuzz_%s replays its corpus (%s)\n", name,
               total < 0 ? "unreadable" : "no files");
        return 1;
    }
    printf("ok 1 - fuzz_%s replays its corpus (%ld files)\n", name, total);
    return 0;
}
