/*
 * log - JSON lines on stderr.
 *
 * SYNOPSIS
 *	log_init("scaler");
 *	log_context_set(environment, deployment_id, event_id);
 *	log_info("record handled offset=%lld", (long long)offset);
 *
 * DESCRIPTION
 *	Every line is one JSON object: ts (RFC 3339, UTC, milliseconds),
 *	level, worker, msg, and environment, deployment_id, event_id when the
 *	context knows them. Severities follow Postfix's msg(3):
 *	info and warn are recoverable, error is counted, fatal exits non-zero
 *	(configuration or environment: let the supervisor restart us), panic
 *	aborts (a broken invariant). Never log a secret.
 */
#ifndef CUTOVER_LOG_H
#define CUTOVER_LOG_H

#include <stdarg.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL, LOG_PANIC };

void log_init(const char *worker);
const char *log_worker_name(void);
void log_set_level(enum log_level min_level);
int log_level_parse(const char *name, enum log_level *out);

/* Context fields; NULL clears one. Strings are copied. */
void log_context_set(const char *environment, const char *deployment_id, const char *event_id);
void log_context_clear(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* log_fatal - log and exit(1); log_panic - log and abort(). */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Number of error-level lines so far (a metric). */
unsigned long log_error_count(void);

#endif
