/* reader: see reader.h. The input is read in blocks into one buffer that
 * holds at most a record or two; a record is framed first (a line, an array
 * element, a CSV row), then scanned once. The JSON scanner validates the
 * whole record but converts only the values at registered paths (a trie of
 * path segments), and strings without escapes point straight into the
 * buffer: most of a record is never copied. */
#include "reader.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "cm_utf8.h"
#include "numtext.h"

#define READ_BLOCK (64u * 1024u)
#define MAX_DEPTH 256           /* JSON nesting in one record */
#define MAX_COLUMNS 4096        /* CSV */

typedef struct PathNode {
    const char *name;
    size_t len;
    int32_t slot;               /* -1: only a prefix of other paths */
    uint32_t *kids;             /* node indexes */
    uint32_t nkids;
} PathNode;

struct RdPaths {
    PathNode *nodes;            /* nodes[0] is the root */
    uint32_t nnodes, cap;
    char **dotted;              /* per slot: "answers.q_interest", for CSV headers */
    bool *as_list;
    size_t nslots;
    CmArena arena;
};

RdPaths *rd_paths_new(void)
{
    RdPaths *p = cm_calloc(1, sizeof *p);
    cm_arena_init(&p->arena, 4096);
    p->cap = 16;
    p->nodes = cm_calloc(p->cap, sizeof *p->nodes);
    p->nodes[0].slot = -1;
    p->nnodes = 1;
    return p;
}

static uint32_t child(RdPaths *p, uint32_t parent, const char *name)
{
    size_t len = strlen(name);
    PathNode *n = &p->nodes[parent];
    for (uint32_t i = 0; i < n->nkids; i++) {
        const PathNode *k = &p->nodes[n->kids[i]];
        if (k->len == len && memcmp(k->name, name, len) == 0)
            return n->kids[i];
    }
    if (p->nnodes == p->cap) {
        p->cap *= 2;
        p->nodes = cm_realloc(p->nodes, p->cap * sizeof *p->nodes);
    }
    uint32_t id = p->nnodes++;
    p->nodes[id] = (PathNode){ cm_arena_strndup(&p->arena, name, len), len, -1, NULL, 0 };
    n = &p->nodes[parent];
    n->kids = cm_realloc(n->kids, (n->nkids + 1) * sizeof *n->kids);
    n->kids[n->nkids++] = id;
    return id;
}

size_t rd_paths_add(RdPaths *p, const char *const *segments, size_t nsegments, bool as_list)
{
    uint32_t node = 0;
    CmBuf dotted = CM_BUF_INIT;
    for (size_t i = 0; i < nsegments; i++) {
        node = child(p, node, segments[i]);
        if (i)
            cm_buf_putc(&dotted, '.');
        cm_buf_puts(&dotted, segments[i]);
    }
    if (p->nodes[node].slot >= 0) {
        cm_buf_free(&dotted);
        return (size_t)p->nodes[node].slot;
    }
    size_t slot = p->nslots++;
    p->nodes[node].slot = (int32_t)slot;
    p->dotted = cm_realloc(p->dotted, p->nslots * sizeof *p->dotted);
    p->as_list = cm_realloc(p->as_list, p->nslots * sizeof *p->as_list);
    p->dotted[slot] = cm_arena_strdup(&p->arena, dotted.data ? dotted.data : "");
    p->as_list[slot] = as_list;
    cm_buf_free(&dotted);
    return slot;
}

size_t rd_paths_count(const RdPaths *p)
{
    return p->nslots;
}

void rd_paths_free(RdPaths *p)
{
    if (p == NULL)
        return;
    for (uint32_t i = 0; i < p->nnodes; i++)
        cm_free(p->nodes[i].kids);
    cm_free(p->nodes);
    cm_free(p->dotted);
    cm_free(p->as_list);
    cm_arena_free(&p->arena);
    cm_free(p);
}

/* ---- the input buffer ---- */

struct Reader {
    FILE *in;
    RdFormat fmt;
    const RdPaths *paths;
    char *buf;
    size_t start, len, cap;     /* unread bytes are buf[start, len) */
    bool eof, read_error, started, array_done;
    size_t record;
    const char *rec;            /* the current record's text */
    size_t rec_len;
    char error[200];
    Value *items;               /* scratch for list items */
    size_t nitems, cap_items;
    /* CSV */
    size_t ncols;
    char **headers;
    int32_t *col_of_slot;
    Value *cells;
    size_t cap_cells;
    CmBuf row_json;
};

