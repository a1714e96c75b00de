/* reader_csv: CSV with a header row (RFC 4180) into the reader's tree.
 *
 * A row is framed first (it ends at a line break outside quotes), then split
 * into cells. The header row fixes the record's shape once: a header with
 * dots ("answers.q_interest") is a nested path, so each row becomes the same
 * object tree a JSON record would be, with every cell a string. Empty cells
 * are left out (docs/language.md: empty values are never sent), and so is an object
 * all of whose cells are empty. */
#include <string.h>

#include "cm_alloc.h"
#include "cm_utf8.h"
#include "reader_int.h"

/* The record's shape: an object node or a column. */
typedef struct Shape {
    const char *key;            /* segment of the header; NULL for the root */
    uint32_t key_len;
    int32_t col;                /* a column's index; -1 for an object */
    uint32_t first, next;       /* children / next sibling, RD_NONE-terminated */
} Shape;

typedef struct Cell {
    const char *text;
    uint32_t len;
    uint32_t offset;            /* in the row, for error positions */
} Cell;

struct RdCsv {
    char **headers;             /* as written, NUL-terminated */
    size_t ncols;
    Shape *shapes;
    uint32_t nshapes, cap_shapes;
    Cell *cells;
    size_t cap_cells, ncells;
};

void rd_csv_free(RdCsv *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->ncols; i++)
        cm_free(c->headers[i]);
    cm_free(c->headers);
    cm_free(c->shapes);
    cm_free(c->cells);
    cm_free(c);
}

/* ---- framing and cells ---- */

/* Finds the end of the row at buf[start]: the first '\n' outside a quoted
 * cell. A quote opens a quoted cell only at the start of a cell, as in
 * split_row, so a stray quote does not swallow the rows after it.
 * Resumable across reads. */
typedef enum RowState { CELL_START, UNQUOTED, QUOTED, QUOTE_SEEN } RowState;

typedef struct RowScan {
    size_t pos;
    RowState state;
    size_t quote_at;            /* where the last quoted cell opened */
} RowScan;

static bool row_scan(RowScan *s, const char *t, size_t n)
{
    RowState st = s->state;
    for (size_t i = s->pos; i < n; i++) {
        char c = t[i];
        if (st == QUOTED) {
            const char *q = memchr(t + i, '"', n - i);
            if (q == NULL) {
                i = n - 1;
                continue;
            }
            i = (size_t)(q - t);
            st = QUOTE_SEEN;
        } else if (c == '\n') {
            s->pos = i;
            s->state = st;
            return true;
        } else if (c == ',') {
            st = CELL_START;
        } else if (c == '"' && st == CELL_START) {
            st = QUOTED;
            s->quote_at = i;
        } else if (c == '"' && st == QUOTE_SEEN) {
            st = QUOTED;        /* "" inside a quoted cell */
        } else {
            st = UNQUOTED;
        }
    }
    s->pos = n;
    s->state = st;
    return false;
}

static void put_cell(RdCsv *c, const char *text, size_t len, size_t offset)
{
    if (c->ncells == c->cap_cells) {
        c->cap_cells = c->cap_cells ? 2 * c->cap_cells : 32;
        c->cells = cm_realloc(c->cells, c->cap_cells * sizeof *c->cells);
    }
    c->cells[c->ncells++] = (Cell){ text, (uint32_t)len, (uint32_t)offset };
}

/* Splits row[0, n) (no line break) into c->cells. Quoted cells with ""
 * are unescaped into the reader's arena. */
static bool split_row(Reader *r, RdCsv *c, const char *row, size_t n)
{
    size_t bad = cm_utf8_invalid_at(row, n);
    if (bad != n)
        return rd_fail_at(r, row + bad, "invalid UTF-8 byte 0x%02X", (unsigned char)row[bad]);
    c->ncells = 0;
    const char *p = row, *end = row + n;
    for (;;) {
        if (c->ncells == RD_MAX_COLUMNS)
            return rd_fail_at(r, p, "the row has more than %u cells", RD_MAX_COLUMNS);
        const char *cell = p;
        if (p < end && *p == '"') {
            const char *q = ++p;
            bool doubled = false;
            for (;;) {
                q = memchr(q, '"', (size_t)(end - q));
                if (q == NULL)
                    return rd_fail_at(r, cell, "a quoted cell is not closed");
                if (q + 1 < end && q[1] == '"') {
                    doubled = true;
                    q += 2;
                    continue;
                }
                break;
            }
            if (doubled) {
                char *d = cm_arena_alloc(&r->arena, (size_t)(q - p) + 1);
                size_t k = 0;
                for (const char *s = p; s < q; s++) {
                    d[k++] = *s;
                    if (*s == '"')
                        s++;
                }
                put_cell(c, d, k, (size_t)(cell - row));
            } else {
                put_cell(c, p, (size_t)(q - p), (size_t)(cell - row));
            }
            p = q + 1;
            if (p < end && *p != ',')
                return rd_fail_at(r, p, "text after a quoted cell's closing quote (write a quote inside a quoted cell as \"\")");
        } else {
            while (p < end && *p != ',') {
                if (*p == '"')
                    return rd_fail_at(r, p, "a quote inside an unquoted cell (quote the whole cell and double the quote)");
                if (*p == '\r')
                    return rd_fail_at(r, p, "a carriage return inside an unquoted cell");
                p++;
            }
            put_cell(c, cell, (size_t)(p - cell), (size_t)(cell - row));
        }
        if (p >= end)
            return true;
        p++;                    /* the ',' */
    }
}

