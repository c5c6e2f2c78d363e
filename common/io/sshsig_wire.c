/*
 * sshsig_wire - the SSH wire encoding, bounds-checked, and base64
 *	(see sshsig_wire.h).
 */
#include "io/sshsig_wire.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define SSH_B64_INVALID 0xff

/* ssh_read_u8 - one byte */
int ssh_read_u8(struct ssh_reader *r, unsigned char *v)
{
    const unsigned char *p;

    if (ssh_read_bytes(r, 1, &p) != 0)
        return -1;
    *v = p[0];
    return 0;
}

/* ssh_read_u32 - a big-endian uint32 */
int ssh_read_u32(struct ssh_reader *r, uint32_t *v)
{
    const unsigned char *p;

    if (ssh_read_bytes(r, 4, &p) != 0)
        return -1;
    *v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return 0;
}

/* ssh_read_bytes - the next n bytes in place; -1 when fewer are left */
int ssh_read_bytes(struct ssh_reader *r, size_t n, const unsigned char **out)
{
    if (n > r->left)
        return -1;
    *out = r->p;
    r->p += n;
    r->left -= n;
    return 0;
}

/* ssh_read_string - uint32 length, then the bytes; the reader is unchanged on failure */
int ssh_read_string(struct ssh_reader *r, const unsigned char **s, size_t *len)
{
    struct ssh_reader save = *r;
    uint32_t n;

    if (ssh_read_u32(r, &n) != 0 || ssh_read_bytes(r, n, s) != 0) {
        *r = save;
        return -1;
    }
    *len = n;
    return 0;
}

/* ssh_read_string_eq - a string equal to text, byte for byte */
int ssh_read_string_eq(struct ssh_reader *r, const char *text)
{
    const unsigned char *s;
    size_t n;

    if (ssh_read_string(r, &s, &n) != 0)
        return -1;
    return n == strlen(text) && memcmp(s, text, n) == 0 ? 0 : -1;
}

/* ssh_read_cstring - a string without NUL bytes that fits out with its terminator */
int ssh_read_cstring(struct ssh_reader *r, char *out, size_t cap)
{
    const unsigned char *s;
    size_t n;

    if (ssh_read_string(r, &s, &n) != 0)
        return -1;
    if (n >= cap || memchr(s, '\0', n) != NULL)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* ssh_read_mpint - a positive, minimally encoded mpint; its magnitude without the zero pad */
int ssh_read_mpint(struct ssh_reader *r, const unsigned char **s, size_t *len)
{
    const unsigned char *p;
    size_t n;

    if (ssh_read_string(r, &p, &n) != 0)
        return -1;
    if (n == 0 || (p[0] & 0x80) != 0)
        return -1; /* zero or negative: no key or signature number is */
    if (p[0] == 0) {
        if (n == 1 || (p[1] & 0x80) == 0)
            return -1; /* a leading zero byte that is not needed */
        p++;
        n--;
    }
    *s = p;
    *len = n;
    return 0;
}

/* ssh_put_u8 - one byte */
int ssh_put_u8(struct buf *b, unsigned char v)
{
    return buf_append(b, &v, 1);
}

/* ssh_put_u32 - a big-endian uint32 */
int ssh_put_u32(struct buf *b, uint32_t v)
{
    unsigned char p[4] = { v >> 24, v >> 16, v >> 8, v };

    return buf_append(b, p, sizeof(p));
}

/* ssh_put_string - uint32 length, then the bytes */
int ssh_put_string(struct buf *b, const void *s, size_t len)
{
    if (len > UINT32_MAX || ssh_put_u32(b, (uint32_t)len) != 0)
        return -1;
    return buf_append(b, s, len);
}

/* ssh_put_cstring - a C string as an SSH string */
int ssh_put_cstring(struct buf *b, const char *s)
{
    return ssh_put_string(b, s, strlen(s));
}

/* ssh_put_mpint - magnitude bytes as a minimal positive mpint */
int ssh_put_mpint(struct buf *b, const unsigned char *s, size_t len)
{
    int pad;

    while (len > 0 && s[0] == 0) {
        s++;
        len--;
    }
    pad = len > 0 && (s[0] & 0x80) != 0;
    if (len + pad > UINT32_MAX || ssh_put_u32(b, (uint32_t)(len + pad)) != 0)
        return -1;
    if (pad && ssh_put_u8(b, 0) != 0)
        return -1;
    return buf_append(b, s, len);
}

/* ssh_base64_value - a base64 character's value, or SSH_B64_INVALID */
static unsigned ssh_base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return SSH_B64_INVALID;
}

