/* reader: see reader.h. This file owns the input buffer, framing of NDJSON
 * lines and JSON array elements, positions and errors; reader_json.c parses
 * JSON, reader_csv.c reads CSV, reader_tree.c gives access to a record's
 * tree and reader_paths.c fills the VM's slots. The buffer holds
 * the record being read plus at most a read block: bytes before it are
 * dropped as soon as a record is done. */
#include "reader_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"

#define READ_BLOCK (64u * 1024u)

/* ---- buffer and positions ---- */

Reader *rd_open(FILE *in, RdFormat fmt, const RdPaths *paths)
{
    Reader *r = cm_calloc(1, sizeof *r);
    r->in = in;
    r->fmt = fmt;
    r->paths = paths;
    r->cap = 2 * READ_BLOCK;
    r->buf = cm_malloc(r->cap + 1);
    r->line = 1;
    r->cap_nodes = 256;
    r->nodes = cm_malloc(r->cap_nodes * sizeof *r->nodes);
    cm_arena_init(&r->arena, 16 * 1024);
    return r;
}

FILE *rd_open_input(const char *path, char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0)
        return stdin;
    FILE *in = fopen(path, "rb");
    if (in == NULL)
        snprintf(err, errlen, "cannot open the input %s: %s", path, strerror(errno));
    return in;
}

void rd_close_input(FILE *in)
{
    if (in && in != stdin)
        fclose(in);
}

void rd_close(Reader *r)
{
    if (r == NULL)
        return;
    rd_csv_free(r->csv);
    cm_buf_free(&r->row_json);
    cm_free(r->items);
    cm_arena_free(&r->arena);
    cm_free(r->nodes);
    cm_free(r->buf);
    cm_free(r);
}

RdFormat rd_format(const Reader *r)
{
    return r->fmt;
}

bool rd_format_parse(const char *name, RdFormat *out)
{
    static const struct { const char *name; RdFormat fmt; } names[] = {
        { "auto", RD_AUTO }, { "ndjson", RD_NDJSON }, { "jsonl", RD_NDJSON },
        { "json", RD_JSON_ARRAY }, { "csv", RD_CSV },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].fmt;
            return true;
        }
    return false;
}

bool rd_fill(Reader *r)
{
    if (r->eof)
        return false;
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->buf_pos += r->start;
        r->start = 0;
    }
    if (r->cap - r->len < READ_BLOCK) {
        r->cap = r->len + 2 * READ_BLOCK;
        r->buf = cm_realloc(r->buf, r->cap + 1);
    }
    size_t n = fread(r->buf + r->len, 1, READ_BLOCK, r->in);
    r->len += n;
    r->buf[r->len] = '\0';
    if (n == 0) {
        r->eof = true;
        r->read_error = ferror(r->in) != 0;
    }
    if (!r->bom_checked && (r->len >= 3 || r->eof)) {
        r->bom_checked = true;
        if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
            r->start = 3;
            r->line_start = 3;  /* the BOM is not a column */
        }
    }
    return n > 0;
}

void rd_advance(Reader *r, size_t n)
{
    const char *p = r->buf + r->start, *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        p++;
        r->line++;
        r->line_start = r->buf_pos + (uint64_t)(p - r->buf);
    }
    r->start += n;
}

