/*
 * outbox - events written in a transaction, published after it commits.
 *
 * SYNOPSIS
 *	outbox_add(db, "green-scaled", environment, value);	(inside a transaction)
 *	outbox_publish_soon(outbox);	(after a commit that wrote rows)
 *	outbox_publish(outbox);		(on the sweeper's timer)
 *
 * DESCRIPTION
 *	A row is published only once its transaction is behind every snapshot
 *	(txid < xmin), in the order of the writing transactions' ids, so that
 *	a later commit never overtakes an earlier one. Rows are claimed with a
 *	short lease (FOR UPDATE SKIP LOCKED) so that several processes do not
 *	send the same row at the same time; delivery reports mark their rows
 *	sent, one statement for those that come in one turn of the loop. A
 *	row names its topic in full, with the writer's topic prefix, so that
 *	a process of another installation sharing the database sends it
 *	where its writer meant (migration 0017). After a crash, the lease
 *	runs out and the sweeper sends the row
 *	again: delivery is at least once, and consumers dedupe by (source, id).
 *
 *	Right after a commit, a transaction that began earlier and is still
 *	open holds the new rows back. outbox_publish_soon() therefore claims
 *	again after 1, 2, 4 ... ms while it finds nothing, for about half a
 *	second in all (OUTBOX_SOON_MAX_MS), so that a follow-up event does not
 *	wait for the sweeper.
 *
 *	A claim after a commit starts at the xmin of this publisher's last
 *	claim that took fewer rows than it could: every row committed below
 *	it was claimable then and was claimed, by this process or another.
 *	Rows marked sent leave dead entries in the index of unsent rows until
 *	vacuum; a claim from the first transaction on walked all of them
 *	(0.49 ms with 0.02 ms from the bound, on a table of 500,000 rows).
 *	outbox_publish(), the sweeper's, claims from the first transaction
 *	on: rows whose lease ran out (their publisher died, or their delivery
 *	failed) and rows a concurrent claim locked and let go.
 *
 *	A publisher with OUTBOX_PENDING_MAX rows handed to the producer and
 *	not yet acknowledged claims no more until reports come back: rows it
 *	cannot send at once stay unclaimed for another process or for later.
 *	Without that bound, a burst (thousands of deployments at once, on a
 *	loaded machine) made publishers claim faster than the broker
 *	acknowledged: the producer's queue filled ("Queue full"), claimed rows
 *	outlived their leases unsent or unacknowledged and were sent again by
 *	other processes, and every duplicate a worker received became a
 *	dead-letter row, more to publish.
 *
 *	Metrics: cutover_outbox_publish_latency_seconds, from a row's insert
 *	to the broker's acknowledgement, and cutover_outbox_delivery_failures_total;
 *	outbox_backlog() reads what is still unsent, for a collector.
 */
#ifndef CUTOVER_OUTBOX_H
#define CUTOVER_OUTBOX_H

#include "io/db.h"
#include "io/kafka.h"

#include <event2/event.h>

#define OUTBOX_PENDING_MAX 2000
/* A claimed row's lease: longer than one delivery may take, so that no
 * other process claims a row while its delivery can still succeed. */
#define OUTBOX_LEASE_MS (KAFKA_MESSAGE_TIMEOUT_MS + 5000)
_Static_assert(OUTBOX_LEASE_MS > KAFKA_MESSAGE_TIMEOUT_MS,
               "an outbox row's lease outlasts its delivery");

struct outbox;

/* outbox_create - a publisher of db's outbox through producer; base runs
 * outbox_publish_soon's retries */
struct outbox *outbox_create(struct db *db, struct kafka_producer *producer,
                             struct event_base *base);
void outbox_free(struct outbox *o);

int outbox_add(struct db *db, const char *topic, const char *key, const char *value);
/* outbox_publish - send what is committed and unclaimed; the number sent
 * (0 while OUTBOX_PENDING_MAX rows await acknowledgement) or -1 */
int outbox_publish(struct outbox *o);
/* outbox_publish_soon - outbox_publish after a commit that wrote rows;
 * while it sends nothing (held back by an older open transaction), again
 * after a doubling delay */
void outbox_publish_soon(struct outbox *o);
/* outbox_delivered - the producer's delivery report for a row; the row is
 * marked sent when the loop's current callbacks are done (or by
 * outbox_free, after the producer's flush) */
void outbox_delivered(struct outbox *o, rd_kafka_resp_err_t err, void *opaque);
/* outbox_pending - rows sent and not yet acknowledged */
unsigned outbox_pending(const struct outbox *o);
/* outbox_backlog - rows not yet acknowledged (every writer's), and the
 * age of the oldest in seconds (0 when none); 0 or -1 */
int outbox_backlog(struct outbox *o, double *rows, double *oldest_seconds);

#endif
