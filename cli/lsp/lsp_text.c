/* lsp_text: positions, URIs and edits (lsp_text.h). */
#include "lsp_text.h"

#include <string.h>

#include "cm_alloc.h"
#include "cm_utf8.h"
#include "diag.h"

void lsp_lines_init(LspLines *l, const char *text, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    l->text = text;
    l->len = len;
    l->n = n;
    l->starts = cm_malloc(n * sizeof *l->starts);
    l->starts[0] = 0;
    for (size_t i = 0, k = 1; i < len; i++)
        if (text[i] == '\n')
            l->starts[k++] = (uint32_t)(i + 1);
}

void lsp_lines_free(LspLines *l)
{
    cm_free(l->starts);
    l->starts = NULL;
}

/* The width in UTF-16 units of the character at s (n > 0 bytes left) and its
 * byte length: invalid bytes count as one unit each, as editors show them. */
static size_t char_at(const char *s, size_t n, uint32_t *units)
{
    uint32_t cp;
    size_t k = cm_utf8_decode(s, n, &cp);
    if (k == 0) {
        *units = 1;
        return 1;
    }
    *units = cp >= 0x10000 ? 2 : 1;
    return k;
}

static size_t line_end(const LspLines *l, size_t line)
{
    size_t end = line + 1 < l->n ? l->starts[line + 1] - 1 : l->len;
    if (end > l->starts[line] && l->text[end - 1] == '\r')
        end--;
    return end;
}

size_t lsp_lines_offset(const LspLines *l, uint32_t line, uint32_t col)
{
    if (line >= l->n)
        return l->len;
    size_t off = l->starts[line], end = line_end(l, line);
    uint32_t at = 0;
    while (off < end && at < col) {
        uint32_t u;
        off += char_at(l->text + off, end - off, &u);
        at += u;
    }
    return off;
}

void lsp_lines_position(const LspLines *l, size_t off, uint32_t *line, uint32_t *col)
{
    if (off > l->len)
        off = l->len;
    size_t lo = diag_line_of(l->starts, l->n, (uint32_t)off);
    uint32_t c = 0;
    for (size_t i = l->starts[lo]; i < off;) {
        uint32_t u;
        i += char_at(l->text + i, off - i, &u);
        c += u;
    }
    *line = (uint32_t)lo;
    *col = c;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *lsp_uri_path(const char *uri)
{
    static const char scheme[] = "file://";
    if (strncmp(uri, scheme, sizeof scheme - 1) != 0)
        return NULL;
    const char *p = uri + sizeof scheme - 1;
    if (*p != '/')      /* a host (file://server/...) is not ours to read */
        return NULL;
    CmBuf out = CM_BUF_INIT;
    for (; *p && *p != '?' && *p != '#'; p++) {
        if (*p != '%') {
            cm_buf_putc(&out, *p);
            continue;
        }
        int a = hex(p[1]), b = a < 0 ? -1 : hex(p[2]);
        if (b < 0 || (a == 0 && b == 0)) {
            cm_buf_free(&out);
            return NULL;
        }
        cm_buf_putc(&out, (char)(a * 16 + b));
        p += 2;
    }
    return cm_buf_take(&out);
}

void lsp_path_uri(CmBuf *out, const char *path)
{
    static const char digits[] = "0123456789ABCDEF";
    cm_buf_puts(out, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p)) {
            cm_buf_putc(out, (char)*p);
        } else {
            cm_buf_putc(out, '%');
            cm_buf_putc(out, digits[*p >> 4]);
            cm_buf_putc(out, digits[*p & 15]);
        }
    }
}

bool lsp_text_replace(CmBuf *t, size_t start, size_t end, const char *rep, size_t n)
{
    if (start > end || end > t->len)
        return false;
    size_t tail = t->len - end;
    if (n > end - start)
        cm_buf_reserve(t, n - (end - start));
    if (t->data == NULL)
        cm_buf_reserve(t, 1);
    memmove(t->data + start + n, t->data + end, tail);
    if (n)
        memcpy(t->data + start, rep, n);
    t->len = start + n + tail;
    t->data[t->len] = '\0';
    return true;
}
