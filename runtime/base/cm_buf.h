/* cm_buf: a growable byte buffer (always NUL-terminated) and an arena for
 * data that lives as long as one compilation or one record. */
#ifndef CM_BUF_H
#define CM_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct CmBuf {
    char *data;     /* NUL-terminated; NULL until the first write */
    size_t len;
    size_t cap;
} CmBuf;

#define CM_BUF_INIT { NULL, 0, 0 }

void cm_buf_reserve(CmBuf *b, size_t extra);
void cm_buf_put(CmBuf *b, const void *p, size_t n);
void cm_buf_puts(CmBuf *b, const char *s);
void cm_buf_putc(CmBuf *b, char c);
void cm_buf_printf(CmBuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cm_buf_vprintf(CmBuf *b, const char *fmt, va_list ap);
/* Appends n in decimal (the hot paths' printf("%zu") without printf). */
void cm_buf_put_uint(CmBuf *b, unsigned long long n);
/* Appends s as a JSON string literal, quotes included. */
void cm_buf_put_json_string(CmBuf *b, const char *s, size_t n);
/* Appends the n strings of items as a JSON array on one line: ["a", "b"]. */
void cm_buf_put_json_strings(CmBuf *b, const char *const *items, size_t n);
/* Appends s percent-encoded, everything but ALPHA DIGIT - . _ ~ (RFC 3986
 * unreserved): a URL component, or a form value. */
void cm_buf_put_percent(CmBuf *b, const char *s);
/* The length of the longest prefix of s[0..n), in whole 8-byte words, with
 * no '"', '\\' or control character, and, when ascii is set, no byte of
 * 0x80 or above: what JSON string scanners skip a word at a time. */
size_t cm_json_plain_prefix(const char *s, size_t n, int ascii);
void cm_buf_clear(CmBuf *b);
void cm_buf_free(CmBuf *b);
/* Hands the data to the caller (never NULL) and resets the buffer. */
char *cm_buf_take(CmBuf *b);

/* Arena: bump allocation in chunks; everything is freed at once. */
typedef struct CmArenaChunk CmArenaChunk;
typedef struct CmArena {
    CmArenaChunk *head;
    size_t chunk_size;
    size_t total;       /* bytes held in chunks: what a memory budget counts */
} CmArena;

void cm_arena_init(CmArena *a, size_t chunk_size);
void *cm_arena_alloc(CmArena *a, size_t n);      /* zeroed, 16-byte aligned */
char *cm_arena_strndup(CmArena *a, const char *s, size_t n);
char *cm_arena_strdup(CmArena *a, const char *s);
/* Frees every chunk but the first, keeps the first for reuse. */
void cm_arena_reset(CmArena *a);
void cm_arena_free(CmArena *a);

#endif
