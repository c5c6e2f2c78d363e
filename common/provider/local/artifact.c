/*
 * artifact - fetch a release artifact, check its SHA-256, unpack it.
 *
 * SYNOPSIS
 *	See artifact.h.
 *
 * DESCRIPTION
 *	Fetching streams the source (a local file, or libcurl's write
 *	callback) through one sink that hashes, counts against the size cap
 *	and writes to a temporary file beside the destination. Unpacking runs
 *	tar twice, by fork/exec with an argument vector: once to list and
 *	vet the member names, once to extract into a temporary directory
 *	that is renamed into place.
 */
#include "provider/local/artifact.h"

#include "base/child.h"
#include "base/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARTIFACT_TAR            "tar"
#define ARTIFACT_LINE_MAX       8192 /* longest member name we vet */
#define ARTIFACT_TAR_ERR_MAX    512

/* Where fetched bytes go: hashed, counted, written. */
struct artifact_sink {
    EVP_MD_CTX *md;
    int fd;
    long long bytes;
    int too_large;
    int write_errno;
};

/* artifact_err - format a message into err; returns -1 */
static int __attribute__((format(printf, 3, 4)))
artifact_err(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err_len == 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* artifact_sha_valid - 1 when s is 64 hex digits */
static int artifact_sha_valid(const char *s)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return i == 64;
}

/* artifact_sink_write - hash, count and write one chunk; 0 or -1 */
static int artifact_sink_write(struct artifact_sink *sink, const void *buf, size_t len)
{
    const char *p = buf;

    if (sink->bytes + (long long)len > ARTIFACT_MAX_BYTES) {
        sink->too_large = 1;
        return -1;
    }
    sink->bytes += (long long)len;
    EVP_DigestUpdate(sink->md, buf, len);
    while (len > 0) {
        ssize_t n = write(sink->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sink->write_errno = errno;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* artifact_sha256_fd - hex SHA-256 of what remains to be read from fd; 0 or -1 */
static int artifact_sha256_fd(int fd, char out[65])
{
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ssize_t n;
    int result = -1;

    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto out;
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        EVP_DigestUpdate(ctx, buf, (size_t)n);
    }
    if (EVP_DigestFinal_ex(ctx, md, &md_len) != 1)
        goto out;
    hex_encode(md, md_len, out);
    result = 0;
out:
    EVP_MD_CTX_free(ctx);
    return result;
}

/* artifact_sha256_file - hex SHA-256 (lower case) of a file's content; 0 or -1 */
int artifact_sha256_file(const char *path, char out[65], char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int result;

    if (fd < 0)
        return artifact_err(err, err_len, "%s: %s", path, strerror(errno));
    result = artifact_sha256_fd(fd, out);
    if (result != 0)
        artifact_err(err, err_len, "%s: read: %s", path, strerror(errno));
    close(fd);
    return result;
}

/* artifact_file_path - the local path of a file:// URI or absolute path; NULL if not local */
static const char *artifact_file_path(const char *uri)
{
    if (strncmp(uri, "file://localhost/", 17) == 0)
        return uri + 16;
    if (strncmp(uri, "file:///", 8) == 0)
        return uri + 7;
    if (uri[0] == '/')
        return uri;
    return NULL;
}

/* artifact_copy_file - stream a local file into sink; 0 or -1 */
static int artifact_copy_file(const char *path, struct artifact_sink *sink, char *err,
                              size_t err_len)
{
    char buf[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    int result = -1;

    if (fd < 0)
        return artifact_err(err, err_len, "artifact %s: %s", path, strerror(errno));
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            artifact_err(err, err_len, "artifact %s: read: %s", path, strerror(errno));
            goto out;
        }
        if (artifact_sink_write(sink, buf, (size_t)n) != 0) {
            artifact_err(err, err_len, "artifact %s: %s", path,
                         sink->too_large ? "larger than the size cap"
                                         : strerror(sink->write_errno));
            goto out;
        }
    }
    result = 0;
out:
    close(fd);
    return result;
}

/* artifact_curl_write_cb - libcurl's write callback: into the sink */
static size_t artifact_curl_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct artifact_sink *sink = userdata;

    if (artifact_sink_write(sink, ptr, size * nmemb) != 0)
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    return size * nmemb;
}

