/* diag: collected diagnostics and their renderers; see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "cm_utf8.h"

struct DiagSource {
    size_t index;           /* registration order: the primary sort key */
    char *name;
    char *text;             /* NULL when the file could not be read */
    size_t len;
    uint32_t *line_starts;
    size_t nlines;
    Span parent;            /* the include that read it; src NULL: none */
};

struct DiagSink {
    DiagSource **sources;
    size_t nsources;
    Diag **diags;
    size_t ndiags;
    size_t counts[2];
    DiagCallback cb;
    void *cb_ctx;
};

/* Longest stretch of a source line shown under a diagnostic, in code points. */
enum { SHOWN_LINE_MAX = 160 };

DiagSink *diag_sink_new(void)
{
    return cm_calloc(1, sizeof(DiagSink));
}

void diag_sink_free(DiagSink *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->ndiags; i++) {
        Diag *d = s->diags[i];
        for (size_t h = 0; h < d->nhelp; h++)
            cm_free(d->help[h]);
        cm_free(d->help);
        cm_free(d->message);
        cm_free(d);
    }
    for (size_t i = 0; i < s->nsources; i++) {
        cm_free(s->sources[i]->name);
        cm_free(s->sources[i]->text);
        cm_free(s->sources[i]->line_starts);
        cm_free(s->sources[i]);
    }
    cm_free(s->diags);
    cm_free(s->sources);
    cm_free(s);
}

void diag_sink_set_callback(DiagSink *s, DiagCallback cb, void *ctx)
{
    s->cb = cb;
    s->cb_ctx = ctx;
}

DiagSource *diag_source_add(DiagSink *s, const char *name, const char *text, size_t len)
{
    DiagSource *src = cm_calloc(1, sizeof *src);
    src->index = s->nsources;
    src->name = cm_strdup(name);
    if (text != NULL) {
        src->text = cm_strndup(text, len);
        src->len = len;
        size_t nlines = 1;
        for (size_t i = 0; i < len; i++)
            nlines += text[i] == '\n';
        src->line_starts = cm_malloc(nlines * sizeof(uint32_t));
        src->line_starts[0] = 0;
        src->nlines = 1;
        for (size_t i = 0; i < len; i++)
            if (text[i] == '\n')
                src->line_starts[src->nlines++] = (uint32_t)(i + 1);
    }
    s->sources = cm_realloc(s->sources, (s->nsources + 1) * sizeof *s->sources);
    s->sources[s->nsources++] = src;
    return src;
}

const char *diag_source_name(const DiagSource *src)
{
    return src->name;
}

void diag_source_set_parent(DiagSink *s, const DiagSource *src, Span at)
{
    /* The sink owns its sources: find the one to change among them. */
    for (size_t i = 0; i < s->nsources; i++)
        if (s->sources[i] == src)
            s->sources[i]->parent = at;
}

Span diag_source_parent(const DiagSource *src)
{
    return src->parent;
}

const char *diag_source_text(const DiagSource *src, size_t *len)
{
    if (len)
        *len = src->len;
    return src->text;
}

Span diag_span(const DiagSource *src, uint32_t start, uint32_t end)
{
    Span sp = { src, start, end < start ? start : end };
    return sp;
}

Span diag_span_join(Span a, Span b)
{
    Span sp = { a.src, a.start, b.end > a.start ? b.end : a.end };
    return sp;
}

Span diag_nowhere(const DiagSource *src)
{
    Span sp = { src, UINT32_MAX, UINT32_MAX };
    return sp;
}

static bool has_position(Span sp)
{
    return sp.src != NULL && sp.src->text != NULL && sp.start != UINT32_MAX;
}

Diag *diag_report(DiagSink *s, DiagSeverity sev, const char *code, Span span,
                  const char *fmt, ...)
{
    Diag *d = cm_calloc(1, sizeof *d);
    d->severity = sev;
    snprintf(d->code, sizeof d->code, "%s", code);
    if (has_position(span)) {
        if (span.start > span.src->len)
            span.start = (uint32_t)span.src->len;
        if (span.end > span.src->len)
            span.end = (uint32_t)span.src->len;
    }
    d->span = span;
    CmBuf b = CM_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cm_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    d->message = cm_buf_take(&b);
    s->diags = cm_realloc(s->diags, (s->ndiags + 1) * sizeof *s->diags);
    s->diags[s->ndiags++] = d;
    s->counts[sev]++;
    if (s->cb)
        s->cb(d, s->cb_ctx);
    return d;
}

