/*
 * web_db - the web's one database connection: a statement timeout so
 *          that no request holds the loop for long, and a single
 *          reconnection attempt (at most one a second) when it broke, so
 *          that an outage costs 503s, never a stalled process.
 */
#include "web/web_internal.h"

#include "base/log.h"

/* web_db_prepare - session settings of a fresh connection */
int web_db_prepare(struct db *db)
{
    const char *params[] = {WEB_STATEMENT_TIMEOUT_MS};

    return db_exec(db, "SELECT set_config('statement_timeout', $1, false)", 1, params);
}

/* web_db - the database, reset once when the connection broke */
struct db *web_db(struct web *w)
{
    time_t now = time(NULL);

    if (db_ok(w->db))
        return w->db;
    if (now == w->db_reset_at)
        return NULL;
    w->db_reset_at = now;
    PQreset(db_conn(w->db));
    if (!db_ok(w->db) || web_db_prepare(w->db) != 0) {
        log_warn("database still unreachable; the API answers 503");
        return NULL;
    }
    log_info("database connection re-established");
    return w->db;
}