/* artifact_curl_setup - the options of one bounded, safe transfer */
static void artifact_curl_setup(CURL *curl, const char *uri, struct artifact_sink *sink,
                                char *curl_err)
{
    curl_easy_setopt(curl, CURLOPT_URL, uri);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, ARTIFACT_MAX_REDIRECTS);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, ARTIFACT_CONNECT_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, ARTIFACT_TOTAL_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ARTIFACT_MAX_BYTES);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, artifact_curl_write_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "cutover");
}

/* artifact_copy_http - stream an http(s) URI into sink; 0 or -1 */
static int artifact_copy_http(const char *uri, struct artifact_sink *sink, char *err,
                              size_t err_len)
{
    char curl_err[CURL_ERROR_SIZE] = "";
    CURL *curl = curl_easy_init();
    CURLcode rc;
    long status = 0;

    if (curl == NULL)
        return artifact_err(err, err_len, "artifact %s: curl_easy_init failed", uri);
    artifact_curl_setup(curl, uri, sink, curl_err);
    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK)
        return 0;
    if (rc == CURLE_HTTP_RETURNED_ERROR)
        return artifact_err(err, err_len, "artifact %s: HTTP status %ld", uri, status);
    if (sink->too_large || rc == CURLE_FILESIZE_EXCEEDED)
        return artifact_err(err, err_len, "artifact %s: larger than %ld bytes", uri,
                            ARTIFACT_MAX_BYTES);
    if (sink->write_errno != 0)
        return artifact_err(err, err_len, "artifact %s: write: %s", uri,
                            strerror(sink->write_errno));
    return artifact_err(err, err_len, "artifact %s: %s", uri,
                        curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc));
}

/* artifact_copy - dispatch on the URI scheme; 0 or -1 */
static int artifact_copy(const char *uri, struct artifact_sink *sink, char *err, size_t err_len)
{
    const char *path = artifact_file_path(uri);

    if (path != NULL)
        return artifact_copy_file(path, sink, err, err_len);
    if (strncasecmp(uri, "http://", 7) == 0 || strncasecmp(uri, "https://", 8) == 0)
        return artifact_copy_http(uri, sink, err, err_len);
    if (strncasecmp(uri, "s3://", 5) == 0)
        return artifact_err(err, err_len, "s3:// artifacts are fetched by the aws provider");
    return artifact_err(err, err_len, "artifact %s: unsupported URI (file, http, https)", uri);
}

/* artifact_already_there - 1 when dest exists with the expected sha256 */
static int artifact_already_there(const char *dest, const char *sha256_hex)
{
    char have[65];

    if (sha256_hex == NULL || access(dest, F_OK) != 0)
        return 0;
    if (artifact_sha256_file(dest, have, NULL, 0) != 0)
        return 0;
    return strcasecmp(have, sha256_hex) == 0;
}

/* artifact_finish - check the digest, then fsync and rename tmp into place; 0 or -1 */
static int artifact_finish(struct artifact_sink *sink, const char *sha256_hex, const char *tmp,
                           const char *dest, char *err, size_t err_len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char got[2 * EVP_MAX_MD_SIZE + 1];

    EVP_DigestFinal_ex(sink->md, md, &md_len);
    hex_encode(md, md_len, got);
    if (sha256_hex != NULL && strcasecmp(got, sha256_hex) != 0)
        return artifact_err(err, err_len, "sha256 mismatch: expected %s, got %s", sha256_hex,
                            got);
    if (fsync(sink->fd) != 0)
        return artifact_err(err, err_len, "%s: fsync: %s", tmp, strerror(errno));
    if (rename(tmp, dest) != 0)
        return artifact_err(err, err_len, "rename %s: %s", dest, strerror(errno));
    return 0;
}

