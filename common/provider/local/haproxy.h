/*
 * haproxy - a client of HAProxy's Runtime API and master CLI.
 *
 * SYNOPSIS
 *	char err[256];
 *	haproxy_set_weight(sock, "shop", "blue1", 128, err, sizeof(err));
 *	haproxy_set_state(sock, "shop", "blue1", HAPROXY_ADMIN_READY, err, sizeof(err));
 *	struct haproxy_server sv[HAPROXY_SERVERS_MAX];
 *	size_t n;
 *	haproxy_servers_state(sock, "shop", sv, HAPROXY_SERVERS_MAX, &n, err, sizeof(err));
 *	haproxy_reload(master_sock, err, sizeof(err));
 *	int share[2] = { 10, 90 }, count[2] = { 3, 2 }, weight[2];
 *	haproxy_weights_for_shares(share, count, weight);	(per-server weights)
 *
 * DESCRIPTION
 *	Each command opens its own connection to the UNIX socket, writes one
 *	line and reads the answer until HAProxy closes the connection (the
 *	non-interactive mode). Reading is bounded by HAPROXY_TIMEOUT_MS and
 *	HAPROXY_RESPONSE_MAX. Names that go into a command (backends,
 *	servers) must pass haproxy_name_valid(): the Runtime API splits a line
 *	on ';' and on white space, so a hostile name could add a command.
 *
 *	Server health and weights come from "show servers state" (user weight,
 *	operational and administrative state) or "show stat" (the status
 *	column: UP, DOWN, MAINT, DRAIN, no check). Both parsers are exposed for
 *	tests and take the text HAProxy answers.
 *
 *	Weights are relative in HAProxy. haproxy_weights_for_shares() maps
 *	two groups' shares (0..100) and instance counts to per-server weights
 *	(1..256, 0 for a share of 0) so that the shares hold whatever the
 *	counts: it searches the pair nearest the wanted split. Within 0.6
 *	points for counts up to 4; multiples of 5 read back exactly for
 *	counts up to 8. (Extremes such as 1 % over 4 instances against 99 %
 *	over 1 cannot be expressed in 1..256 and come out 1.5 points off.)
 *	haproxy_share_from_totals() goes back from the summed weights.
 *
 *	Every function returns 0 on success, -1 with a message in err.
 */
#ifndef CUTOVER_HAPROXY_H
#define CUTOVER_HAPROXY_H

#include <stddef.h>

#define HAPROXY_TIMEOUT_MS    3000
#define HAPROXY_RESPONSE_MAX  (4L * 1024 * 1024)
#define HAPROXY_NAME_MAX      63
#define HAPROXY_SERVERS_MAX   512
#define HAPROXY_WEIGHT_MAX    256

enum haproxy_admin { HAPROXY_ADMIN_READY, HAPROXY_ADMIN_DRAIN, HAPROXY_ADMIN_MAINT };

enum haproxy_status {
    HAPROXY_STATUS_UP,      /* running and checks pass */
    HAPROXY_STATUS_DOWN,    /* checks fail, or going up or down */
    HAPROXY_STATUS_MAINT,   /* administratively disabled */
    HAPROXY_STATUS_DRAIN,   /* up, but takes no new traffic */
    HAPROXY_STATUS_NOCHECK, /* no health check configured */
};

struct haproxy_server {
    char backend[HAPROXY_NAME_MAX + 1];
    char name[HAPROXY_NAME_MAX + 1];
    char addr[64];
    int port;                   /* 0 when unknown */
    int weight;                 /* servers state: user weight; stat: effective */
    enum haproxy_status status;
};

const char *haproxy_status_name(enum haproxy_status status);
int haproxy_name_valid(const char *name);

/* haproxy_command - send one command, *out receives the answer (free it) */
int haproxy_command(const char *socket_path, const char *command, char **out, char *err,
                    size_t err_len);

int haproxy_set_weight(const char *socket_path, const char *backend, const char *server,
                       int weight, char *err, size_t err_len);

/* One server's weight in haproxy_set_weights. */
struct haproxy_weight {
    char server[32];
    int weight;
};

/* haproxy_set_weights - several servers of backend in one connection, in
 * the order given ("cmd;cmd": HAProxy runs them one after the other) */
int haproxy_set_weights(const char *socket_path, const char *backend,
                        const struct haproxy_weight *weights, size_t n, char *err, size_t err_len);
int haproxy_get_weight(const char *socket_path, const char *backend, const char *server,
                       int *weight, char *err, size_t err_len);
int haproxy_set_addr(const char *socket_path, const char *backend, const char *server,
                     const char *addr, int port, char *err, size_t err_len);
int haproxy_set_state(const char *socket_path, const char *backend, const char *server,
                      enum haproxy_admin state, char *err, size_t err_len);

/* haproxy_servers_state - "show servers state <backend>", parsed */
int haproxy_servers_state(const char *socket_path, const char *backend,
                          struct haproxy_server *out, size_t max, size_t *count, char *err,
                          size_t err_len);
/* haproxy_stat - "show stat <backend> 4 -1" (the servers), parsed */
int haproxy_stat(const char *socket_path, const char *backend, struct haproxy_server *out,
                 size_t max, size_t *count, char *err, size_t err_len);
int haproxy_parse_servers_state(const char *text, struct haproxy_server *out, size_t max,
                                size_t *count, char *err, size_t err_len);
int haproxy_parse_stat(const char *text, struct haproxy_server *out, size_t max,
                       size_t *count, char *err, size_t err_len);

/* haproxy_dump_state - write the servers state of backends (all when count is 0) to
 * path, a server-state-file that a backend loads after a reload */
int haproxy_dump_state(const char *socket_path, const char *const *backends, size_t count,
                       const char *path, char *err, size_t err_len);
/* haproxy_worker_pid - the Pid line of "show info": changes with each reload */
int haproxy_worker_pid(const char *socket_path, long *pid, char *err, size_t err_len);
/* haproxy_reload - ask the master (master CLI socket) to reload */
int haproxy_reload(const char *master_socket_path, char *err, size_t err_len);

/* haproxy_weights_for_shares - per-server weight of each of two groups */
void haproxy_weights_for_shares(const int share[2], const int count[2], int weight[2]);
/* haproxy_share_from_totals - blue's share 0..100 from summed weights; -1 when both 0 */
int haproxy_share_from_totals(long blue_total, long green_total);

#endif