/* ssh_base64_strip - the base64 characters of text without whitespace; -1 on anything else */
static int ssh_base64_strip(const char *text, size_t len, unsigned char *out, size_t *n)
{
    size_t pad = 0;

    *n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=')
            pad++;
        else if (pad > 0 || ssh_base64_value(c) == SSH_B64_INVALID)
            return -1; /* a character after the padding, or not base64 */
        out[(*n)++] = c;
    }
    return pad <= 2 && *n % 4 == 0 ? (int)pad : -1;
}

/* ssh_base64_quads - decode groups of four characters (n a multiple of 4) */
static size_t ssh_base64_quads(const unsigned char *in, size_t n, int pad, unsigned char *out)
{
    size_t len = 0;

    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++)
            v = v << 6 | (in[i + j] == '=' ? 0 : ssh_base64_value(in[i + j]));
        out[len++] = (unsigned char)(v >> 16);
        out[len++] = (unsigned char)(v >> 8);
        out[len++] = (unsigned char)v;
    }
    return len - (size_t)pad;
}

/* ssh_base64_decode - strict base64 into a new buffer of at most cap bytes */
unsigned char *ssh_base64_decode(const char *text, size_t len, size_t cap, size_t *out_len)
{
    unsigned char *chars, *out = NULL;
    size_t n;
    int pad;

    if (len > 2 * cap + 64 || (chars = malloc(len + 1)) == NULL)
        return NULL;
    pad = ssh_base64_strip(text, len, chars, &n);
    if (pad >= 0 && n / 4 * 3 - (size_t)pad <= cap && (out = malloc(n / 4 * 3 + 1)) != NULL)
        *out_len = ssh_base64_quads(chars, n, pad, out);
    OPENSSL_cleanse(chars, len); /* the text may be a private key */
    free(chars);
    return out;
}

/* ssh_base64_encode - append base64 of data, with a newline every wrap characters */
int ssh_base64_encode(struct buf *b, const unsigned char *data, size_t len, size_t wrap)
{
    size_t n = (len + 2) / 3 * 4, done = 0;
    unsigned char *text = malloc(n + 1);
    int rc = 0;

    if (!text || len > INT32_MAX)
        rc = -1;
    else
        EVP_EncodeBlock(text, data, (int)len);
    while (rc == 0 && done < n) {
        size_t line = wrap > 0 && n - done > wrap ? wrap : n - done;
        rc = buf_append(b, text + done, line);
        done += line;
        if (rc == 0 && wrap > 0 && done < n)
            rc = buf_putc(b, '\n');
    }
    free(text);
    return rc;
}

/* ssh_only_space - 1 when the n bytes at p are whitespace */
static int ssh_only_space(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != '\n' && p[i] != '\r' && p[i] != ' ' && p[i] != '\t')
            return 0;
    return 1;
}

/* ssh_dearmor - the base64 body between a begin line and an end line, decoded */
unsigned char *ssh_dearmor(const char *text, size_t len, const char *begin, const char *end,
                           size_t cap, size_t *out_len)
{
    size_t head = strlen(begin), tail = strlen(end), stop = 0;

    if (len < head || memcmp(text, begin, head) != 0)
        return NULL;
    if (len > head && text[head] == '\r')
        head++;
    if (len <= head || text[head] != '\n')
        return NULL;
    for (size_t i = head; stop == 0 && i + 1 + tail <= len; i++)
        if (text[i] == '\n' && memcmp(text + i + 1, end, tail) == 0)
            stop = i;
    if (stop == 0 || !ssh_only_space(text + stop + 1 + tail, len - (stop + 1 + tail)))
        return NULL;
    /* the body runs from the line after begin to the newline before end (maybe empty) */
    return ssh_base64_decode(text + head + 1, stop > head ? stop - head - 1 : 0, cap, out_len);
}
