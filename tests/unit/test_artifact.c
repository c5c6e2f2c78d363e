/*
 * test_artifact - fetching (file://, http://) and unpacking release artifacts.
 *
 * DESCRIPTION
 *	Works in a temporary directory. Expected digests come from sha256sum(1),
 *	not from the code under test. The HTTP cases talk to a tiny server on
 *	127.0.0.1 forked by the test (a fake standing in for an artifact store):
 *	"/release.tar.gz" answers the body, anything else 404. Tarballs are
 *	built with tar(1) in the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/log.h"
#include "provider/local/artifact.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BODY "cutover release 42\nsome bytes of an artifact\n"

struct fixture {
    char dir[64];
    char src[128];    /* a file with BODY */
    char sha[65];     /* its digest, by sha256sum */
    pid_t server;     /* the HTTP server, 0 when none */
    int port;
};

/* run - run a shell command of the test's own; its exit status */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* sha256sum_of - the digest of path by sha256sum(1) */
static void sha256sum_of(const char *path, char out[65])
{
    char cmd[256];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%64s", out), 1);
    pclose(p);
}

/* setup - a scratch directory with one source file */
static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    FILE *f;

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_artifact.XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->src, sizeof(fx->src), "%s/source.bin", fx->dir);
    if ((f = fopen(fx->src, "w")) == NULL)
        return -1;
    fputs(BODY, f);
    fclose(f);
    sha256sum_of(fx->src, fx->sha);
    *state = fx;
    return 0;
}

/* teardown - stop the server and remove the scratch directory */
static int teardown(void **state)
{
    struct fixture *fx = *state;

    if (fx->server > 0) {
        kill(fx->server, SIGKILL);
        waitpid(fx->server, NULL, 0);
    }
    if (run("rm -rf '%s'", fx->dir) != 0)
        return -1;
    free(fx);
    return 0;
}

/* count_entries - entries of dir whose name starts with prefix */
static int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

/* test_fetch_file - a correct digest gives the file, a second fetch is a no-op */
static void test_fetch_file(void **state)
{
    struct fixture *fx = *state;
    char uri[256], dest[256], got[65], err[512] = "";

    snprintf(uri, sizeof(uri), "file://%s", fx->src);
    snprintf(dest, sizeof(dest), "%s/out.bin", fx->dir);
    assert_int_equal(artifact_fetch(uri, fx->sha, dest, err, sizeof(err)), 0);
    sha256sum_of(dest, got);
    assert_string_equal(got, fx->sha);
    assert_int_equal(count_entries(fx->dir, "out.bin.part"), 0);
    assert_int_equal(unlink(fx->src), 0); /* the source is gone: only a no-op can succeed */
    assert_int_equal(artifact_fetch(uri, fx->sha, dest, err, sizeof(err)), 0);
    assert_int_equal(artifact_fetch(fx->src, NULL, dest, err, sizeof(err)), -1);
}