/* Line and column of the byte at p, counting from a known position. */
static void position(const char *from, uint64_t line, uint64_t col, const char *p,
                     uint64_t *out_line, uint64_t *out_col)
{
    for (const char *q = from; q < p; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    *out_line = line;
    *out_col = col;
}

void rd_begin_record(Reader *r, const char *text, size_t len)
{
    r->rec = text;
    r->rec_len = len;
    const char *at = r->buf + r->start;
    position(at, r->line, r->buf_pos + r->start - r->line_start + 1, text, &r->rec_line, &r->rec_col);
    r->nnodes = 0;
    cm_arena_reset(&r->arena);
}

static bool vfail(Reader *r, uint64_t line, uint64_t col, const char *fmt, va_list ap)
{
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    r->err_line = line;
    r->err_col = col;
    return false;
}

bool rd_fail_at(Reader *r, const char *at, const char *fmt, ...)
{
    r->err_at = at;
    uint64_t line, col;
    if (r->rec && at >= r->rec)
        position(r->rec, r->rec_line, r->rec_col, at, &line, &col);
    else
        position(r->buf + r->start, r->line, r->buf_pos + r->start - r->line_start + 1, at, &line, &col);
    va_list ap;
    va_start(ap, fmt);
    vfail(r, line, col, fmt, ap);
    va_end(ap);
    return false;
}

bool rd_fail_pos(Reader *r, uint64_t line, uint64_t col, const char *fmt, ...)
{
    r->err_at = NULL;
    va_list ap;
    va_start(ap, fmt);
    vfail(r, line, col, fmt, ap);
    va_end(ap);
    return false;
}

bool rd_fail_oversize(Reader *r, uint64_t line, uint64_t col)
{
    r->rec = NULL;
    r->rec_len = 0;
    r->rec_line = line;
    r->rec_col = col;
    return rd_fail_pos(r, line, col, "the record is larger than %u bytes", RD_MAX_RECORD);
}

/* An error at buf[start], the place reading stopped. */
static RdStatus fail_here(Reader *r, RdStatus st, const char *msg)
{
    rd_fail_pos(r, r->line, r->buf_pos + r->start - r->line_start + 1, "%s", msg);
    return st;
}

uint32_t rd_new_node(Reader *r, RdKind kind)
{
    if (r->nnodes == RD_MAX_VALUES)
        return RD_NONE;
    if (r->nnodes == r->cap_nodes) {
        r->cap_nodes *= 2;
        r->nodes = cm_realloc(r->nodes, r->cap_nodes * sizeof *r->nodes);
    }
    uint32_t n = r->nnodes++;
    memset(&r->nodes[n], 0, sizeof r->nodes[n]);
    r->nodes[n].kind = (uint8_t)kind;
    r->nodes[n].next = RD_NONE;
    return n;
}

/* ---- NDJSON ---- */

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* Skips the rest of a line longer than the cap, then reports it. */
static RdStatus oversize_line(Reader *r)
{
    uint64_t line = r->line, col = r->buf_pos + r->start - r->line_start + 1;
    r->record++;
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->len - r->start);
        if (nl) {
            rd_advance(r, (size_t)(nl - (r->buf + r->start)) + 1);
            break;
        }
        rd_advance(r, r->len - r->start);
        if (!rd_fill(r))
            break;
    }
    rd_fail_oversize(r, line, col);
    return r->read_error ? fail_here(r, RD_FATAL, "cannot read the input") : RD_BAD_RECORD;
}

static RdStatus next_line(Reader *r)
{
    size_t scanned = 0;     /* bytes of buf[start, len) known to hold no '\n' */
    for (;;) {
        char *p = r->buf + r->start;
        char *nl = memchr(p + scanned, '\n', r->len - r->start - scanned);
        if (nl == NULL) {
            scanned = r->len - r->start;
            if (scanned > RD_MAX_RECORD + 1)
                return oversize_line(r);
            if (rd_fill(r))
                continue;
            if (r->read_error)
                return fail_here(r, RD_FATAL, "cannot read the input");
            if (scanned == 0)
                return RD_END;
        }
        p = r->buf + r->start;
        size_t n = nl ? (size_t)(nl - p) : r->len - r->start;
        if (blank(p, n)) {
            rd_advance(r, nl ? n + 1 : n);
            scanned = 0;
            continue;
        }
        size_t lead = 0, body = n;
        while (body > 0 && (p[body - 1] == '\r' || p[body - 1] == ' ' || p[body - 1] == '\t'))
            body--;
        while (p[lead] == ' ' || p[lead] == '\t')
            lead++;
        if (body > RD_MAX_RECORD)
            return oversize_line(r);
        r->record++;
        rd_begin_record(r, p + lead, body - lead);
        bool syntax;
        bool ok = rd_json_parse(r, p + lead, body - lead, &syntax);
        r->start += n;      /* the line's bytes hold no '\n': no need to count lines */
        if (nl) {
            r->start++;
            r->line++;
            r->line_start = r->buf_pos + r->start;
        }
        return ok ? RD_RECORD : RD_BAD_RECORD;
    }
}

/* ---- JSON array ---- */

