/*
 * outbox_probe - write one event into the outbox as a worker's transaction
 *                does, and leave it for another process to publish.
 *
 * SYNOPSIS
 *	outbox_probe TOPIC KEY VALUE
 *	(CUTOVER_DATABASE_URL and CUTOVER_TOPIC_PREFIX as a worker has them)
 *
 * DESCRIPTION
 *	Commits one outbox_add() of VALUE under KEY for the short topic
 *	TOPIC and exits without publishing it, as a process that dies right
 *	after its commit: the sweeper of whichever process runs next sends
 *	it. Exit status 0, 1 when the database refused, 2 on bad usage.
 */
#include "base/config.h"
#include "base/log.h"
#include "io/db.h"
#include "io/outbox.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    struct db *db;
    int rc;

    if (argc != 4) {
        fprintf(stderr, "usage: outbox_probe TOPIC KEY VALUE\n");
        return 2;
    }
    log_init("outbox_probe");
    if (config_start("outbox_probe", 0) >= 0)
        return 2;
    if ((db = db_connect(NULL)) == NULL)
        return 1;
    rc = db_begin(db) == 0 && outbox_add(db, argv[1], argv[2], argv[3]) == 0 && db_commit(db) == 0;
    db_close(db);
    config_free();
    return rc ? 0 : 1;
}