/* test_fetch_mismatch - a wrong digest leaves nothing behind and says both digests */
static void test_fetch_mismatch(void **state)
{
    struct fixture *fx = *state;
    char wrong[65], dest[256], err[512] = "", want[256];

    memcpy(wrong, fx->sha, sizeof(wrong));
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    snprintf(dest, sizeof(dest), "%s/out.bin", fx->dir);
    assert_int_equal(artifact_fetch(fx->src, wrong, dest, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "sha256 mismatch: expected %s, got %s", wrong, fx->sha);
    assert_string_equal(err, want);
    assert_int_equal(access(dest, F_OK), -1);
    assert_int_equal(count_entries(fx->dir, "out.bin"), 0);
}

/* test_fetch_errors - a missing file, s3://, a bad digest, an unknown scheme */
static void test_fetch_errors(void **state)
{
    struct fixture *fx = *state;
    char dest[256], err[512] = "";

    snprintf(dest, sizeof(dest), "%s/out.bin", fx->dir);
    assert_int_equal(artifact_fetch("file:///nonexistent/r.tar.gz", fx->sha, dest, err,
                                    sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(artifact_fetch("s3://bucket/r.tar.gz", fx->sha, dest, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "s3:// artifacts are fetched by the aws provider");
    assert_int_equal(artifact_fetch(fx->src, "abc", dest, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "64 hex digits"));
    assert_int_equal(artifact_fetch("ftp://host/r.tar.gz", fx->sha, dest, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "unsupported"));
    assert_int_equal(count_entries(fx->dir, "out.bin"), 0);
}

/* serve_one - answer one HTTP request on fd */
static void serve_one(int fd)
{
    char req[2048], head[256];
    size_t used = 0;
    ssize_t n;
    int ok;

    while (used < sizeof(req) - 1 && (n = read(fd, req + used, sizeof(req) - 1 - used)) > 0) {
        used += (size_t)n;
        req[used] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL)
            break;
    }
    req[used] = '\0';
    ok = strncmp(req, "GET /release.tar.gz ", 20) == 0;
    snprintf(head, sizeof(head),
             "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
             ok ? "200 OK" : "404 Not Found", ok ? strlen(BODY) : strlen("missing\n"));
    (void)!write(fd, head, strlen(head));
    (void)!write(fd, ok ? BODY : "missing\n", ok ? strlen(BODY) : strlen("missing\n"));
}

/* server_start - fork a loopback HTTP server; its port in fx */
static void server_start(struct fixture *fx)
{
    struct sockaddr_in addr = { .sin_family = AF_INET };
    socklen_t len = sizeof(addr);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(lfd >= 0);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(lfd, 8), 0); /* listening before the fork: no race */
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&addr, &len), 0);
    fx->port = ntohs(addr.sin_port);
    fx->server = fork();
    assert_true(fx->server >= 0);
    if (fx->server == 0) {
        for (;;) {
            int fd = accept(lfd, NULL, NULL);
            if (fd < 0)
                _exit(1);
            serve_one(fd);
            close(fd);
        }
    }
    close(lfd);
}

/* test_fetch_http - a body over http://, checked; a 404 is an error naming the status */
static void test_fetch_http(void **state)
{
    struct fixture *fx = *state;
    char uri[256], dest[256], got[65], err[512] = "";

    server_start(fx);
    snprintf(dest, sizeof(dest), "%s/http.bin", fx->dir);
    snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/release.tar.gz", fx->port);
    assert_int_equal(artifact_fetch(uri, fx->sha, dest, err, sizeof(err)), 0);
    sha256sum_of(dest, got);
    assert_string_equal(got, fx->sha);
    assert_int_equal(unlink(dest), 0);
    snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/missing.tar.gz", fx->port);
    assert_int_equal(artifact_fetch(uri, fx->sha, dest, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "HTTP status 404"));
    assert_int_equal(count_entries(fx->dir, "http.bin"), 0);
}