Reader *rd_open(FILE *in, RdFormat fmt, const RdPaths *paths)
{
    Reader *r = cm_calloc(1, sizeof *r);
    r->in = in;
    r->fmt = fmt;
    r->paths = paths;
    r->cap = 2 * READ_BLOCK;
    r->buf = cm_malloc(r->cap + 1);
    return r;
}

void rd_close(Reader *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->ncols; i++)
        cm_free(r->headers[i]);
    cm_free(r->headers);
    cm_free(r->col_of_slot);
    cm_free(r->cells);
    cm_free(r->items);
    cm_free(r->buf);
    cm_buf_free(&r->row_json);
    cm_free(r);
}

/* Reads another block; false at the end of the input. */
static bool fill(Reader *r)
{
    if (r->eof)
        return false;
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
    }
    if (r->cap - r->len < READ_BLOCK) {
        r->cap = r->len + 2 * READ_BLOCK;
        r->buf = cm_realloc(r->buf, r->cap + 1);
    }
    size_t n = fread(r->buf + r->len, 1, READ_BLOCK, r->in);
    r->len += n;
    if (n == 0) {
        r->eof = true;
        r->read_error = ferror(r->in) != 0;
    }
    return n > 0;
}

static bool errorf(Reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool errorf(Reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- JSON ---- */

typedef struct Scan {
    Reader *r;
    const char *base, *p, *end;
    Value *slots;
    CmArena *arena;
} Scan;

static bool bad(Scan *s, const char *what)
{
    return errorf(s->r, "malformed JSON at byte %zu of the record: %s", (size_t)(s->p - s->base) + 1, what);
}

static void ws(Scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Scans a string at s->p (the opening quote); its raw contents are
 * [*raw, *raw + *rawlen). */
static bool scan_string(Scan *s, const char **raw, size_t *rawlen, bool *escaped)
{
    const char *p = ++s->p;
    *escaped = false;
    for (;;) {
        const char *q = p;
        while (q < s->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
            q++;
        p = q;
        if (p >= s->end)
            return s->p = p, bad(s, "unterminated string");
        if (*p == '"')
            break;
        if ((unsigned char)*p < 0x20)
            return s->p = p, bad(s, "control character in a string");
        *escaped = true;
        if (p + 1 >= s->end)
            return s->p = p, bad(s, "unterminated string");
        p += 2;
    }
    *raw = s->p;
    *rawlen = (size_t)(p - s->p);
    s->p = p + 1;
    return true;
}

/* Unescapes a raw string into the arena (or points at it) and checks UTF-8. */
static bool string_value(Scan *s, const char *raw, size_t n, bool escaped, Value *out)
{
    if (!escaped) {
        if (cm_utf8_invalid_at(raw, n) != n)
            return s->p = raw, bad(s, "invalid UTF-8 in a string");
        *out = v_str(raw, (uint32_t)n);
        return true;
    }
    char *d = cm_arena_alloc(s->arena, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] != '\\') {
            d[k++] = raw[i];
            continue;
        }
        char c = raw[++i];
        switch (c) {
        case '"': case '\\': case '/': d[k++] = c; break;
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'n': d[k++] = '\n'; break;
        case 'r': d[k++] = '\r'; break;
        case 't': d[k++] = '\t'; break;
        case 'u': {
            uint32_t cp = 0;
            for (int j = 0; j < 4; j++) {
                int h = i + 1 < n ? hexval(raw[++i]) : -1;
                if (h < 0)
                    return s->p = raw + i, bad(s, "bad \\u escape");
                cp = cp << 4 | (uint32_t)h;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < n && raw[i + 1] == '\\' && raw[i + 2] == 'u') {
                uint32_t lo = 0;
                int j = 0;
                for (; j < 4 && hexval(raw[i + 3 + j]) >= 0; j++)
                    lo = lo << 4 | (uint32_t)hexval(raw[i + 3 + j]);
                if (j == 4 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            size_t w = cm_utf8_encode(cp, d + k);
            if (w == 0)
                return s->p = raw + i, bad(s, "\\u escape of a lone surrogate");
            k += w;
            break;
        }
        default:
            return s->p = raw + i, bad(s, "unknown escape in a string");
        }
    }
    if (cm_utf8_invalid_at(d, k) != k)
        return s->p = raw, bad(s, "invalid UTF-8 in a string");
    *out = v_str(d, (uint32_t)k);
    return true;
}

static bool scan_number(Scan *s, Value *out)
{
    const char *q = s->p;
    while (q < s->end && ((*q >= '0' && *q <= '9') || *q == '-' || *q == '+' || *q == '.' || *q == 'e' || *q == 'E'))
        q++;
    double x;
    if (!numtext_parse(s->p, (size_t)(q - s->p), &x))
        return bad(s, "bad number");
    s->p = q;
    if (out)
        *out = v_num(x);
    return true;
}

static bool literal(Scan *s, const char *word, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return bad(s, "unexpected character");
    s->p += n;
    return true;
}

static bool value(Scan *s, const PathNode *node, int depth, Value *out);

static const PathNode *match(const Scan *s, const PathNode *node, const char *key, size_t n)
{
    const RdPaths *p = s->r->paths;
    for (uint32_t i = 0; i < node->nkids; i++) {
        const PathNode *k = &p->nodes[node->kids[i]];
        if (k->len == n && memcmp(k->name, key, n) == 0)
            return k;
    }
    return NULL;
}

static bool object(Scan *s, const PathNode *node, int depth)
{
    if (depth > MAX_DEPTH)
        return bad(s, "nested too deeply");
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return true;
    }
    for (;;) {
        ws(s);
        if (s->p >= s->end || *s->p != '"')
            return bad(s, "expected a key");
        const char *raw;
        size_t n;
        bool esc;
        if (!scan_string(s, &raw, &n, &esc))
            return false;
        const PathNode *kid = NULL;
        if (node && node->nkids) {
            if (esc) {
                Value k;
                if (!string_value(s, raw, n, true, &k))
                    return false;
                kid = match(s, node, k.u.str, k.len);
            } else {
                kid = match(s, node, raw, n);
            }
        }
        ws(s);
        if (s->p >= s->end || *s->p != ':')
            return bad(s, "expected ':'");
        s->p++;
        ws(s);
        Value v;
        if (!value(s, kid, depth + 1, kid && kid->slot >= 0 ? &v : NULL))
            return false;
        if (kid && kid->slot >= 0)
            s->slots[kid->slot] = v;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return true;
        }
        return bad(s, "expected ',' or '}'");
    }
}

/* An array; with out, its scalar items become a list (nested objects and
 * arrays become V_OBJECT items). */
static bool array(Scan *s, int depth, Value *out)
{
    if (depth > MAX_DEPTH)
        return bad(s, "nested too deeply");
    Reader *r = s->r;
    size_t first = r->nitems;
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
    } else {
        for (;;) {
            ws(s);
            Value v;
            if (!value(s, NULL, depth + 1, out ? &v : NULL))
                return false;
            if (out) {
                if (r->nitems == r->cap_items) {
                    r->cap_items = r->cap_items ? 2 * r->cap_items : 64;
                    r->items = cm_realloc(r->items, r->cap_items * sizeof *r->items);
                }
                r->items[r->nitems++] = v;
            }
            ws(s);
            if (s->p < s->end && *s->p == ',') {
                s->p++;
                continue;
            }
            if (s->p < s->end && *s->p == ']') {
                s->p++;
                break;
            }
            return bad(s, "expected ',' or ']'");
        }
    }
    if (out) {
        size_t n = r->nitems - first;
        Value *items = cm_arena_alloc(s->arena, (n + 1) * sizeof *items);
        if (n)
            memcpy(items, r->items + first, n * sizeof *items);
        r->nitems = first;
        out->type = V_LIST;
        out->len = (uint32_t)n;
        out->u.items = items;
    }
    return true;
}

/* A value; node: the path node it sits at (NULL: nothing below is wanted);
 * out: where to store it (NULL: validate and skip). */
static bool value(Scan *s, const PathNode *node, int depth, Value *out)
{
    if (s->p >= s->end)
        return bad(s, "expected a value");
    switch (*s->p) {
    case '{':
        if (out) {
            out->type = V_OBJECT;
            out->len = 0;
            out->u.b = false;
        }
        return object(s, node, depth);
    case '[':
        return array(s, depth, out);
    case '"': {
        const char *raw;
        size_t n;
        bool esc;
        if (!scan_string(s, &raw, &n, &esc))
            return false;
        return out ? string_value(s, raw, n, esc, out) : true;
    }
    case 't':
        if (out)
            *out = v_bool(true);
        return literal(s, "true", 4);
    case 'f':
        if (out)
            *out = v_bool(false);
        return literal(s, "false", 5);
    case 'n':
        if (out)
            *out = v_null();
        return literal(s, "null", 4);
    default:
        return scan_number(s, out);
    }
}

static RdStatus scan_record(Reader *r, const char *text, size_t len, Value *slots, CmArena *arena)
{
    r->rec = text;
    r->rec_len = len;
    r->nitems = 0;
    for (size_t i = 0; i < r->paths->nslots; i++)
        slots[i] = v_null();
    Scan s = { r, text, text, text + len, slots, arena };
    ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return errorf(r, "the record is not a JSON object"), RD_BAD_RECORD;
    if (!object(&s, &r->paths->nodes[0], 1))
        return RD_BAD_RECORD;
    ws(&s);
    if (s.p != s.end)
        return bad(&s, "text after the record"), RD_BAD_RECORD;
    return RD_RECORD;
}

/* ---- framing ---- */

static RdStatus next_line(Reader *r, Value *slots, CmArena *arena)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->len - r->start);
        if (nl == NULL && r->len - r->start > RD_MAX_RECORD) {
            /* Too long: skip to the end of the line, then report it. */
            while (r->start = r->len, fill(r)) {
                nl = memchr(r->buf + r->start, '\n', r->len - r->start);
                if (nl) {
                    r->start = (size_t)(nl - r->buf) + 1;
                    break;
                }
            }
            r->record++;
            errorf(r, "the record is larger than %u bytes", RD_MAX_RECORD);
            return RD_BAD_RECORD;
        }
        if (nl == NULL && fill(r))
            continue;
        if (r->read_error)
            return errorf(r, "cannot read the input"), RD_FATAL;
        size_t end = nl ? (size_t)(nl - r->buf) : r->len;
        char *line = r->buf + r->start;
        size_t n = end - r->start;
        r->start = nl ? end + 1 : end;
        if (n > RD_MAX_RECORD) {
            r->record++;
            errorf(r, "the record is larger than %u bytes", RD_MAX_RECORD);
            return RD_BAD_RECORD;
        }
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        size_t lead = 0;
        while (lead < n && (line[lead] == ' ' || line[lead] == '\t'))
            lead++;
        if (lead == n) {
            if (nl == NULL)
                return RD_END;
            continue;
        }
        r->record++;
        return scan_record(r, line + lead, n - lead, slots, arena);
    }
}

