/*
 * haproxy - a client of HAProxy's Runtime API and master CLI.
 *
 * SYNOPSIS
 *	#include "provider/local/haproxy.h"
 *
 * DESCRIPTION
 *	One connection per command: connect, write the command line, read
 *	until EOF, all within HAPROXY_TIMEOUT_MS (or by the call deadline,
 *	base/clock.h, when that comes first), at most HAPROXY_RESPONSE_MAX
 *	bytes. A refused connect is tried again until then: the master
 *	refuses connections while a reload (anyone's) re-executes it. The
 *	typed helpers check names, format the command and read
 *	HAProxy's answer: the "set" commands answer an empty line on success
 *	and a sentence on failure, which becomes the error message.
 */
#include "base/clock.h"
#include "provider/local/haproxy.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HAPROXY_ADMF_MAINT 0x63 /* FMAINT | IMAINT | RMAINT | HMAINT */
#define HAPROXY_ADMF_DRAIN 0x18 /* FDRAIN | IDRAIN */
#define HAPROXY_OP_RUNNING 2
#define HAPROXY_CHK_CONFIGURED 0x02 /* srv_check_state: the server has a check */
#define HAPROXY_CHK_PASSED   3      /* srv_check_result values */
#define HAPROXY_CHK_CONDPASS 4
#define HAPROXY_LINE_MAX   4096
#define HAPROXY_CONNECT_RETRY_MS 20
#define HAPROXY_COLUMNS_MAX 128

/* haproxy_status_name - a status as text, for messages */
const char *haproxy_status_name(enum haproxy_status status)
{
    switch (status) {
    case HAPROXY_STATUS_UP:
        return "UP";
    case HAPROXY_STATUS_DOWN:
        return "DOWN";
    case HAPROXY_STATUS_MAINT:
        return "MAINT";
    case HAPROXY_STATUS_DRAIN:
        return "DRAIN";
    case HAPROXY_STATUS_NOCHECK:
        return "no check";
    }
    return "unknown";
}

/* haproxy_name_valid - 1 when name may go into a Runtime API command */
int haproxy_name_valid(const char *name)
{
    size_t len;

    if (name == NULL)
        return 0;
    len = strlen(name);
    if (len == 0 || len > HAPROXY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!isalnum(ch) && ch != '_' && ch != '-' && ch != '.' && ch != ':')
            return 0;
    }
    return 1;
}

/* wait_fd - poll fd for events until deadline; 0 ready, -1 timeout or error */
static int wait_fd(int fd, short events, long long deadline)
{
    struct pollfd pfd = { .fd = fd, .events = events };
    long long left;
    int rc;

    for (;;) {
        left = deadline - clock_mono_ms();
        if (left <= 0)
            return -1;
        rc = poll(&pfd, 1, (int)left);
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

/* connect_busy - 1 when a failed connect may succeed soon: HAProxy's master
 * refuses connections while it re-executes itself for a reload (anyone's) */
static int connect_busy(int error)
{
    return error == ECONNREFUSED || error == EAGAIN;
}

/* connect_unix - a connected, non-blocking stream socket to path; a refused
 * connection is tried again every HAPROXY_CONNECT_RETRY_MS until deadline */
static int connect_unix(const char *path, int64_t deadline, char *err, size_t err_len)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, rc;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, err_len, "socket path too long: %s", path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, err_len, "socket: %s", strerror(errno));
        return -1;
    }
    while ((rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) != 0 && connect_busy(errno) &&
           clock_mono_ms() + HAPROXY_CONNECT_RETRY_MS < deadline)
        clock_sleep_ms(HAPROXY_CONNECT_RETRY_MS);
    if (rc != 0) {
        snprintf(err, err_len, "connect %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* send_all - write buf to fd before deadline */
static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return -1;
        } else if (wait_fd(fd, POLLOUT, deadline) != 0) {
            return -1;
        }
    }
    return 0;
}

/* recv_all - read fd until EOF before deadline into a capped buffer */
static char *recv_all(int fd, long long deadline, char *err, size_t err_len)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);

    while (buf != NULL) {
        if (len + 1 == cap) {
            char *bigger = cap * 2 > (size_t)HAPROXY_RESPONSE_MAX ? NULL : realloc(buf, cap * 2);
            if (bigger == NULL) {
                snprintf(err, err_len, "response larger than %ld bytes", HAPROXY_RESPONSE_MAX);
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n == 0) {
            buf[len] = '\0';
            return buf;
        }
        if (n > 0) {
            len += (size_t)n;
        } else if ((errno != EAGAIN && errno != EINTR) || wait_fd(fd, POLLIN, deadline) != 0) {
            snprintf(err, err_len, "read: %s", errno == EAGAIN ? "timed out" : strerror(errno));
            break;
        }
    }
    if (buf == NULL)
        snprintf(err, err_len, "out of memory");
    free(buf);
    return NULL;
}

