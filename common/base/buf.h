/*
 * buf - a growable byte buffer with a hard cap, so that hostile input
 *       cannot grow memory without bound (curl's dynbuf).
 *
 * SYNOPSIS
 *	struct buf b;
 *	buf_init(&b, 1 << 20);
 *	if (buf_append(&b, data, n) != 0) ...	(over the cap, or out of memory)
 *	char *s = buf_steal(&b);		(the caller frees s)
 *	buf_free(&b);
 *
 * DESCRIPTION
 *	The data is always NUL-terminated. buf_free() wipes the memory first:
 *	buffers may hold secrets (signed requests, credentials).
 */
#ifndef CUTOVER_BUF_H
#define CUTOVER_BUF_H

#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t size;  /* allocated */
    size_t limit; /* hard cap on len */
};

void buf_init(struct buf *b, size_t limit);
int buf_append(struct buf *b, const void *data, size_t len); /* -1: over cap */
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
/* buf_printf - append formatted text; -1 over the cap */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* buf_read_file - append the whole file at path; -1 with errno set (EFBIG: over the cap) */
int buf_read_file(struct buf *b, const char *path);
void buf_reset(struct buf *b);
/* buf_steal - hand the data to the caller (never NULL); b becomes empty */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