/* Length of the JSON value starting at text (an object or array), or 0 when
 * text[0, n) does not hold all of it yet. */
static size_t value_extent(const char *text, size_t n)
{
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < n && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
            if (i >= n)
                return 0;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
            return i;           /* a scalar element ends here */
        }
    }
    return 0;
}

static void skip_ws_buf(Reader *r)
{
    for (;;) {
        while (r->start < r->len && strchr(" \t\r\n", r->buf[r->start]) && r->buf[r->start])
            r->start++;
        if (r->start < r->len || !fill(r))
            return;
    }
}

/* The previous element's ',' or the closing ']' is consumed at the start of
 * the next call: the buffer may move while it is looked for, and the record
 * handed out must stay where it is until then. */
static RdStatus next_element(Reader *r, Value *slots, CmArena *arena)
{
    if (r->array_done)
        return RD_END;
    skip_ws_buf(r);
    if (!r->started) {
        r->started = true;
        if (r->start >= r->len || r->buf[r->start] != '[')
            return errorf(r, "the input is not a JSON array"), RD_FATAL;
        r->start++;
        skip_ws_buf(r);
        if (r->start < r->len && r->buf[r->start] == ']') {
            r->array_done = true;
            return RD_END;
        }
    } else {
        if (r->start < r->len && r->buf[r->start] == ']') {
            r->array_done = true;
            return RD_END;
        }
        if (r->start >= r->len)
            return errorf(r, "the JSON array is not closed"), RD_FATAL;
        if (r->buf[r->start] != ',')
            return errorf(r, "expected ',' or ']' after record %zu", r->record), RD_FATAL;
        r->start++;
        skip_ws_buf(r);
    }
    size_t n;
    while ((n = value_extent(r->buf + r->start, r->len - r->start)) == 0) {
        if (r->len - r->start > RD_MAX_RECORD)
            return errorf(r, "record %zu is larger than %u bytes", r->record + 1, RD_MAX_RECORD), RD_FATAL;
        if (!fill(r)) {
            if (r->read_error)
                return errorf(r, "cannot read the input"), RD_FATAL;
            n = r->len - r->start;
            if (n == 0)
                return errorf(r, "the JSON array is not closed"), RD_FATAL;
            break;
        }
    }
    char *text = r->buf + r->start;
    r->start += n;
    r->record++;
    if (n > RD_MAX_RECORD)
        return errorf(r, "the record is larger than %u bytes", RD_MAX_RECORD), RD_BAD_RECORD;
    return scan_record(r, text, n, slots, arena);
}