/* haproxy_command - send one command, *out receives the answer (free it) */
int haproxy_command(const char *socket_path, const char *command, char **out, char *err,
                    size_t err_len)
{
    long long deadline = clock_call_deadline_clip(clock_mono_ms() + HAPROXY_TIMEOUT_MS);
    char line[HAPROXY_LINE_MAX];
    int fd, rc = -1;

    *out = NULL;
    if (deadline <= clock_mono_ms()) {
        snprintf(err, err_len, "no time left for a command: the call's deadline has passed");
        return -1;
    }
    if (socket_path == NULL || strchr(command, '\n') != NULL) {
        snprintf(err, err_len, "haproxy_command: no socket, or a newline in the command");
        return -1;
    }
    if ((size_t)snprintf(line, sizeof(line), "%s\n", command) >= sizeof(line)) {
        snprintf(err, err_len, "command too long");
        return -1;
    }
    if ((fd = connect_unix(socket_path, deadline, err, err_len)) < 0)
        return -1;
    if (send_all(fd, line, strlen(line), deadline) != 0) {
        snprintf(err, err_len, "write to %s failed or timed out", socket_path);
        goto out;
    }
    if ((*out = recv_all(fd, deadline, err, err_len)) == NULL)
        goto out;
    rc = 0;
out:
    close(fd);
    return rc;
}

/* trim_answer - the answer without surrounding white space, for messages */
static void trim_answer(char *s)
{
    size_t len = strlen(s);
    char *start = s;

    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    while (isspace((unsigned char)*start))
        start++;
    memmove(s, start, strlen(start) + 1);
}

/* command_expect - run command; success when the answer is empty or holds ok_word */
static int command_expect(const char *socket_path, const char *command, const char *ok_word,
                          char *err, size_t err_len)
{
    char *answer = NULL;
    int rc = -1;

    if (haproxy_command(socket_path, command, &answer, err, err_len) != 0)
        return -1;
    trim_answer(answer);
    if (answer[0] == '\0' || (ok_word != NULL && strstr(answer, ok_word) != NULL))
        rc = 0;
    else
        snprintf(err, err_len, "haproxy: %s: %.200s", command, answer);
    free(answer);
    return rc;
}

/* check_names - backend and server must be valid names */
static int check_names(const char *backend, const char *server, char *err, size_t err_len)
{
    if (!haproxy_name_valid(backend) || (server != NULL && !haproxy_name_valid(server))) {
        snprintf(err, err_len, "invalid haproxy backend or server name");
        return -1;
    }
    return 0;
}

/* haproxy_set_weight - set a server's weight (0..256) */
int haproxy_set_weight(const char *socket_path, const char *backend, const char *server,
                       int weight, char *err, size_t err_len)
{
    struct haproxy_weight one = {.weight = weight};

    if (snprintf(one.server, sizeof(one.server), "%s", server) >= (int)sizeof(one.server)) {
        snprintf(err, err_len, "invalid haproxy backend or server name");
        return -1;
    }
    return haproxy_set_weights(socket_path, backend, &one, 1, err, err_len);
}

/* haproxy_set_weights - several servers' weights in one connection */
int haproxy_set_weights(const char *socket_path, const char *backend,
                        const struct haproxy_weight *weights, size_t n, char *err, size_t err_len)
{
    char cmd[HAPROXY_LINE_MAX - 1];
    size_t used = 0;

    for (size_t i = 0; i < n; i++) {
        int len;

        if (check_names(backend, weights[i].server, err, err_len) != 0)
            return -1;
        if (weights[i].weight < 0 || weights[i].weight > HAPROXY_WEIGHT_MAX) {
            snprintf(err, err_len, "weight %d out of 0..%d", weights[i].weight, HAPROXY_WEIGHT_MAX);
            return -1;
        }
        len = snprintf(cmd + used, sizeof(cmd) - used, "%sset server %s/%s weight %d",
                       i ? ";" : "", backend, weights[i].server, weights[i].weight);
        if (len < 0 || (size_t)len >= sizeof(cmd) - used) {
            snprintf(err, err_len, "haproxy: %zu weights do not fit one command line", n);
            return -1;
        }
        used += (size_t)len;
    }
    return n ? command_expect(socket_path, cmd, NULL, err, err_len) : 0;
}