/* Longer than any token a cut in the input can leave unfinished
 * ("\uD83D\uDE00" is 12 bytes, a UTF-8 sequence 4, "false" 5): a parse
 * that stops this close to the end of the buffer may only need more input.
 * Only speed depends on it: an object cannot parse successfully when cut,
 * and a parse that fails is always redone on a framed element. */
#define TOKEN_MAX 16u

/* Finds where an array element ends without parsing it: brackets are
 * counted outside strings. Resumable, so a record that arrives in several
 * reads is scanned once. */
typedef struct Extent {
    size_t pos;
    unsigned long depth;
    bool in_string, escape;
} Extent;

static bool extent_scan(Extent *e, const char *t, size_t n)
{
    for (size_t i = e->pos; i < n; i++) {
        char c = t[i];
        if (e->in_string) {
            if (e->escape)
                e->escape = false;
            else if (c == '\\')
                e->escape = true;
            else if (c == '"') {
                e->in_string = false;
                if (e->depth == 0) {
                    e->pos = i + 1;
                    return true;
                }
            }
        } else if (c == '"') {
            e->in_string = true;
        } else if (c == '{' || c == '[') {
            e->depth++;
        } else if (c == '}' || c == ']') {
            if (e->depth == 0) {        /* the array's own ']' */
                e->pos = i;
                return true;
            }
            if (--e->depth == 0) {
                e->pos = i + 1;
                return true;
            }
        } else if (e->depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            e->pos = i;
            return true;
        }
    }
    e->pos = n;
    return false;
}

static void skip_ws(Reader *r)
{
    for (;;) {
        size_t i = r->start;
        while (i < r->len && (r->buf[i] == ' ' || r->buf[i] == '\t' || r->buf[i] == '\n' || r->buf[i] == '\r'))
            i++;
        rd_advance(r, i - r->start);
        if (r->start < r->len || !rd_fill(r))
            return;
    }
}

/* The element after '[' or ',' is over the cap: skip it, then report it. */
static RdStatus oversize_element(Reader *r, Extent *e)
{
    uint64_t line = r->line, col = r->buf_pos + r->start - r->line_start + 1;
    for (;;) {
        rd_advance(r, e->pos);
        e->pos = 0;
        if (extent_scan(e, r->buf + r->start, r->len - r->start))
            break;
        rd_advance(r, e->pos);
        e->pos = 0;
        if (!rd_fill(r)) {
            r->done = true;
            return fail_here(r, RD_FATAL, "the input ends inside a record: the JSON array is not closed");
        }
    }
    rd_advance(r, e->pos);
    rd_fail_oversize(r, line, col);
    return RD_BAD_RECORD;
}

static bool at_byte(const Reader *r, char c)
{
    return r->start < r->len && r->buf[r->start] == c;
}

/* The array itself is broken: no later element can be found. */
static RdStatus array_fatal(Reader *r, const char *msg)
{
    r->done = true;
    return fail_here(r, RD_FATAL, msg);
}

/* The ',' or ']' after an element is consumed at the start of the next
 * call: the record handed out points into the buffer, which must not move
 * until then. */
