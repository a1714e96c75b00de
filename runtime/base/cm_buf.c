/* cm_buf: growable buffers and arenas; see cm_buf.h. */
#include "cm_buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"

void cm_buf_reserve(CmBuf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = cm_realloc(b->data, cap);
    b->cap = cap;
}

void cm_buf_put(CmBuf *b, const void *p, size_t n)
{
    cm_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cm_buf_puts(CmBuf *b, const char *s)
{
    cm_buf_put(b, s, strlen(s));
}

void cm_buf_putc(CmBuf *b, char c)
{
    cm_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void cm_buf_put_uint(CmBuf *b, unsigned long long n)
{
    char digits[20];
    size_t k = sizeof digits;
    do {
        digits[--k] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    cm_buf_put(b, digits + k, sizeof digits - k);
}

void cm_buf_vprintf(CmBuf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n > 0) {
        cm_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void cm_buf_printf(CmBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cm_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

size_t cm_json_plain_prefix(const char *s, size_t n, int ascii)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, q, b;
        memcpy(&w, s + i, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        /* A byte is zero in q or b, or below 0x20 in w (may also flag
           bytes after a hit: the caller then looks byte by byte). */
        uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w);
        if (ascii)
            hit |= w;
        if (hit & highs)
            break;
    }
    return i;
}

void cm_buf_put_json_string(CmBuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    cm_buf_reserve(b, n + 2);
    cm_buf_putc(b, '"');
    size_t run = 0;   /* bytes copied verbatim in one go */
    for (size_t i = cm_json_plain_prefix(s, n, 0); i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        cm_buf_put(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': cm_buf_put(b, "\\\"", 2); break;
        case '\\': cm_buf_put(b, "\\\\", 2); break;
        case '\n': cm_buf_put(b, "\\n", 2); break;
        case '\r': cm_buf_put(b, "\\r", 2); break;
        case '\t': cm_buf_put(b, "\\t", 2); break;
        case '\b': cm_buf_put(b, "\\b", 2); break;
        case '\f': cm_buf_put(b, "\\f", 2); break;
        default: {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            cm_buf_put(b, esc, 6);
        }
        }
    }
    cm_buf_put(b, s + run, n - run);
    cm_buf_putc(b, '"');
}

void cm_buf_put_json_strings(CmBuf *b, const char *const *items, size_t n)
{
    cm_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            cm_buf_put(b, ", ", 2);
        cm_buf_put_json_string(b, items[i], strlen(items[i]));
    }
    cm_buf_putc(b, ']');
}

void cm_buf_clear(CmBuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void cm_buf_free(CmBuf *b)
{
    cm_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *cm_buf_take(CmBuf *b)
{
    char *d = b->data ? b->data : cm_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

struct CmArenaChunk {
    CmArenaChunk *next;
    size_t used, size;
    _Alignas(16) unsigned char mem[];
};

void cm_arena_init(CmArena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->total = 0;
}

void *cm_arena_alloc(CmArena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    CmArenaChunk *c = a->head;
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > a->chunk_size ? n : a->chunk_size;
        c = cm_malloc(sizeof *c + size);
        c->used = 0;
        c->size = size;
        c->next = a->head;
        a->head = c;
        a->total += size;
    }
    void *p = c->mem + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *cm_arena_strndup(CmArena *a, const char *s, size_t n)
{
    char *d = cm_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *cm_arena_strdup(CmArena *a, const char *s)
{
    return cm_arena_strndup(a, s, strlen(s));
}

void cm_arena_reset(CmArena *a)
{
    CmArenaChunk *keep = NULL;
    for (CmArenaChunk *c = a->head, *next; c; c = next) {
        next = c->next;
        if (next == NULL)
            keep = c;
        else
            cm_free(c);
    }
    a->head = keep;
    a->total = keep ? keep->size : 0;
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
}

void cm_arena_free(CmArena *a)
{
    for (CmArenaChunk *c = a->head, *next; c; c = next) {
        next = c->next;
        cm_free(c);
    }
    a->head = NULL;
    a->total = 0;
}

void cm_buf_put_percent(CmBuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
            || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            cm_buf_putc(b, (char)*p);
        } else {
            char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            cm_buf_put(b, e, 3);
        }
    }
}