void diag_help(Diag *d, const char *fmt, ...)
{
    CmBuf b = CM_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cm_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    d->help = cm_realloc(d->help, (d->nhelp + 1) * sizeof *d->help);
    d->help[d->nhelp++] = cm_buf_take(&b);
}

size_t diag_count(const DiagSink *s, DiagSeverity sev)
{
    return s->counts[sev];
}

size_t diag_total(const DiagSink *s)
{
    return s->ndiags;
}

const Diag *diag_at(const DiagSink *s, size_t i)
{
    return i < s->ndiags ? s->diags[i] : NULL;
}

size_t diag_line_of(const uint32_t *starts, size_t n, uint32_t off)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (starts[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static size_t line_index(const DiagSource *src, uint32_t off)
{
    return diag_line_of(src->line_starts, src->nlines, off);
}

void diag_position(const DiagSource *src, uint32_t off, uint32_t *line, uint32_t *col)
{
    if (src == NULL || src->text == NULL || off == UINT32_MAX) {
        *line = *col = 0;
        return;
    }
    if (off > src->len)
        off = (uint32_t)src->len;
    size_t li = line_index(src, off);
    uint32_t start = src->line_starts[li];
    *line = (uint32_t)li + 1;
    *col = (uint32_t)cm_utf8_count(src->text + start, off - start) + 1;
}

/* ---- sorting ---- */

static int diag_order(const void *pa, const void *pb)
{
    const Diag *a = *(Diag *const *)pa, *b = *(Diag *const *)pb;
    size_t ia = a->span.src ? a->span.src->index : 0;
    size_t ib = b->span.src ? b->span.src->index : 0;
    if (ia != ib)
        return ia < ib ? -1 : 1;
    if (a->span.start != b->span.start)
        return a->span.start < b->span.start ? -1 : 1;
    return 0;
}

static Diag **sorted(const DiagSink *s)
{
    Diag **v = cm_malloc((s->ndiags + 1) * sizeof *v);
    if (s->ndiags)
        memcpy(v, s->diags, s->ndiags * sizeof *v);
    /* Insertion sort: stable, so equal positions keep their report order. */
    for (size_t i = 1; i < s->ndiags; i++) {
        Diag *d = v[i];
        size_t j = i;
        while (j > 0 && diag_order(&v[j - 1], &d) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = d;
    }
    return v;
}

/* The include line of the file sp is in; src NULL when none. */
static Span parent_of(Span sp)
{
    Span none = { NULL, 0, 0 };
    return sp.src ? sp.src->parent : none;
}

/* ---- text ---- */

static const char *severity_name(DiagSeverity sev)
{
    return sev == DIAG_ERROR ? "error" : "warning";
}

/* Writes a source line with control bytes and invalid UTF-8 shown as '?',
 * so a diagnostic about junk input never prints junk to the terminal. The
 * caret line mirrors it: tabs stay tabs, everything else is one column. */
static void render_excerpt(CmBuf *out, const Diag *d, bool color)
{
    const DiagSource *src = d->span.src;
    size_t li = line_index(src, d->span.start);
    uint32_t ls = src->line_starts[li];
    uint32_t le = li + 1 < src->nlines ? src->line_starts[li + 1] - 1 : (uint32_t)src->len;
    if (le > ls && src->text[le - 1] == '\r')
        le--;
    uint32_t start = d->span.start < le ? d->span.start : le;
    uint32_t end = d->span.end < le ? d->span.end : le;

    /* Window of at most SHOWN_LINE_MAX code points that contains the caret. */
    uint32_t from = ls;
    size_t before = cm_utf8_count(src->text + ls, start - ls);
    if (before > SHOWN_LINE_MAX / 2) {
        size_t skip = before - SHOWN_LINE_MAX / 2;
        while (skip > 0 && from < start) {
            from++;
            while (from < start && ((unsigned char)src->text[from] & 0xC0) == 0x80)
                from++;
            skip--;
        }
    }
    char num[16];
    int w = snprintf(num, sizeof num, "%zu", li + 1);
    CmBuf line = CM_BUF_INIT, caret = CM_BUF_INIT;
    if (from > ls) {
        cm_buf_puts(&line, "...");
        cm_buf_puts(&caret, "   ");
    }
    size_t shown = 0;
    uint32_t i = from;
    while (i < le && shown < SHOWN_LINE_MAX) {
        uint32_t cp;
        size_t n = cm_utf8_decode(src->text + i, le - i, &cp);
        bool in_span = i >= start && (i < end || (i == start && end == start));
        char mark = in_span ? (i == start ? '^' : '~') : ' ';
        if (n == 0 || cp < 0x20 || cp == 0x7F) {
            bool tab = n == 1 && cp == '\t';
            cm_buf_putc(&line, tab ? '\t' : '?');
            cm_buf_putc(&caret, tab && !in_span ? '\t' : mark);
            i += n ? (uint32_t)n : 1;
        } else {
            cm_buf_put(&line, src->text + i, n);
            cm_buf_putc(&caret, mark);
            i += (uint32_t)n;
        }
        shown++;
    }
    if (i < le)
        cm_buf_puts(&line, "...");
    if (start >= i)     /* caret at end of line (or past the window) */
        cm_buf_putc(&caret, '^');
    while (caret.len > 0 && caret.data[caret.len - 1] == ' ')
        caret.data[--caret.len] = '\0';

    const char *blue = color ? "\033[1;34m" : "", *reset = color ? "\033[0m" : "";
    const char *hl = color ? (d->severity == DIAG_ERROR ? "\033[1;31m" : "\033[1;35m") : "";
    cm_buf_printf(out, "%s%*s |%s\n", blue, w, "", reset);
    cm_buf_printf(out, "%s%s |%s %s\n", blue, num, reset, line.data ? line.data : "");
    cm_buf_printf(out, "%s%*s |%s %s%s%s\n", blue, w, "", reset, hl,
                  caret.data ? caret.data : "", reset);
    cm_buf_free(&line);
    cm_buf_free(&caret);
}

static void render_text(CmBuf *out, const Diag *d, bool color)
{
    const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
    const char *sevc = color ? (d->severity == DIAG_ERROR ? "\033[1;31m" : "\033[1;35m") : "";
    if (d->span.src) {
        uint32_t line, col;
        diag_position(d->span.src, d->span.start, &line, &col);
        if (line)
            cm_buf_printf(out, "%s%s:%u:%u: ", bold, d->span.src->name, line, col);
        else
            cm_buf_printf(out, "%s%s: ", bold, d->span.src->name);
    } else {
        cm_buf_printf(out, "%scrmmap: ", bold);
    }
    cm_buf_printf(out, "%s%s[%s]:%s%s %s%s\n", sevc, severity_name(d->severity), d->code,
                  reset, bold, d->message, reset);
    if (has_position(d->span))
        render_excerpt(out, d, color);
    for (Span at = parent_of(d->span); at.src; at = parent_of(at)) {
        uint32_t line, col;
        diag_position(at.src, at.start, &line, &col);
        cm_buf_printf(out, "  %snote:%s included from %s:%u:%u\n", color ? "\033[1;36m" : "", reset,
                      at.src->name, line, col);
    }
    for (size_t h = 0; h < d->nhelp; h++)
        cm_buf_printf(out, "  %shelp:%s %s\n", color ? "\033[1;36m" : "", reset, d->help[h]);
}

/* ---- JSON ---- */

static void put_jstr(CmBuf *out, const char *s)
{
    cm_buf_put_json_string(out, s, strlen(s));
}

/* "included_from": the include lines, innermost first; only in included files. */
static void render_json_parents(CmBuf *out, const Diag *d)
{
    const char *sep = ", \"included_from\": [";
    for (Span at = parent_of(d->span); at.src; at = parent_of(at)) {
        uint32_t line, col;
        diag_position(at.src, at.start, &line, &col);
        cm_buf_puts(out, sep);
        cm_buf_puts(out, "{\"file\": ");
        put_jstr(out, at.src->name);
        cm_buf_printf(out, ", \"line\": %u, \"col\": %u}", line, col);
        sep = ", ";
    }
    if (parent_of(d->span).src)
        cm_buf_puts(out, "]");
}

static void render_json(CmBuf *out, Diag **v, size_t n)
{
    cm_buf_puts(out, "[");
    for (size_t i = 0; i < n; i++) {
        const Diag *d = v[i];
        uint32_t line, col, eline, ecol;
        diag_position(d->span.src, d->span.start, &line, &col);
        diag_position(d->span.src, d->span.end, &eline, &ecol);
        cm_buf_puts(out, i ? ",\n  {" : "\n  {");
        cm_buf_puts(out, "\"file\": ");
        put_jstr(out, d->span.src ? d->span.src->name : "");
        if (line)
            cm_buf_printf(out, ", \"line\": %u, \"col\": %u, \"end_line\": %u, \"end_col\": %u",
                          line, col, eline, ecol);
        else
            cm_buf_puts(out, ", \"line\": null, \"col\": null, \"end_line\": null, \"end_col\": null");
        cm_buf_printf(out, ", \"severity\": \"%s\", \"code\": \"%s\", \"message\": ",
                      severity_name(d->severity), d->code);
        put_jstr(out, d->message);
        cm_buf_puts(out, ", \"help\": ");
        cm_buf_put_json_strings(out, (const char *const *)d->help, d->nhelp);
        render_json_parents(out, d);
        cm_buf_puts(out, "}");
    }
    cm_buf_puts(out, n ? "\n]\n" : "]\n");
}

/* ---- SARIF 2.1.0 ---- */

static const struct { const char *code, *title; } code_titles[] = {
    { "E0001", "syntax error" },
    { "E0101", "unknown target entity" },
    { "E0102", "unknown target field" },
    { "E0103", "unknown source field" },
    { "E0104", "field not writable" },
    { "E0105", "type mismatch" },
    { "E0106", "value not allowed" },
    { "E0107", "table not exhaustive" },
    { "E0108", "required field not assigned on create" },
    { "E0109", "key field is not unique in the target" },
    { "E0110", "unknown or inactive user" },
    { "E0111", "ref to an entity not mapped earlier or of the wrong type" },
    { "E0112", "field assigned twice" },
    { "E0113", "schema or users file unreadable or invalid" },
    { "E0114", "unknown or duplicate table or function" },
    { "E0115", "mapping does not fit the bytecode format" },
    { "E0116", "fallback entity without an earlier update entity" },
    { "E0117", "let used before its declaration" },
    { "E0118", "let name already taken" },
    { "E0119", "param default not a literal, or param name already taken" },
    { "E0120", "bad extract() pattern or group" },
    { "E0121", "bad format_date() format" },
    { "E0122", "date format that cannot be read" },
    { "E0123", "include file missing, unreadable, outside the tree or in a cycle" },
    { "E0124", "no such association between the two objects" },
    { "E0125", "included file declares what only the mapping may" },
    { "E0126", "file into a field that does not take base64" },
    { "E0127", "value that cannot be a file into a base64 field" },
    { "E0128", "creator() without a creator field in the source schema" },
    { "E0129", "two snapADDY documents define the same source field" },
    { "E0130", "number outside the field's range or precision" },
    { "E0131", "chain of refs longer than the bytecode allows" },
    { "E0301", "test case file unreadable or invalid" },
    { "E0302", "test case names something the mapping does not have" },
    { "E0303", "test case expectation not met" },
    { "W0201", "value may be truncated" },
    { "W0202", "case branch can never match" },
    { "W0203", "case has no else" },
    { "W0204", "create entity without a key" },
    { "W0205", "value not among an unrestricted picklist's values" },
    { "W0206", "lookup without its navigation property" },
    { "W0210", "update entity without a fallback" },
    { "W0211", "table looked up by an open answer has no else" },
    { "W0212", "key or required field's value can fail at run time" },
    { "W0213", "create-only field sent only when the record is created" },
    { "W0214", "let never used" },
    { "W0215", "param never used" },
    { "W0216", "date or date-time sent to a text field" },
    { "W0218", "association to an object the schema document does not describe" },
    { "W0219", "text into a base64 field, checked as a file only at run time" },
    { "W0220", "a snapADDY id or e-mail linked to two active CRM users" },
};

static const char *code_title(const char *code)
{
    for (size_t i = 0; i < sizeof code_titles / sizeof code_titles[0]; i++)
        if (strcmp(code_titles[i].code, code) == 0)
            return code_titles[i].title;
    return code;
}

/* A file name as a SARIF artifactLocation.uri: a URI reference (RFC 3986),
 * so every byte but the unreserved ones and '/' is percent-encoded — a
 * space or a non-ASCII name would otherwise make the whole log invalid. */
static void put_uri(CmBuf *out, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    cm_buf_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p) != NULL) {
            cm_buf_putc(out, (char)*p);
        } else {
            cm_buf_putc(out, '%');
            cm_buf_putc(out, hex[*p >> 4]);
            cm_buf_putc(out, hex[*p & 15]);
        }
    }
    cm_buf_putc(out, '"');
}

