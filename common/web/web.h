/*
 * web - cutover-web's HTTP side: the status page, the JSON API, health
 *       checks and the per-environment metrics, all read-only, and the
 *       alarm receivers, which turn monitoring's webhooks into alarm-fired
 *       events.
 *
 * SYNOPSIS
 *	struct web *w = web_create(base, db, config_get("CUTOVER_WEB_ADDR"),
 *	                           err, sizeof(err));
 *	log_info("listening on port %d", web_port(w));
 *	event_base_dispatch(base);
 *	web_free(w);
 *
 * DESCRIPTION
 *	Routes (GET and HEAD unless said otherwise; other methods 405,
 *	unknown paths 404, with io/httpd.h's limits on headers, bodies and
 *	slow clients):
 *	  /                              the status page (index.html, app.js,
 *	                                 app.css: embedded, no external asset)
 *	  /api/v1/environments           {"environments": [status document...]}
 *	  /api/v1/environments/NAME      NAME's status document (as cutover
 *	                                 status NAME --json), 404 when unknown
 *	  /api/v1/environments/NAME/history[?limit=N]
 *	                                 NAME's history (as cutover history
 *	                                 NAME --json --limit N; default 20)
 *	  /healthz                       200 while the process runs
 *	  /readyz                        200 when the database answers, else 503
 *	  /metrics                       the process's registry and, read from
 *	                                 PostgreSQL at each scrape, the
 *	                                 environments' gauges (web_metrics.c)
 *	  POST /v1/alarms/alertmanager   Alertmanager's webhook (web_alertmanager.c)
 *	  POST /v1/alarms/eventbridge    EventBridge's CloudWatch alarm state
 *	                                 changes (web_eventbridge.c)
 *	The documents come from saga/status.h, the one source cutover status
 *	also reads. A database that stops answering makes the API, readyz
 *	and the receivers answer 503 and is reconnected on a later request;
 *	healthz and the page keep working. The receivers are the only
 *	writers: alarm receipts and the outbox, which cutover-web's own
 *	producer publishes (web_alarms.c); POST bodies up to
 *	CUTOVER_WEB_MAX_BODY.
 */
#ifndef CUTOVER_WEB_H
#define CUTOVER_WEB_H

#include "io/db.h"

#include <event2/event.h>
#include <stddef.h>

struct web;

/* web_create - serve on addr with db (not taken); NULL with err (a
 * receiver's secret that cannot be read, the Kafka producer, the address) */
struct web *web_create(struct event_base *base, struct db *db, const char *addr, char *err,
                       size_t err_len);
void web_free(struct web *w);
/* web_port - the port the web listens on */
int web_port(const struct web *w);

#endif