/* test_unpack - a tarball built here unpacks with its content; a second call is a no-op */
static void test_unpack(void **state)
{
    struct fixture *fx = *state;
    char tarball[256], dest[256], path[320], err[512] = "", got[65];

    assert_int_equal(run("cd '%s' && mkdir -p app/scripts && cp source.bin app/scripts/x && "
                         "tar -czf r.tar.gz -C app .", fx->dir), 0);
    snprintf(tarball, sizeof(tarball), "%s/r.tar.gz", fx->dir);
    snprintf(dest, sizeof(dest), "%s/release", fx->dir);
    assert_int_equal(artifact_unpack(tarball, dest, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/scripts/x", dest);
    sha256sum_of(path, got);
    assert_string_equal(got, fx->sha);
    snprintf(path, sizeof(path), "%s/%s", dest, ARTIFACT_UNPACK_MARKER);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(count_entries(fx->dir, "release.tmp"), 0);
    assert_int_equal(unlink(tarball), 0); /* gone: only a no-op can succeed */
    assert_int_equal(artifact_unpack(tarball, dest, err, sizeof(err)), 0);
}

/* unpack_racer - a child: wait for the start byte on fd, unpack, exit 0 on success */
static void unpack_racer(int fd, const char *tarball, const char *dest)
{
    char go, err[512];

    if (read(fd, &go, 1) != 1)
        _exit(2);
    _exit(artifact_unpack(tarball, dest, err, sizeof(err)) == 0 ? 0 : 1);
}

/* test_unpack_concurrent - copies of a worker unpacking the same release at once
 * (one whose effect lease ran out while it worked, and the copy that took the
 * effect over) all succeed: the unpack that loses the rename to a completed
 * one takes it as done */
static void test_unpack_concurrent(void **state)
{
    struct fixture *fx = *state;
    enum { RACERS = 6, ROUNDS = 10 };
    char tarball[256], dest[256];
    int failed = 0;

    assert_int_equal(run("cd '%s' && mkdir -p app && for i in $(seq 200); do "
                         "cp source.bin app/f$i; done && tar -czf r.tar.gz -C app .", fx->dir), 0);
    snprintf(tarball, sizeof(tarball), "%s/r.tar.gz", fx->dir);
    for (int round = 0; round < ROUNDS; round++) {
        int go[2], status;

        snprintf(dest, sizeof(dest), "%s/release%d", fx->dir, round);
        assert_int_equal(pipe(go), 0);
        for (int i = 0; i < RACERS; i++)
            if (fork() == 0) {
                close(go[1]);
                unpack_racer(go[0], tarball, dest);
            }
        close(go[0]);
        assert_int_equal(write(go[1], "gggggg", RACERS), RACERS);
        close(go[1]);
        for (int i = 0; i < RACERS; i++) {
            assert_int_not_equal(wait(&status), -1);
            failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        }
        assert_int_equal(count_entries(fx->dir, "release"), round + 1); /* no .tmp left */
    }
    assert_int_equal(failed, 0);
}

/* test_unpack_refuse - members that climb out or are absolute refuse the archive */
static void test_unpack_refuse(void **state)
{
    struct fixture *fx = *state;
    char tarball[256], dest[256], err[512] = "";

    assert_int_equal(run("cd '%s' && echo evil > evil && "
                         "tar -cf evil.tar --transform 's,^,../,' evil 2>/dev/null && "
                         "tar -cPf abs.tar '%s/evil' 2>/dev/null", fx->dir, fx->dir), 0);
    snprintf(dest, sizeof(dest), "%s/release", fx->dir);
    snprintf(tarball, sizeof(tarball), "%s/evil.tar", fx->dir);
    assert_int_equal(artifact_unpack(tarball, dest, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "\"../evil\""));
    snprintf(tarball, sizeof(tarball), "%s/abs.tar", fx->dir);
    assert_int_equal(artifact_unpack(tarball, dest, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "absolute"));
    assert_int_equal(count_entries(fx->dir, "release"), 0);
}

/* test_unpack_errors - not a tarball name, a corrupt archive, a foreign directory */
static void test_unpack_errors(void **state)
{
    struct fixture *fx = *state;
    char dest[256], bad[256], err[512] = "";

    snprintf(dest, sizeof(dest), "%s/release", fx->dir);
    assert_int_equal(artifact_unpack(fx->src, dest, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a .tar.gz"));
    snprintf(bad, sizeof(bad), "%s/corrupt.tar.gz", fx->dir);
    assert_int_equal(run("cp '%s' '%s'", fx->src, bad), 0);
    assert_int_equal(artifact_unpack(bad, dest, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "tar failed"));
    assert_int_equal(run("mkdir '%s' && touch '%s/mine'", dest, dest), 0);
    assert_int_equal(artifact_unpack(bad, dest, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a completed unpack"));
}

/* main - the cases */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fetch_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpack_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpack_refuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpack_errors, setup, teardown),
    };

    log_init("test_artifact");
    log_set_level(LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