/* artifact_fetch - copy uri to dest_file, checking its SHA-256; 0 or -1 */
int artifact_fetch(const char *uri, const char *sha256_hex, const char *dest_file, char *err,
                   size_t err_len)
{
    struct artifact_sink sink = { .fd = -1 };
    char tmp[PATH_MAX];
    int result = -1;

    if (sha256_hex != NULL && !artifact_sha_valid(sha256_hex))
        return artifact_err(err, err_len, "sha256 \"%s\" is not 64 hex digits", sha256_hex);
    if (artifact_already_there(dest_file, sha256_hex))
        return 0;
    if (strncasecmp(uri, "s3://", 5) == 0)
        return artifact_err(err, err_len, "s3:// artifacts are fetched by the aws provider");
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.part.XXXXXX", dest_file) >= sizeof(tmp))
        return artifact_err(err, err_len, "%s: path too long", dest_file);
    if ((sink.fd = mkostemp(tmp, O_CLOEXEC)) < 0)
        return artifact_err(err, err_len, "%s: %s", tmp, strerror(errno));
    sink.md = EVP_MD_CTX_new();
    if (sink.md == NULL || EVP_DigestInit_ex(sink.md, EVP_sha256(), NULL) != 1) {
        artifact_err(err, err_len, "sha256: cannot initialise the digest");
        goto out;
    }
    if (artifact_copy(uri, &sink, err, err_len) != 0)
        goto out;
    result = artifact_finish(&sink, sha256_hex, tmp, dest_file, err, err_len);
out:
    close(sink.fd);
    if (result != 0)
        unlink(tmp);
    EVP_MD_CTX_free(sink.md);
    return result;
}

/* artifact_tmpfd - an anonymous temporary file for tar's stderr; -1 on failure */
static int artifact_tmpfd(void)
{
    char path[] = "/tmp/cutover-tar.XXXXXX";
    int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    if (fd >= 0)
        return fd;
    if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
        unlink(path);
    return fd;
}

/* artifact_remove_cb - nftw callback: remove one entry, depth first */
static int artifact_remove_cb(const char *path, const struct stat *sb, int type,
                              struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* artifact_remove_tree - remove a temporary directory of ours and its content */
void artifact_remove_tree(const char *dir)
{
    nftw(dir, artifact_remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* artifact_tar_mode - "z" for .tar.gz/.tgz, "" for .tar; NULL when neither */
static const char *artifact_tar_mode(const char *tarball)
{
    size_t len = strlen(tarball);

    if (len > 7 && strcmp(tarball + len - 7, ".tar.gz") == 0)
        return "z";
    if (len > 4 && strcmp(tarball + len - 4, ".tgz") == 0)
        return "z";
    if (len > 4 && strcmp(tarball + len - 4, ".tar") == 0)
        return "";
    return NULL;
}

/* artifact_tar_spawn - fork/exec tar with argv, stdout to out_fd, stderr to err_fd */
static pid_t artifact_tar_spawn(char *const argv[], int out_fd, int err_fd)
{
    pid_t pid = fork();

    if (pid != 0)
        return pid;
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd < 0 ? null_fd : out_fd, 1) < 0 ||
        dup2(err_fd, 2) < 0)
        _exit(127);
    execvp(argv[0], argv);
    _exit(127);
}

/* artifact_tar_wait - reap tar; 0 when it exited 0, else -1 with its stderr in err */
static int artifact_tar_wait(pid_t pid, int err_fd, const char *what, char *err, size_t err_len)
{
    char msg[ARTIFACT_TAR_ERR_MAX] = "";
    int status;
    ssize_t n;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return artifact_err(err, err_len, "%s: waitpid: %s", what, strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    n = pread(err_fd, msg, sizeof(msg) - 1, 0);
    msg[n > 0 ? n : 0] = '\0';
    msg[strcspn(msg, "\n")] = '\0';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && msg[0] == '\0')
        return artifact_err(err, err_len, "%s: cannot run %s", what, ARTIFACT_TAR);
    return artifact_err(err, err_len, "%s: tar failed (status %d): %s", what,
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), msg);
}