/* Frames the next non-blank row and splits it. RD_BAD_RECORD for a row
 * over the cap or one that does not split. */
static RdStatus next_row(Reader *r, RdCsv *c, bool *counted)
{
    *counted = false;
    for (;;) {
        RowScan s = { 0, CELL_START, 0 };
        bool oversize = false;
        uint64_t line = r->line, col = r->buf_pos + r->start - r->line_start + 1;
        while (!row_scan(&s, r->buf + r->start, r->len - r->start)) {
            if (s.pos > RD_MAX_RECORD + 1) {
                oversize = true;
                rd_advance(r, s.pos);   /* drop what is scanned: memory stays bounded */
                s.pos = s.quote_at = 0;
            }
            if (!rd_fill(r))
                break;
        }
        if (r->read_error)
            return rd_fail_pos(r, r->line, 1, "cannot read the input"), RD_FATAL;
        bool at_newline = r->start + s.pos < r->len;
        if (oversize) {
            rd_advance(r, s.pos + at_newline);
            r->record++;
            *counted = true;
            rd_fail_oversize(r, line, col);
            return RD_BAD_RECORD;
        }
        const char *row = r->buf + r->start;
        size_t n = s.pos;
        if (n == 0 && !at_newline)
            return RD_END;
        bool open = s.state == QUOTED;
        size_t body = n > 0 && row[n - 1] == '\r' && !open ? n - 1 : n;
        if (body == 0) {            /* a blank line */
            rd_advance(r, n + at_newline);
            continue;
        }
        if (body > RD_MAX_RECORD) {
            rd_advance(r, n + at_newline);
            r->record++;
            *counted = true;
            rd_fail_oversize(r, line, col);
            return RD_BAD_RECORD;
        }
        rd_begin_record(r, row, body);
        bool ok = open ? rd_fail_at(r, row + s.quote_at, "this quoted cell is not closed before the end of the input")
                           : split_row(r, c, row, body);
        /* The row's text stays where it is until the next call. */
        rd_advance(r, n + at_newline);
        return ok ? RD_RECORD : RD_BAD_RECORD;
    }
}

/* ---- the header ---- */

static uint32_t new_shape(RdCsv *c, const char *key, size_t len, int32_t col)
{
    if (c->nshapes == c->cap_shapes) {
        c->cap_shapes = c->cap_shapes ? 2 * c->cap_shapes : 32;
        c->shapes = cm_realloc(c->shapes, c->cap_shapes * sizeof *c->shapes);
    }
    c->shapes[c->nshapes] = (Shape){ key, (uint32_t)len, col, RD_NONE, RD_NONE };
    return c->nshapes++;
}

/* The child of object shape parent named key, created when missing. */
static uint32_t shape_child(RdCsv *c, uint32_t parent, const char *key, size_t len, int32_t col,
                            uint32_t *existing)
{
    uint32_t last = RD_NONE;
    for (uint32_t k = c->shapes[parent].first; k != RD_NONE; k = c->shapes[k].next) {
        if (c->shapes[k].key_len == len && memcmp(c->shapes[k].key, key, len) == 0) {
            *existing = k;
            return k;
        }
        last = k;
    }
    *existing = RD_NONE;
    uint32_t k = new_shape(c, key, len, col);
    if (last == RD_NONE)
        c->shapes[parent].first = k;
    else
        c->shapes[last].next = k;
    return k;
}

/* A header is a dotted path when it has no empty segment ("a.b", not "a."
 * or "Ltd."); otherwise it is one key. */
static bool dotted(const char *h, size_t n)
{
    if (memchr(h, '.', n) == NULL || h[0] == '.' || h[n - 1] == '.')
        return false;
    for (size_t i = 1; i < n; i++)
        if (h[i] == '.' && h[i - 1] == '.')
            return false;
    return true;
}