/* ---- CSV (RFC 4180) ---- */

#define ROW_MALFORMED SIZE_MAX

static void put_cell(Reader *r, size_t n, Value v)
{
    if (n >= r->cap_cells) {
        r->cap_cells = r->cap_cells ? 2 * r->cap_cells : 32;
        r->cells = cm_realloc(r->cells, r->cap_cells * sizeof *r->cells);
    }
    r->cells[n] = v;
}

/* Splits the row at buf[start, len) into r->cells; returns its length in
 * bytes, 0 when the buffer does not hold all of it yet, ROW_MALFORMED for
 * an unterminated quote or text after a closing quote. Cells with "" are
 * unescaped into arena. */
static size_t csv_row(Reader *r, CmArena *arena, size_t *ncells)
{
    const char *row = r->buf + r->start, *p = row, *end = r->buf + r->len;
    size_t n = 0;
    for (;;) {
        Value v;
        if (p < end && *p == '"') {
            const char *q = ++p;
            bool doubled = false;
            for (;;) {
                while (q < end && *q != '"')
                    q++;
                if (q >= end)
                    return r->eof ? ROW_MALFORMED : 0;
                if (q + 1 < end && q[1] == '"') {
                    doubled = true;
                    q += 2;
                    continue;
                }
                if (q + 1 >= end && !r->eof)
                    return 0;       /* a "" may be split across reads */
                break;
            }
            if (doubled) {
                char *d = cm_arena_alloc(arena, (size_t)(q - p) + 1);
                size_t k = 0;
                for (const char *c = p; c < q; c++) {
                    d[k++] = *c;
                    if (*c == '"')
                        c++;
                }
                v = v_str(d, (uint32_t)k);
            } else {
                v = v_str(p, (uint32_t)(q - p));
            }
            p = q + 1;
            if (p < end && *p != ',' && *p != '\r' && *p != '\n')
                return ROW_MALFORMED;
        } else {
            const char *cell = p;
            while (p < end && *p != ',' && *p != '\n' && *p != '\r')
                p++;
            v = v_str(cell, (uint32_t)(p - cell));
        }
        if (n == MAX_COLUMNS)
            return ROW_MALFORMED;
        put_cell(r, n++, v);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p >= end && !r->eof)
            return 0;
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
        *ncells = n;
        return (size_t)(p - row);
    }
}