/* "physicalLocation": the file of sp and, when it has one, its region. */
static void put_physical(CmBuf *out, Span sp)
{
    cm_buf_puts(out, "\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
    put_uri(out, sp.src->name);
    cm_buf_puts(out, "}");
    uint32_t line, col, eline, ecol;
    diag_position(sp.src, sp.start, &line, &col);
    diag_position(sp.src, sp.end, &eline, &ecol);
    if (line)
        cm_buf_printf(out, ", \"region\": {\"startLine\": %u, \"startColumn\": %u, "
                           "\"endLine\": %u, \"endColumn\": %u}", line, col, eline, ecol);
    cm_buf_puts(out, "}");
}

static void render_sarif(CmBuf *out, Diag **v, size_t n)
{
    cm_buf_puts(out, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
                     "  \"version\": \"2.1.0\",\n  \"runs\": [{\n    \"tool\": {\"driver\": {"
                     "\"name\": \"crmmap\", \"informationUri\": \"https://example.invalid/crmmap\", "
                     "\"rules\": [");
    /* One rule per code used, in first-use order. */
    const char *seen[64];
    size_t nseen = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nseen && strcmp(seen[k], v[i]->code) != 0)
            k++;
        if (k < nseen || nseen == 64)
            continue;
        seen[nseen++] = v[i]->code;
        cm_buf_printf(out, "%s\n      {\"id\": \"%s\", \"shortDescription\": {\"text\": ",
                      nseen > 1 ? "," : "", v[i]->code);
        put_jstr(out, code_title(v[i]->code));
        cm_buf_puts(out, "}}");
    }
    cm_buf_puts(out, "]}},\n    \"results\": [");
    for (size_t i = 0; i < n; i++) {
        const Diag *d = v[i];
        CmBuf msg = CM_BUF_INIT;
        cm_buf_puts(&msg, d->message);
        for (size_t h = 0; h < d->nhelp; h++)
            cm_buf_printf(&msg, "\nhelp: %s", d->help[h]);
        cm_buf_printf(out, "%s\n      {\"ruleId\": \"%s\", \"level\": \"%s\", \"message\": {\"text\": ",
                      i ? "," : "", d->code, severity_name(d->severity));
        put_jstr(out, msg.data);
        cm_buf_free(&msg);
        cm_buf_puts(out, "}");
        if (d->span.src) {
            cm_buf_puts(out, ", \"locations\": [{");
            put_physical(out, d->span);
            cm_buf_puts(out, "}]");
        }
        const char *sep = ", \"relatedLocations\": [";
        unsigned id = 0;
        for (Span at = parent_of(d->span); at.src; at = parent_of(at)) {
            cm_buf_printf(out, "%s{\"id\": %u, \"message\": {\"text\": \"included from\"}, ", sep, id++);
            put_physical(out, at);
            cm_buf_puts(out, "}");
            sep = ", ";
        }
        cm_buf_puts(out, id ? "]}" : "}");
    }
    cm_buf_puts(out, n ? "\n    ]\n  }]\n}\n" : "]\n  }]\n}\n");
}

