/*
 * worker_audit - the audit trail of commands (migration 0010) and the
 *	replay table of signed ones, written in the worker's transaction.
 *
 * SYNOPSIS
 *	if (worker_audit_replayed(db, &verdict, &ev, &rec) == 1)
 *		refuse as replayed;
 *	worker_audit_add(db, &verdict, &ev, &rec, "accepted", NULL, NULL, "shifter");
 *
 * DESCRIPTION
 *	worker_audit_replayed remembers a verified (fingerprint, event id)
 *	with its Kafka position: the same record again (a redelivery, or a
 *	second worker consuming the topic) is no replay; the pair at another
 *	position is. worker_audit_add appends one line; a line already there
 *	for that record and outcome is left as it is. Both return -1 on a
 *	database failure (db_transient tells whether to retry).
 *	worker_audit_warn_unsigned is called once at start-up.
 */
#ifndef CUTOVER_WORKER_AUDIT_H
#define CUTOVER_WORKER_AUDIT_H

#include "io/db.h"
#include "io/event.h"
#include "worker/worker_auth.h"

/* worker_audit_replayed - 1 replayed, 0 first seen here, -1 database failure */
int worker_audit_replayed(struct db *db, const struct auth_verdict *v,
                          const struct cloud_event *ev, const struct event_record *rec);

/* worker_audit_add - one line: outcome "accepted" or "refused", code and reason of a
 * refusal (NULL when accepted); 0 or -1 */
int worker_audit_add(struct db *db, const struct auth_verdict *v, const struct cloud_event *ev,
                     const struct event_record *rec, const char *outcome,
                     const struct event_error *refusal, const char *worker);

/* worker_audit_warn_unsigned - log a SECURITY warning for each production environment
 * that takes unsigned commands; how many, or -1 on a database failure */
int worker_audit_warn_unsigned(struct db *db);

#endif