/* haproxy_get_weight - a server's current weight ("get weight": "10 (initial 0)") */
int haproxy_get_weight(const char *socket_path, const char *backend, const char *server,
                       int *weight, char *err, size_t err_len)
{
    char cmd[256], *answer = NULL, *end;
    long w;
    int rc = -1;

    if (check_names(backend, server, err, err_len) != 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "get weight %s/%s", backend, server);
    if (haproxy_command(socket_path, cmd, &answer, err, err_len) != 0)
        return -1;
    trim_answer(answer);
    w = strtol(answer, &end, 10);
    if (end == answer || w < 0 || w > HAPROXY_WEIGHT_MAX) {
        snprintf(err, err_len, "haproxy: %s: %.200s", cmd, answer);
        goto out;
    }
    *weight = (int)w;
    rc = 0;
out:
    free(answer);
    return rc;
}

/* haproxy_set_addr - point a server at addr:port */
int haproxy_set_addr(const char *socket_path, const char *backend, const char *server,
                     const char *addr, int port, char *err, size_t err_len)
{
    char cmd[256], *answer = NULL;
    int rc = -1;

    if (check_names(backend, server, err, err_len) != 0 || !haproxy_name_valid(addr)) {
        snprintf(err, err_len, "invalid haproxy name or address");
        return -1;
    }
    if (port < 1 || port > 65535) {
        snprintf(err, err_len, "port %d out of 1..65535", port);
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "set server %s/%s addr %s port %d", backend, server, addr, port);
    if (haproxy_command(socket_path, cmd, &answer, err, err_len) != 0)
        return -1;
    trim_answer(answer);
    if (strstr(answer, "changed") != NULL || strstr(answer, "no need to change") != NULL)
        rc = 0;
    else
        snprintf(err, err_len, "haproxy: %s: %.200s", cmd, answer);
    free(answer);
    return rc;
}

/* haproxy_set_state - ready, drain or maint */
int haproxy_set_state(const char *socket_path, const char *backend, const char *server,
                      enum haproxy_admin state, char *err, size_t err_len)
{
    static const char *const names[] = { "ready", "drain", "maint" };
    char cmd[256];

    if (check_names(backend, server, err, err_len) != 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "set server %s/%s state %s", backend, server, names[state]);
    return command_expect(socket_path, cmd, NULL, err, err_len);
}

/* copy_field - bounded copy of a parsed field */
static void copy_field(char *dst, size_t dst_len, const char *src)
{
    snprintf(dst, dst_len, "%s", src ? src : "");
}

/* state_status - status from the operational and administrative states and the
 * last check: HAProxy reports a server leaving maintenance as running before its
 * first check has passed, so a configured check must have passed too */
static enum haproxy_status state_status(int op_state, int admin_state, int check_result,
                                        int check_state)
{
    if (admin_state & HAPROXY_ADMF_MAINT)
        return HAPROXY_STATUS_MAINT;
    if (op_state != HAPROXY_OP_RUNNING)
        return HAPROXY_STATUS_DOWN;
    if ((check_state & HAPROXY_CHK_CONFIGURED) && check_result != HAPROXY_CHK_PASSED &&
        check_result != HAPROXY_CHK_CONDPASS)
        return HAPROXY_STATUS_DOWN;
    if (admin_state & HAPROXY_ADMF_DRAIN)
        return HAPROXY_STATUS_DRAIN;
    return HAPROXY_STATUS_UP;
}

/* parse_state_line - one server line of "show servers state" (format 1) */
static int parse_state_line(char *line, struct haproxy_server *sv)
{
    char *fields[32], *save = NULL, *tok;
    size_t n = 0;

    for (tok = strtok_r(line, " \t", &save); tok && n < 32; tok = strtok_r(NULL, " \t", &save))
        fields[n++] = tok;
    if (n < 19 || !isdigit((unsigned char)fields[0][0]))
        return -1;
    memset(sv, 0, sizeof(*sv));
    copy_field(sv->backend, sizeof(sv->backend), fields[1]);
    copy_field(sv->name, sizeof(sv->name), fields[3]);
    copy_field(sv->addr, sizeof(sv->addr), fields[4]);
    sv->weight = atoi(fields[7]);
    sv->status = state_status(atoi(fields[5]), atoi(fields[6]), atoi(fields[11]),
                              atoi(fields[13]));
    sv->port = atoi(fields[18]);
    return 0;
}