/* ---- GitHub workflow commands ---- */

static void put_gh_escaped(CmBuf *out, const char *s, bool property)
{
    for (; *s; s++) {
        switch (*s) {
        case '%': cm_buf_puts(out, "%25"); break;
        case '\r': cm_buf_puts(out, "%0D"); break;
        case '\n': cm_buf_puts(out, "%0A"); break;
        case ':': cm_buf_puts(out, property ? "%3A" : ":"); break;
        case ',': cm_buf_puts(out, property ? "%2C" : ","); break;
        default: cm_buf_putc(out, *s);
        }
    }
}

static void render_github(CmBuf *out, const Diag *d)
{
    cm_buf_printf(out, "::%s ", d->severity == DIAG_ERROR ? "error" : "warning");
    if (d->span.src) {
        cm_buf_puts(out, "file=");
        put_gh_escaped(out, d->span.src->name, true);
        uint32_t line, col, eline, ecol;
        diag_position(d->span.src, d->span.start, &line, &col);
        diag_position(d->span.src, d->span.end, &eline, &ecol);
        if (line)
            cm_buf_printf(out, ",line=%u,col=%u,endLine=%u,endColumn=%u", line, col, eline, ecol);
        cm_buf_puts(out, ",");
    }
    cm_buf_printf(out, "title=%s::", d->code);
    put_gh_escaped(out, d->message, false);
    for (size_t h = 0; h < d->nhelp; h++) {
        cm_buf_puts(out, "%0Ahelp: ");
        put_gh_escaped(out, d->help[h], false);
    }
    for (Span at = parent_of(d->span); at.src; at = parent_of(at)) {
        uint32_t line, col;
        diag_position(at.src, at.start, &line, &col);
        cm_buf_puts(out, "%0Aincluded from ");
        put_gh_escaped(out, at.src->name, false);
        cm_buf_printf(out, ":%u:%u", line, col);
    }
    cm_buf_putc(out, '\n');
}

