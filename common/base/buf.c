/*
 * buf - a growable byte buffer with a hard cap (see buf.h).
 */
#include "base/buf.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* buf_init - an empty buffer that never holds more than limit bytes */
void buf_init(struct buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->size = 0;
    b->limit = limit;
}

/* buf_append - add bytes; -1 when the cap or memory runs out */
int buf_append(struct buf *b, const void *data, size_t len)
{
    if (len > b->limit - b->len)
        return -1;
    if (b->len + len + 1 > b->size) {
        size_t size = b->size ? b->size : 256;
        while (size < b->len + len + 1)
            size *= 2;
        char *p = realloc(b->data, size);
        if (!p)
            return -1;
        b->data = p;
        b->size = size;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

/* buf_puts - add a string */
int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

/* buf_putc - add one byte */
int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

/* buf_printf - append formatted text */
int buf_printf(struct buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof(small))
        return buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (big == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

/* buf_read_file - append the whole file at path; -1 with errno set (EFBIG: over the cap) */
int buf_read_file(struct buf *b, const char *path)
{
    FILE *f = fopen(path, "re");
    char chunk[8192];
    size_t n;
    int rc = 0, saved;

    if (f == NULL)
        return -1;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(b, chunk, n) != 0) {
            errno = b->len + n > b->limit ? EFBIG : ENOMEM;
            rc = -1;
        }
    if (rc == 0 && ferror(f)) {
        errno = EIO;
        rc = -1;
    }
    saved = errno;
    fclose(f);
    errno = saved;
    return rc;
}

/* buf_reset - empty the buffer, keep its memory */
void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* buf_steal - hand the data over; NULL only when out of memory */
char *buf_steal(struct buf *b)
{
    char *p = b->data ? b->data : strdup("");

    b->data = NULL;
    b->len = b->size = 0;
    return p;
}

/* buf_free - release the memory (wiped: buffers may hold secrets) */
void buf_free(struct buf *b)
{
    if (b->data)
        OPENSSL_cleanse(b->data, b->size);
    free(b->data);
    b->data = NULL;
    b->len = b->size = 0;
}