/* next_line - split the next line off *cursor (modifies the text) */
static char *next_line(char **cursor)
{
    char *line = *cursor, *nl;

    if (line == NULL || *line == '\0')
        return NULL;
    nl = strchr(line, '\n');
    if (nl != NULL) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = line + strlen(line);
    }
    return line;
}

/* haproxy_parse_servers_state - parse the answer of "show servers state" */
int haproxy_parse_servers_state(const char *text, struct haproxy_server *out, size_t max,
                                size_t *count, char *err, size_t err_len)
{
    char *copy = strdup(text), *cursor = copy, *line;
    int rc = -1;

    *count = 0;
    if (copy == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    while ((line = next_line(&cursor)) != NULL) {
        if (line[0] == '#' || line[strspn(line, " \t\r")] == '\0' || strcmp(line, "1") == 0)
            continue;
        if (*count == max) {
            snprintf(err, err_len, "more than %zu servers", max);
            goto out;
        }
        char saved[128];
        copy_field(saved, sizeof(saved), line);
        if (parse_state_line(line, &out[*count]) != 0) {
            snprintf(err, err_len, "haproxy: unexpected servers state line: %s", saved);
            goto out;
        }
        (*count)++;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

/* split_csv - split a CSV line in place (quotes honoured); the number of fields */
static size_t split_csv(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *r = line, *w = line;

    while (n < max) {
        int quoted = 0;
        fields[n++] = w;
        while (*r != '\0' && (quoted || *r != ',')) {
            if (*r == '"' && quoted && r[1] == '"')
                *w++ = *r++, r++;
            else if (*r == '"')
                quoted = !quoted, r++;
            else
                *w++ = *r++;
        }
        int more = *r == ',';
        *w++ = '\0';
        if (!more)
            break;
        r++;
    }
    return n;
}

/* stat_status - the status column as a status */
static enum haproxy_status stat_status(const char *s)
{
    if (strncmp(s, "UP", 2) == 0)
        return HAPROXY_STATUS_UP;
    if (strncmp(s, "MAINT", 5) == 0)
        return HAPROXY_STATUS_MAINT;
    if (strncmp(s, "DRAIN", 5) == 0 || strncmp(s, "NOLB", 4) == 0)
        return HAPROXY_STATUS_DRAIN;
    if (strncmp(s, "no check", 8) == 0)
        return HAPROXY_STATUS_NOCHECK;
    return HAPROXY_STATUS_DOWN;
}

struct stat_columns {
    int pxname, svname, status, weight, addr;
};

/* stat_columns_find - column numbers from the "# pxname,svname,..." header */
static int stat_columns_find(char *header, struct stat_columns *col)
{
    char *fields[HAPROXY_COLUMNS_MAX];
    size_t n = split_csv(header + 2, fields, HAPROXY_COLUMNS_MAX);

    *col = (struct stat_columns){ -1, -1, -1, -1, -1 };
    for (size_t i = 0; i < n; i++) {
        int *slot = strcmp(fields[i], "pxname") == 0   ? &col->pxname
                    : strcmp(fields[i], "svname") == 0 ? &col->svname
                    : strcmp(fields[i], "status") == 0 ? &col->status
                    : strcmp(fields[i], "weight") == 0 ? &col->weight
                    : strcmp(fields[i], "addr") == 0   ? &col->addr
                                                       : NULL;
        if (slot != NULL)
            *slot = (int)i;
    }
    return col->pxname < 0 || col->svname < 0 || col->status < 0 || col->weight < 0 ? -1 : 0;
}

/* stat_row - one server row of "show stat"; 1 when it is a server, 0 when not, -1 bad */
static int stat_row(char *line, const struct stat_columns *col, struct haproxy_server *sv)
{
    char *f[HAPROXY_COLUMNS_MAX], *colon;
    size_t n = split_csv(line, f, HAPROXY_COLUMNS_MAX);

    if (n <= (size_t)col->pxname || n <= (size_t)col->svname || n <= (size_t)col->status ||
        n <= (size_t)col->weight)
        return -1;
    if (strcmp(f[col->svname], "FRONTEND") == 0 || strcmp(f[col->svname], "BACKEND") == 0)
        return 0;
    memset(sv, 0, sizeof(*sv));
    copy_field(sv->backend, sizeof(sv->backend), f[col->pxname]);
    copy_field(sv->name, sizeof(sv->name), f[col->svname]);
    sv->status = stat_status(f[col->status]);
    sv->weight = atoi(f[col->weight]);
    if (col->addr >= 0 && (size_t)col->addr < n) {
        copy_field(sv->addr, sizeof(sv->addr), f[col->addr]);
        if ((colon = strrchr(sv->addr, ':')) != NULL) {
            sv->port = atoi(colon + 1);
            *colon = '\0';
        }
    }
    return 1;
}

/* haproxy_parse_stat - parse the CSV answer of "show stat" */
int haproxy_parse_stat(const char *text, struct haproxy_server *out, size_t max, size_t *count,
                       char *err, size_t err_len)
{
    char *copy = strdup(text), *cursor = copy, *line;
    struct stat_columns col;
    int have_header = 0, rc = -1, row;

    *count = 0;
    if (copy == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    while ((line = next_line(&cursor)) != NULL) {
        if (strncmp(line, "# ", 2) == 0) {
            have_header = stat_columns_find(line, &col) == 0;
            if (!have_header)
                break;
            continue;
        }
        if (line[strspn(line, " \t\r")] == '\0')
            continue;
        if (!have_header || *count == max)
            break;
        if ((row = stat_row(line, &col, &out[*count])) < 0)
            break;
        *count += (size_t)row;
    }
    if (line == NULL && have_header)
        rc = 0;
    else
        snprintf(err, err_len, "haproxy: unexpected show stat answer%s",
                 have_header && *count == max ? " (too many servers)" : "");
    free(copy);
    return rc;
}

/* show_parsed - run a show command and parse it with parse */
static int show_parsed(const char *socket_path, const char *cmd,
                       int (*parse)(const char *, struct haproxy_server *, size_t, size_t *,
                                    char *, size_t),
                       struct haproxy_server *out, size_t max, size_t *count, char *err,
                       size_t err_len)
{
    char *answer = NULL;
    int rc;

    if (haproxy_command(socket_path, cmd, &answer, err, err_len) != 0)
        return -1;
    rc = parse(answer, out, max, count, err, err_len);
    free(answer);
    return rc;
}

/* haproxy_servers_state - "show servers state <backend>", parsed */
int haproxy_servers_state(const char *socket_path, const char *backend,
                          struct haproxy_server *out, size_t max, size_t *count, char *err,
                          size_t err_len)
{
    char cmd[128];

    if (check_names(backend, NULL, err, err_len) != 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "show servers state %s", backend);
    return show_parsed(socket_path, cmd, haproxy_parse_servers_state, out, max, count, err,
                       err_len);
}

/* haproxy_stat - "show stat <backend> 4 -1" (the servers), parsed */
int haproxy_stat(const char *socket_path, const char *backend, struct haproxy_server *out,
                 size_t max, size_t *count, char *err, size_t err_len)
{
    char cmd[128];

    if (check_names(backend, NULL, err, err_len) != 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "show stat %s 4 -1", backend);
    return show_parsed(socket_path, cmd, haproxy_parse_stat, out, max, count, err, err_len);
}

/* state_append - one "show servers state [backend]" answer appended to f; the
 * version and header lines only when first */
static int state_append(const char *socket_path, const char *backend, int first, FILE *f,
                        char *err, size_t err_len)
{
    char cmd[128], *answer = NULL, *body;
    int rc = -1;

    if (backend != NULL && check_names(backend, NULL, err, err_len) != 0)
        return -1;
    if (backend != NULL)
        snprintf(cmd, sizeof(cmd), "show servers state %s", backend);
    else
        snprintf(cmd, sizeof(cmd), "show servers state");
    if (haproxy_command(socket_path, cmd, &answer, err, err_len) != 0)
        return -1;
    if (strncmp(answer, "1\n", 2) != 0) {
        trim_answer(answer);
        snprintf(err, err_len, "haproxy: %s: %.200s", cmd, answer);
        goto out;
    }
    body = answer + 2;
    if (!first && *body == '#')
        body = strchr(body, '\n') ? strchr(body, '\n') + 1 : body + strlen(body);
    if (fputs(first ? answer : body, f) == EOF) {
        snprintf(err, err_len, "write: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(answer);
    return rc;
}

/* haproxy_dump_state - write the servers state of backends (all when count is 0) to
 * path, a server-state-file, through a temporary file and a rename */
int haproxy_dump_state(const char *socket_path, const char *const *backends, size_t count,
                       const char *path, char *err, size_t err_len)
{
    char tmp[4096];
    FILE *f;
    int rc = 0;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp) ||
        (f = fopen(tmp, "w")) == NULL) {
        snprintf(err, err_len, "cannot write beside %s: %s", path, strerror(errno));
        return -1;
    }
    for (size_t k = 0; rc == 0 && k < (count > 0 ? count : 1); k++)
        rc = state_append(socket_path, count > 0 ? backends[k] : NULL, k == 0, f, err, err_len);
    if (fclose(f) != 0 && rc == 0) {
        snprintf(err, err_len, "write %s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, err_len, "rename %s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* haproxy_worker_pid - the Pid line of "show info": changes with each reload */
int haproxy_worker_pid(const char *socket_path, long *pid, char *err, size_t err_len)
{
    char *answer = NULL, *p;
    int rc = -1;

    if (haproxy_command(socket_path, "show info", &answer, err, err_len) != 0)
        return -1;
    p = strstr(answer, "\nPid: ");
    if (p == NULL && strncmp(answer, "Pid: ", 5) == 0)
        p = answer - 1;
    if (p != NULL && (*pid = strtol(p + 6, NULL, 10)) > 0)
        rc = 0;
    else
        snprintf(err, err_len, "haproxy: no Pid in show info");
    free(answer);
    return rc;
}

/* haproxy_reload - ask the master (master CLI socket) to reload */
int haproxy_reload(const char *master_socket_path, char *err, size_t err_len)
{
    char *answer = NULL;
    int rc = 0;

    if (haproxy_command(master_socket_path, "reload", &answer, err, err_len) != 0)
        return -1;
    if (strstr(answer, "Unknown command") != NULL || strstr(answer, "Failed") != NULL) {
        trim_answer(answer);
        snprintf(err, err_len, "haproxy master: reload: %.200s", answer);
        rc = -1;
    }
    free(answer);
    return rc;
}

/* weights_error - how far weights w put group 0 from share s[0], times the total */
static long long weights_error(const int s[2], const int n[2], const int w[2],
                               long long *total)
{
    *total = (long long)n[0] * w[0] + (long long)n[1] * w[1];
    return llabs(100LL * n[0] * w[0] - (long long)s[0] * *total);
}

/* haproxy_weights_for_shares - per-server weight of each of two groups: the group
 * with the larger share per instance tries every weight, the other follows by
 * rounding, and the pair nearest the wanted split wins (larger weights on ties) */
void haproxy_weights_for_shares(const int share[2], const int count[2], int weight[2])
{
    int s[2], n[2], big, small;
    long long best_err = -1, best_total = 1;

    for (int k = 0; k < 2; k++) {
        s[k] = share[k] < 0 ? 0 : share[k] > 100 ? 100 : share[k];
        n[k] = count[k] > 0 ? count[k] : 1;
    }
    if (s[0] == 0 || s[1] == 0) {
        for (int k = 0; k < 2; k++)
            weight[k] = s[k] > 0 ? HAPROXY_WEIGHT_MAX : 0;
        return;
    }
    big = (long long)s[0] * n[1] >= (long long)s[1] * n[0] ? 0 : 1;
    small = 1 - big;
    for (int t = HAPROXY_WEIGHT_MAX; t >= 1; t--) {
        long long num = (long long)t * s[small] * n[big], den = (long long)n[small] * s[big];
        long long total, err;
        int w[2];
        w[big] = t;
        w[small] = (int)((2 * num + den) / (2 * den));
        if (w[small] < 1)
            w[small] = 1;
        err = weights_error(s, n, w, &total);
        if (best_err < 0 || err * best_total < best_err * total) {
            best_err = err;
            best_total = total;
            weight[0] = w[0];
            weight[1] = w[1];
        }
    }
}

/* haproxy_share_from_totals - blue's share 0..100 from summed weights; -1 when both 0 */
int haproxy_share_from_totals(long blue_total, long green_total)
{
    long total = blue_total + green_total;

    if (blue_total < 0 || green_total < 0 || total == 0)
        return -1;
    return (int)((blue_total * 100 + total / 2) / total);
}