void diag_render(const DiagSink *s, FILE *out, DiagFormat fmt, bool color)
{
    Diag **v = sorted(s);
    CmBuf b = CM_BUF_INIT;
    switch (fmt) {
    case DIAG_TEXT:
        for (size_t i = 0; i < s->ndiags; i++)
            render_text(&b, v[i], color);
        break;
    case DIAG_JSON:
        render_json(&b, v, s->ndiags);
        break;
    case DIAG_SARIF:
        render_sarif(&b, v, s->ndiags);
        break;
    case DIAG_GITHUB:
        for (size_t i = 0; i < s->ndiags; i++)
            render_github(&b, v[i]);
        break;
    }
    if (b.len)
        fwrite(b.data, 1, b.len, out);
    cm_buf_free(&b);
    cm_free(v);
}

bool diag_format_parse(const char *name, DiagFormat *fmt)
{
    static const struct { const char *name; DiagFormat fmt; } names[] = {
        { "text", DIAG_TEXT }, { "json", DIAG_JSON },
        { "sarif", DIAG_SARIF }, { "github", DIAG_GITHUB },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0) {
            *fmt = names[i].fmt;
            return true;
        }
    return false;
}

/* ---- suggestions ---- */

size_t diag_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t *rows = cm_malloc(3 * (m + 1) * sizeof *rows);
    size_t *prev2 = rows, *prev = rows + m + 1, *cur = rows + 2 * (m + 1);
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
                && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[m];
    cm_free(rows);
    return d;
}

bool diag_equal_ignoring_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

const char *diag_suggest(const char *name, const char *const *candidates, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (diag_equal_ignoring_case(name, candidates[i]))
            return candidates[i];
    size_t limit = strlen(name) / 3 + 1, best_d = (size_t)-1;
    const char *best = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t d = diag_edit_distance(name, candidates[i]);
        if (d <= limit && d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}