/* artifact_name_unsafe - 1 when a member name is absolute or has a ".." component */
static int artifact_name_unsafe(const char *name)
{
    const char *p = name;

    if (name[0] == '/')
        return 1;
    while (*p != '\0') {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        p += len;
        p += strspn(p, "/");
    }
    return 0;
}

/* artifact_vet_line - check one listed name; 0 or -1 */
static int artifact_vet_line(const char *line, const char *tarball, char *err, size_t err_len)
{
    if (artifact_name_unsafe(line))
        return artifact_err(err, err_len,
                            "%s: refused: member \"%s\" is absolute or contains \"..\"",
                            tarball, line);
    return 0;
}

/* artifact_vet_stream - read tar's listing from fd, vetting each name; 0 or -1 */
static int artifact_vet_stream(int fd, const char *tarball, char *err, size_t err_len)
{
    char line[ARTIFACT_LINE_MAX], buf[4096];
    size_t used = 0;
    int result = 0;
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return artifact_err(err, err_len, "%s: reading the listing: %s", tarball,
                                strerror(errno));
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n' && used < sizeof(line) - 1) {
                line[used++] = buf[i];
                continue;
            }
            if (buf[i] != '\n' && result == 0)
                result = artifact_err(err, err_len, "%s: refused: a member name is too long",
                                      tarball);
            line[used] = '\0';
            if (buf[i] == '\n' && result == 0)
                result = artifact_vet_line(line, tarball, err, err_len);
            used = 0;
        }
    }
    return result; /* read to EOF even after a refusal, so tar does not block */
}

/* artifact_tar_list - list tarball with tar -t and refuse unsafe names; 0 or -1 */
static int artifact_tar_list(const char *tarball, const char *mode, char *err, size_t err_len)
{
    char flags[8];
    char *argv[] = { ARTIFACT_TAR, flags, (char *)tarball, NULL };
    int pipe_fd[2], err_fd = -1, vet, result = -1;
    pid_t pid;

    snprintf(flags, sizeof(flags), "-t%sf", mode);
    if (pipe2(pipe_fd, O_CLOEXEC) != 0)
        return artifact_err(err, err_len, "pipe: %s", strerror(errno));
    if ((err_fd = artifact_tmpfd()) < 0) {
        artifact_err(err, err_len, "tmpfile: %s", strerror(errno));
        goto out;
    }
    if ((pid = artifact_tar_spawn(argv, pipe_fd[1], err_fd)) < 0) {
        artifact_err(err, err_len, "fork: %s", strerror(errno));
        goto out;
    }
    close(pipe_fd[1]);
    pipe_fd[1] = -1;
    vet = artifact_vet_stream(pipe_fd[0], tarball, err, err_len);
    if (artifact_tar_wait(pid, err_fd, tarball, vet == 0 ? err : NULL, err_len) == 0)
        result = vet;
out:
    close(pipe_fd[0]);
    if (pipe_fd[1] >= 0)
        close(pipe_fd[1]);
    if (err_fd >= 0)
        close(err_fd);
    return result;
}