static bool add_column(Reader *r, RdCsv *c, size_t col)
{
    const char *h = c->headers[col];
    size_t n = strlen(h);
    uint64_t line = r->rec_line, ccol = r->rec_col + c->cells[col].offset;
    if (n == 0)
        return rd_fail_pos(r, line, ccol, "column %zu has an empty name in the header row", col + 1);
    if (c->nshapes + RD_MAX_DEPTH > RD_MAX_VALUES / 4)
        return rd_fail_pos(r, line, ccol, "the header row names too many nested columns");
    uint32_t node = 0, existing;
    bool path = dotted(h, n);
    size_t depth = 0;
    for (const char *seg = h;;) {
        const char *dot = path ? memchr(seg, '.', n - (size_t)(seg - h)) : NULL;
        size_t len = dot ? (size_t)(dot - seg) : n - (size_t)(seg - h);
        if (++depth > RD_MAX_DEPTH)
            return rd_fail_pos(r, line, ccol, "column '%s' is nested deeper than %u levels", h, RD_MAX_DEPTH);
        uint32_t k = shape_child(c, node, seg, len, dot ? -1 : (int32_t)col, &existing);
        if (existing != RD_NONE) {
            int32_t other = c->shapes[k].col;
            if (dot == NULL && other >= 0)
                return rd_fail_pos(r, line, ccol, "column '%s' appears twice in the header row", h);
            if (dot == NULL || other >= 0)
                return rd_fail_pos(r, line, ccol, "column '%s' conflicts with an earlier column: "
                                   "'%.*s' cannot be both a value and an object", h, (int)(seg - h) + (int)len, h);
        }
        if (dot == NULL)
            return true;
        node = k;
        seg = dot + 1;
    }
}

static RdStatus read_header(Reader *r)
{
    RdCsv *c = r->csv = cm_calloc(1, sizeof *r->csv);
    bool counted;
    RdStatus st = next_row(r, c, &counted);
    if (st == RD_END)
        return RD_END;
    if (st != RD_RECORD) {
        if (counted)
            rd_fail_pos(r, r->err_line, r->err_col, "the header row is larger than %u bytes", RD_MAX_RECORD);
        r->record = 0;
        return RD_FATAL;
    }
    c->headers = cm_calloc(c->ncells, sizeof *c->headers);
    c->ncols = c->ncells;       /* after: rd_csv_free walks ncols headers */
    for (size_t i = 0; i < c->ncols; i++)
        c->headers[i] = cm_strndup(c->cells[i].text, c->cells[i].len);
    new_shape(c, NULL, 0, -1);
    for (size_t i = 0; i < c->ncols; i++) {
        if (memchr(c->cells[i].text, '\0', c->cells[i].len))
            return rd_fail_pos(r, r->rec_line, r->rec_col + c->cells[i].offset,
                               "column %zu's name holds a NUL byte", i + 1), RD_FATAL;
        if (!add_column(r, c, i))
            return RD_FATAL;
    }
    return RD_RECORD;
}

/* ---- rows into trees ---- */

/* Emits the object for shape s; returns its node, or RD_NONE when nothing
 * below it has a value (then nothing was emitted). */
static uint32_t emit(Reader *r, const RdCsv *c, uint32_t s, bool root)
{
    uint32_t mark = r->nnodes;
    uint32_t obj = rd_new_node(r, RDK_OBJECT);
    uint32_t prev = RD_NONE, count = 0;
    for (uint32_t k = c->shapes[s].first; k != RD_NONE; k = c->shapes[k].next) {
        const Shape *sh = &c->shapes[k];
        uint32_t v;
        if (sh->col >= 0) {
            const Cell *cell = &c->cells[sh->col];
            if (cell->len == 0)
                continue;
            v = rd_new_node(r, RDK_STR);
            r->nodes[v].text = cell->text;
            r->nodes[v].len = cell->len;
        } else {
            v = emit(r, c, k, false);
            if (v == RD_NONE)
                continue;
        }
        r->nodes[v].key = sh->key;
        r->nodes[v].key_len = sh->key_len;
        if (prev != RD_NONE)
            r->nodes[prev].next = v;
        prev = v;
        count++;
    }
    if (count == 0 && !root) {
        r->nnodes = mark;
        return RD_NONE;
    }
    r->nodes[obj].u.count = count;
    return obj;
}

RdStatus rd_csv_next(Reader *r)
{
    if (r->csv == NULL) {
        RdStatus st = read_header(r);
        if (st != RD_RECORD) {
            if (st == RD_END)
                return rd_fail_pos(r, r->line, 1, "the CSV input is empty: it needs a header row"), RD_FATAL;
            return st;
        }
    }
    RdCsv *c = r->csv;
    bool counted;
    RdStatus st = next_row(r, c, &counted);
    if (st == RD_END || st == RD_FATAL)
        return st;
    if (!counted)
        r->record++;
    if (st == RD_BAD_RECORD)
        return st;
    if (c->ncells != c->ncols)
        return rd_fail_at(r, r->rec, "the row has %zu cells, the header %zu", c->ncells, c->ncols), RD_BAD_RECORD;
    r->nnodes = 0;
    emit(r, c, 0, true);
    return RD_RECORD;
}

void rd_csv_record_text(Reader *r, CmBuf *out)
{
    const RdCsv *c = r->csv;
    cm_buf_putc(out, '{');
    for (size_t i = 0; i < c->ncols; i++) {
        if (i)
            cm_buf_puts(out, ", ");
        cm_buf_put_json_string(out, c->headers[i], strlen(c->headers[i]));
        cm_buf_puts(out, ": ");
        cm_buf_put_json_string(out, c->cells[i].text, c->cells[i].len);
    }
    cm_buf_putc(out, '}');
}