/* The next non-blank row, with the buffer refilled as needed. */
static RdStatus csv_next_row(Reader *r, CmArena *arena, size_t *ncells)
{
    for (;;) {
        while (r->start < r->len && (r->buf[r->start] == '\n' || r->buf[r->start] == '\r'))
            r->start++;
        if (r->start >= r->len && !fill(r))
            return r->read_error ? (errorf(r, "cannot read the input"), RD_FATAL) : RD_END;
        size_t n = csv_row(r, arena, ncells);
        if (n == ROW_MALFORMED) {
            r->start = r->len;      /* nothing after this can be framed reliably */
            return errorf(r, "malformed CSV: an unterminated quote, text after a closing quote, "
                             "or more than %u cells", MAX_COLUMNS), RD_FATAL;
        }
        if (n == 0) {
            if (r->len - r->start > RD_MAX_RECORD)
                return errorf(r, "row %zu is larger than %u bytes", r->record + 1, RD_MAX_RECORD), RD_FATAL;
            if (!fill(r) && r->read_error)
                return errorf(r, "cannot read the input"), RD_FATAL;
            continue;
        }
        const char *text = r->buf + r->start;
        r->start += n;
        if (cm_utf8_invalid_at(text, n) != n)
            return errorf(r, "invalid UTF-8"), RD_BAD_RECORD;
        return RD_RECORD;
    }
}

