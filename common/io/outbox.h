/*
 * outbox - events written in a transaction, published after it commits.
 *
 * SYNOPSIS
 *	outbox_add(db, "green-scaled", environment, value);	(inside a transaction)
 *	outbox_publish(outbox);		(after commit; also on the sweeper's timer)
 *
 * DESCRIPTION
 *	A row is published only once its transaction is behind every snapshot
 *	(txid < xmin), in the order of the writing transactions' ids, so that
 *	a later commit never overtakes an earlier one. Rows are claimed with a
 *	short lease (FOR UPDATE SKIP LOCKED) so that several processes do not
 *	send the same row at the same time; a delivery report marks the row
 *	sent. After a crash, the lease runs out and the sweeper sends the row
 *	again: delivery is at least once, and consumers dedupe by (source, id).
 *
 *	Metrics: cutover_outbox_publish_latency_seconds, from a row's insert
 *	to the broker's acknowledgement, and cutover_outbox_delivery_failures_total;
 *	outbox_backlog() reads what is still unsent, for a collector.
 */
#ifndef CUTOVER_OUTBOX_H
#define CUTOVER_OUTBOX_H

#include "io/db.h"
#include "io/kafka.h"

struct outbox;

struct outbox *outbox_create(struct db *db, struct kafka_producer *producer);
void outbox_free(struct outbox *o);

int outbox_add(struct db *db, const char *topic, const char *key, const char *value);
/* outbox_publish - send what is committed and unclaimed; the number sent or -1 */
int outbox_publish(struct outbox *o);
/* outbox_delivered - the producer's delivery report for a row */
void outbox_delivered(struct outbox *o, rd_kafka_resp_err_t err, void *opaque);
/* outbox_pending - rows sent and not yet acknowledged */
unsigned outbox_pending(const struct outbox *o);
/* outbox_backlog - rows not yet acknowledged (every writer's), and the
 * age of the oldest in seconds (0 when none); 0 or -1 */
int outbox_backlog(struct outbox *o, double *rows, double *oldest_seconds);

#endif
