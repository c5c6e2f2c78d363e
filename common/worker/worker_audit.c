/*
 * worker_audit - the command audit trail and the replay table (see
 *	worker_audit.h); parameterized SQL only.
 */
#include "worker/worker_audit.h"

#include "base/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The Kafka position of a record as text, for SQL parameters. */
struct audit_position {
    char partition[16];
    char offset[32];
};

/* audit_position_of - rec's partition and offset as text */
static void audit_position_of(const struct event_record *rec, struct audit_position *pos)
{
    snprintf(pos->partition, sizeof(pos->partition), "%d", (int)rec->partition);
    snprintf(pos->offset, sizeof(pos->offset), "%" PRId64, rec->offset);
}

/* worker_audit_replayed - (fingerprint, id) seen before at another position. Two
 * statements: when another worker's transaction holding the same pair commits while
 * the insert waits for it, only a statement started after that sees its row */
int worker_audit_replayed(struct db *db, const struct auth_verdict *v,
                          const struct cloud_event *ev, const struct event_record *rec)
{
    struct audit_position pos;
    const char *params[] = {v->fingerprint, ev->id, rec->topic, pos.partition, pos.offset};
    PGresult *res;
    int replayed;

    audit_position_of(rec, &pos);
    res = db_query(db,
                   "INSERT INTO signed_commands (fingerprint, event_id, topic, partition,"
                   " \"offset\") VALUES ($1, $2, $3, $4::int, $5::bigint)"
                   " ON CONFLICT DO NOTHING RETURNING 1",
                   5, params);
    if (res == NULL)
        return -1;
    replayed = PQntuples(res) == 0;
    PQclear(res);
    if (!replayed)
        return 0;
    res = db_query(db,
                   "SELECT NOT EXISTS (SELECT 1 FROM signed_commands WHERE fingerprint = $1"
                   " AND event_id = $2 AND topic = $3 AND partition = $4::int"
                   " AND \"offset\" = $5::bigint)",
                   5, params);
    if (res == NULL)
        return -1;
    replayed = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return replayed;
}

/* audit_data_text - a string member of the event's data, NULL when absent */
static const char *audit_data_text(const struct cloud_event *ev, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(ev->data, name);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* audit_claimed_by - who the event says sent it (requested_by, approved_by) */
static const char *audit_claimed_by(const struct cloud_event *ev)
{
    const char *by = audit_data_text(ev, "requested_by");

    return by != NULL ? by : audit_data_text(ev, "approved_by");
}

/* worker_audit_add - append one line of the audit trail */
int worker_audit_add(struct db *db, const struct auth_verdict *v, const struct cloud_event *ev,
                     const struct event_record *rec, const char *outcome,
                     const struct event_error *refusal, const char *worker)
{
    struct audit_position pos;
    const char *params[] = {
        ev->subject, audit_data_text(ev, "deployment_id"), v->action, outcome,
        refusal ? event_status_code(refusal->status) : NULL, refusal ? refusal->message : NULL,
        v->principal[0] ? v->principal : NULL, v->fingerprint[0] ? v->fingerprint : NULL,
        audit_claimed_by(ev), v->is_signed ? "t" : "f", ev->source, ev->id, rec->topic,
        pos.partition, pos.offset, worker,
    };

    audit_position_of(rec, &pos);
    return db_exec(db,
                   "INSERT INTO command_audit (environment, deployment_id, action, outcome, code,"
                   " reason, principal, fingerprint, requested_by, signed, event_source, event_id,"
                   " topic, partition, \"offset\", worker) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
                   " $9, $10::boolean, $11, $12, $13, $14::int, $15::bigint, $16)"
                   " ON CONFLICT DO NOTHING",
                   16, params);
}

/* worker_audit_warn_unsigned - a SECURITY warning in the log for each production
 * environment that takes unsigned commands; the number of them, -1 on a database failure */
int worker_audit_warn_unsigned(struct db *db)
{
    PGresult *res = db_query(db, "SELECT name, config::text FROM environments ORDER BY name", 0,
                             NULL);
    struct auth_policy policy;
    char err[256];
    int warned = 0;

    if (res == NULL)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        cJSON *config = cJSON_Parse(PQgetvalue(res, i, 1));

        if (auth_policy_load(&policy, config, err, sizeof(err)) == 0) {
            if (auth_unsigned_warning(&policy)) {
                log_warn("SECURITY: production environment %s accepts unsigned commands"
                         " (signatures optional)", PQgetvalue(res, i, 0));
                warned++;
            }
            auth_policy_free(&policy);
        }
        cJSON_Delete(config);
    }
    PQclear(res);
    return warned;
}