static RdStatus next_element(Reader *r)
{
    if (r->done)
        return RD_END;
    r->rec = NULL;
    skip_ws(r);
    if (!r->started) {
        r->started = true;
        if (!at_byte(r, '['))
            return array_fatal(r, r->start >= r->len ? "the input is empty, expected a JSON array"
                                                     : "the input is not a JSON array (expected '[')");
        rd_advance(r, 1);
        skip_ws(r);
        if (at_byte(r, ']')) {
            rd_advance(r, 1);
            r->done = true;
            return RD_END;
        }
    } else {
        if (at_byte(r, ']')) {
            rd_advance(r, 1);
            r->done = true;
            skip_ws(r);
            if (r->start < r->len)
                return fail_here(r, RD_FATAL, "text after the JSON array");
            return RD_END;
        }
        if (!at_byte(r, ','))
            return array_fatal(r, r->start >= r->len ? "the input ends early: the JSON array is not closed"
                                                     : "expected ',' or ']' after a record in the JSON array");
        rd_advance(r, 1);
        skip_ws(r);
    }
    r->record++;        /* the missing record below is this one */
    if (r->start >= r->len)
        return array_fatal(r, "the input ends early: expected a record in the JSON array");
    /* Most elements are good and whole in the buffer: parse them in place.
     * Parsing that stops near the end of the buffer may only lack input:
     * read more and parse again. Anything else (a bad element, one over
     * the cap) is framed by counting brackets, then parsed. */
    for (;;) {
        const char *text = r->buf + r->start;
        size_t avail = r->len - r->start, used = 0;
        rd_begin_record(r, text, avail);
        bool ok = rd_json_parse_object(r, text, avail, &used);
        const char *stop = ok ? text + used : r->err_at;
        if (stop && (size_t)(text + avail - stop) < TOKEN_MAX && !r->eof && avail <= RD_MAX_RECORD + TOKEN_MAX) {
            rd_fill(r);
            continue;
        }
        if (ok && used <= RD_MAX_RECORD) {
            r->rec_len = used;
            rd_advance(r, used);
            return RD_RECORD;
        }
        break;
    }
    r->error[0] = '\0';
    Extent e = { 0, 0, false, false };
    while (!extent_scan(&e, r->buf + r->start, r->len - r->start)) {
        if (e.pos > RD_MAX_RECORD)
            return oversize_element(r, &e);
        if (!rd_fill(r)) {
            r->done = true;
            if (r->read_error)
                return fail_here(r, RD_FATAL, "cannot read the input");
            return fail_here(r, RD_FATAL, "the input ends inside a record: the JSON array is not closed");
        }
    }
    if (e.pos > RD_MAX_RECORD)
        return oversize_element(r, &e);
    if (e.pos == 0) {
        r->done = true;
        return fail_here(r, RD_FATAL, "expected a record after ',' in the JSON array");
    }
    const char *text = r->buf + r->start;
    rd_begin_record(r, text, e.pos);
    bool syntax;
    bool ok = rd_json_parse(r, text, e.pos, &syntax);
    if (!ok && syntax) {
        r->done = true;
        return RD_FATAL;
    }
    rd_advance(r, e.pos);
    return ok ? RD_RECORD : RD_BAD_RECORD;
}

/* ---- records ---- */

RdStatus rd_read(Reader *r)
{
    r->error[0] = '\0';
    r->err_line = r->err_col = 0;
    r->rec = NULL;
    r->rec_len = 0;
    r->nnodes = 0;
    if (r->fmt == RD_AUTO) {
        /* Looks past whitespace without consuming it: a CSV cell may start with it. */
        size_t skipped = 0;
        for (;;) {
            const char *p = r->buf + r->start + skipped, *end = r->buf + r->len;
            while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
                p++;
            skipped = (size_t)(p - (r->buf + r->start));
            if (p < end || !rd_fill(r))
                break;
        }
        if (r->start + skipped >= r->len)
            return r->read_error ? fail_here(r, RD_FATAL, "cannot read the input") : RD_END;
        char c = r->buf[r->start + skipped];
        r->fmt = c == '[' ? RD_JSON_ARRAY : c == '{' ? RD_NDJSON : RD_CSV;
    }
    switch (r->fmt) {
    case RD_NDJSON: r->status = next_line(r); break;
    case RD_JSON_ARRAY: r->status = next_element(r); break;
    default: r->status = rd_csv_next(r); break;
    }
    if (r->status != RD_RECORD)
        r->nnodes = 0;      /* no half-built tree after an error */
    return r->status;
}

bool rd_record_is_json(const Reader *r)
{
    return r->rec && r->status == RD_RECORD;
}

size_t rd_record_number(const Reader *r)
{
    return r->record;
}

const char *rd_error(const Reader *r)
{
    return r->error;
}

void rd_error_pos(const Reader *r, size_t *line, size_t *col)
{
    *line = (size_t)r->err_line;
    *col = (size_t)r->err_col;
}

size_t rd_record_line(const Reader *r)
{
    return (size_t)r->rec_line;
}

const char *rd_record_text(Reader *r, size_t *len)
{
    if (r->fmt == RD_CSV && r->rec && r->status == RD_RECORD) {
        cm_buf_clear(&r->row_json);
        rd_csv_record_text(r, &r->row_json);
        *len = r->row_json.len;
        return r->row_json.data ? r->row_json.data : "";
    }
    *len = r->rec ? r->rec_len : 0;
    return r->rec ? r->rec : "";
}