static RdStatus csv_header(Reader *r)
{
    CmArena tmp;
    cm_arena_init(&tmp, 4096);
    size_t n = 0;
    if (r->len - r->start >= 3 && memcmp(r->buf + r->start, "\xEF\xBB\xBF", 3) == 0)
        r->start += 3;
    RdStatus st = csv_next_row(r, &tmp, &n);
    if (st == RD_BAD_RECORD)
        st = RD_FATAL;
    if (st == RD_END)
        errorf(r, "the CSV input has no header row");
    if (st != RD_RECORD) {
        cm_arena_free(&tmp);
        return RD_FATAL;
    }
    r->ncols = n;
    r->headers = cm_calloc(n + 1, sizeof *r->headers);
    for (size_t i = 0; i < n; i++)
        r->headers[i] = cm_strndup(r->cells[i].u.str, r->cells[i].len);
    r->col_of_slot = cm_calloc(r->paths->nslots + 1, sizeof *r->col_of_slot);
    for (size_t s = 0; s < r->paths->nslots; s++) {
        r->col_of_slot[s] = -1;
        for (size_t i = 0; i < n; i++)
            if (strcmp(r->headers[i], r->paths->dotted[s]) == 0)
                r->col_of_slot[s] = (int32_t)i;
    }
    cm_arena_free(&tmp);
    return RD_RECORD;
}

static Value csv_list(const Value *cell, CmArena *arena)
{
    size_t n = 1;
    for (uint32_t i = 0; i < cell->len; i++)
        n += cell->u.str[i] == ';';
    Value *items = cm_arena_alloc(arena, n * sizeof *items);
    size_t k = 0, from = 0;
    for (uint32_t i = 0; i <= cell->len; i++)
        if (i == cell->len || cell->u.str[i] == ';') {
            items[k++] = v_str(cell->u.str + from, (uint32_t)(i - from));
            from = i + 1;
        }
    Value v = { V_LIST, (uint32_t)k, { .items = items } };
    return v;
}

static RdStatus next_csv(Reader *r, Value *slots, CmArena *arena)
{
    if (!r->started) {
        r->started = true;
        if (csv_header(r) != RD_RECORD)
            return RD_FATAL;
    }
    size_t n = 0;
    RdStatus st = csv_next_row(r, arena, &n);
    if (st == RD_END || st == RD_FATAL)
        return st;
    r->record++;
    r->rec = NULL;
    r->rec_len = 0;
    if (st == RD_BAD_RECORD)
        return st;
    if (n != r->ncols)
        return errorf(r, "the row has %zu cells, the header %zu", n, r->ncols), RD_BAD_RECORD;
    for (size_t s = 0; s < r->paths->nslots; s++) {
        int32_t c = r->col_of_slot[s];
        if (c < 0 || r->cells[c].len == 0)
            slots[s] = v_null();
        else if (r->paths->as_list[s])
            slots[s] = csv_list(&r->cells[c], arena);
        else
            slots[s] = r->cells[c];
    }
    return RD_RECORD;
}

/* ---- the interface ---- */

RdStatus rd_next(Reader *r, Value *slots, CmArena *arena)
{
    if (r->fmt == RD_AUTO) {
        skip_ws_buf(r);
        if (r->start >= r->len)
            return r->read_error ? (errorf(r, "cannot read the input"), RD_FATAL) : RD_END;
        char c = r->buf[r->start];
        r->fmt = c == '[' ? RD_JSON_ARRAY : c == '{' ? RD_NDJSON : RD_CSV;
    }
    r->error[0] = '\0';
    switch (r->fmt) {
    case RD_NDJSON: return next_line(r, slots, arena);
    case RD_JSON_ARRAY: return next_element(r, slots, arena);
    default: return next_csv(r, slots, arena);
    }
}

size_t rd_record_number(const Reader *r)
{
    return r->record;
}

const char *rd_error(const Reader *r)
{
    return r->error;
}

const char *rd_record_text(const Reader *r, size_t *len)
{
    if (r->fmt != RD_CSV) {
        *len = r->rec_len;
        return r->rec ? r->rec : "";
    }
    Reader *w = (Reader *)r;    /* the JSON form of a row is built on demand */
    cm_buf_clear(&w->row_json);
    cm_buf_putc(&w->row_json, '{');
    for (size_t i = 0; i < r->ncols; i++) {
        if (i)
            cm_buf_puts(&w->row_json, ", ");
        cm_buf_put_json_string(&w->row_json, r->headers[i], strlen(r->headers[i]));
        cm_buf_puts(&w->row_json, ": ");
        cm_buf_put_json_string(&w->row_json, r->cells[i].u.str, r->cells[i].len);
    }
    cm_buf_putc(&w->row_json, '}');
    *len = w->row_json.len;
    return w->row_json.data;
}
