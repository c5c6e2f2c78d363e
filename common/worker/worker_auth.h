/*
 * worker_auth - who may do what: an environment's signature policy
 *	(signatures, signers, permissions) and the verdict on one signed
 *	command. Pure: no database, no clock; the caller gives the event's
 *	age and keeps the replay table (worker_audit.h).
 *
 * SYNOPSIS
 *	struct auth_policy policy;
 *	if (auth_policy_load(&policy, environment_config, err, sizeof(err)) != 0)
 *		refuse the document;			(err says which key or role)
 *	struct auth_verdict v;
 *	auth_verify(&policy, &rec, &ev, age_seconds, &v);
 *	if (v.status != EVENT_OK)
 *		dead-letter with v.status, v.message;
 *	auth_policy_free(&policy);
 *
 * DESCRIPTION
 *	Commands are the records that people and monitoring send: build-ready
 *	(action "build-ready"), alarm-fired ("alarm-fired"), shift-requested
 *	(its data.action: shift, promote, pause, resume, rollback, abort,
 *	drill) and a green-validated that carries approved_by ("approve").
 *	Everything else is the workers' own traffic and is not judged here
 *	(Kafka's ACLs guard who writes it).
 *
 *	The environment document's members:
 *	  signatures   "required" or "optional"; default "required" when
 *	               signers lists principals, else "optional";
 *	  signers      {principals: [{name, key, roles}], permissions:
 *	               {action: [roles]}, window_seconds (300), skew_seconds
 *	               (60)}; permissions default to AUTH_DEFAULT_PERMISSIONS
 *	               and an action given replaces its default;
 *	  production   true: running with signatures optional is warned about.
 *
 *	A command without a signature passes under "optional" (unverified)
 *	and is refused as unsigned under "required". A signed command is
 *	always verified: its canonical form (io/event_canon.h; a binary-mode
 *	record is put in structured form first) must carry an SSHSIG in
 *	namespace cutover:<subject> by one of the principals' keys
 *	(bad-signature, unknown-signer), its time must lie within the window
 *	and the skew (expired), and one of the signer's roles must be allowed
 *	the action (not-authorized).
 */
#ifndef CUTOVER_WORKER_AUTH_H
#define CUTOVER_WORKER_AUTH_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "io/event.h"
#include "io/sshsig.h"

#define AUTH_NAME_MAX 128
#define AUTH_ACTION_MAX 32
#define AUTH_MAX_PRINCIPALS 256
#define AUTH_DEFAULT_WINDOW_SECONDS 300
#define AUTH_DEFAULT_SKEW_SECONDS 60
#define AUTH_DEFAULT_PERMISSIONS                                                              \
    "{\"build-ready\":[\"deployer\"],\"alarm-fired\":[\"monitor\"],\"shift\":[\"operator\"],"  \
    "\"pause\":[\"operator\"],\"resume\":[\"operator\"],\"rollback\":[\"operator\"],"          \
    "\"abort\":[\"operator\"],\"drill\":[\"operator\"],\"approve\":[\"approver\"],"            \
    "\"promote\":[\"approver\"]}"

struct auth_policy {
    int required;      /* signatures "required" */
    int production;    /* production-like: warn while signatures are optional */
    long window_seconds;
    long skew_seconds;
    size_t count;      /* principals */
    char (*names)[AUTH_NAME_MAX];
    cJSON **roles;     /* each principal's roles (arrays owned by doc) */
    struct sshsig_key *keys;
    cJSON *permissions; /* action -> [roles], defaults merged; owned */
};

struct auth_verdict {
    enum event_status status;         /* EVENT_OK: accepted */
    int is_command;                   /* 0: not judged (the workers' own events) */
    int is_signed;                    /* carried a signature */
    char action[AUTH_ACTION_MAX];
    char principal[AUTH_NAME_MAX];    /* "" unless the signature verified */
    char fingerprint[SSHSIG_FINGERPRINT_MAX];
    char message[256];
};

/* auth_policy_load - the policy of an environment document (config may be NULL);
 * 0, or -1 with err naming the bad member (a key that does not parse, ...) */
int auth_policy_load(struct auth_policy *p, const cJSON *config, char *err, size_t err_len);
void auth_policy_free(struct auth_policy *p);

/* auth_action - the command a record is ("shift", "approve", ...) into out, or 0 when
 * the record is no command */
int auth_action(const char *topic, const cJSON *data, char *out, size_t out_len);

/* auth_verify - the verdict on a record for its environment's policy; age_seconds is
 * now minus the event's time (negative: from the future) */
void auth_verify(const struct auth_policy *p, const struct event_record *rec,
                 const struct cloud_event *ev, double age_seconds, struct auth_verdict *v);

/* auth_unsigned_warning - 1 when p is production-like and lets unsigned commands in */
int auth_unsigned_warning(const struct auth_policy *p);

#endif