/* artifact_tar_extract - extract tarball into dir; 0 or -1 */
static int artifact_tar_extract(const char *tarball, const char *mode, const char *dir,
                                char *err, size_t err_len)
{
    char flags[8];
    char *argv[] = { ARTIFACT_TAR, "--no-same-owner", flags, (char *)tarball,
                     "-C", (char *)dir, NULL };
    int err_fd, result = -1;
    pid_t pid;

    snprintf(flags, sizeof(flags), "-x%sf", mode);
    if ((err_fd = artifact_tmpfd()) < 0)
        return artifact_err(err, err_len, "tmpfile: %s", strerror(errno));
    if ((pid = artifact_tar_spawn(argv, -1, err_fd)) < 0)
        artifact_err(err, err_len, "fork: %s", strerror(errno));
    else
        result = artifact_tar_wait(pid, err_fd, tarball, err, err_len);
    close(err_fd);
    return result;
}

/* artifact_marker_path - dir/ARTIFACT_UNPACK_MARKER into out; 0, or -1 when too long */
static int artifact_marker_path(const char *dir, char *out, size_t out_len)
{
    int n = snprintf(out, out_len, "%s/%s", dir, ARTIFACT_UNPACK_MARKER);

    return n < 0 || (size_t)n >= out_len ? -1 : 0;
}

/* artifact_dir_state - 1: dir complete, 0: absent or empty, -1: foreign content */
static int artifact_dir_state(const char *dir)
{
    char marker[PATH_MAX];

    if (artifact_marker_path(dir, marker, sizeof(marker)) != 0)
        return -1;
    if (access(marker, F_OK) == 0)
        return 1;
    if (rmdir(dir) == 0 || errno == ENOENT)
        return 0; /* an empty directory is removed so that rename can take its place */
    return -1;
}

/* artifact_mark_done - write the completion marker inside dir; 0 or -1 */
static int artifact_mark_done(const char *dir, const char *tarball, char *err, size_t err_len)
{
    char marker[PATH_MAX];
    FILE *f;

    if (artifact_marker_path(dir, marker, sizeof(marker)) != 0)
        return artifact_err(err, err_len, "%s: path too long", dir);
    if ((f = fopen(marker, "we")) == NULL)
        return artifact_err(err, err_len, "%s: %s", marker, strerror(errno));
    fprintf(f, "%s\n", tarball);
    if (fclose(f) != 0)
        return artifact_err(err, err_len, "%s: %s", marker, strerror(errno));
    return 0;
}

/* artifact_unpack - extract tarball into dest_dir through a temporary directory; 0 or -1 */
int artifact_unpack(const char *tarball, const char *dest_dir, char *err, size_t err_len)
{
    const char *mode = artifact_tar_mode(tarball);
    char tmp[PATH_MAX];
    int state, result = -1;

    if (mode == NULL)
        return artifact_err(err, err_len, "%s: not a .tar.gz, .tgz or .tar", tarball);
    if ((state = artifact_dir_state(dest_dir)) == 1)
        return 0;
    if (state < 0)
        return artifact_err(err, err_len, "%s exists and is not a completed unpack",
                            dest_dir);
    if (artifact_tar_list(tarball, mode, err, err_len) != 0)
        return -1;
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", dest_dir) >= sizeof(tmp))
        return artifact_err(err, err_len, "%s: path too long", dest_dir);
    if (mkdtemp(tmp) == NULL)
        return artifact_err(err, err_len, "%s: %s", tmp, strerror(errno));
    if (artifact_tar_extract(tarball, mode, tmp, err, err_len) != 0 ||
        artifact_mark_done(tmp, tarball, err, err_len) != 0)
        goto out;
    if (rename(tmp, dest_dir) == 0) {
        log_info("unpacked %s into %s", tarball, dest_dir);
        return 0;
    }
    /* another unpack of the same release (a copy of the worker that took over
     * an effect whose lease ran out) completed first: its result is ours */
    if ((errno == ENOTEMPTY || errno == EEXIST) && artifact_dir_state(dest_dir) == 1) {
        log_info("%s was unpacked meanwhile by another process", dest_dir);
        result = 0;
    } else {
        artifact_err(err, err_len, "rename to %s: %s", dest_dir, strerror(errno));
    }
out:
    artifact_remove_tree(tmp);
    return result;
}
