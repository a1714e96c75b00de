/* lsp_context: the cursor's surroundings (lsp_context.h). */
#include "lsp_context.h"

#include <string.h>

bool lsp_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           (unsigned char)c >= 0x80;
}

static void copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Blocks opened before off: an `entity NAME ... {` or `table NAME {` line
 * opens a named block, any other `{` (master crm, on create) an inner one. */
enum { MAX_OPEN = 64 };

static void scan(const char *t, size_t off, LspContext *cx)
{
    LspBlock kinds[MAX_OPEN];
    size_t names[MAX_OPEN], depth = 0, line = 0;
    bool str = false, comment = false;
    for (size_t i = 0; i < off; i++) {
        char c = t[i];
        if (c == '\n') {
            line = i + 1;
            str = comment = false;
        } else if (comment) {
            continue;
        } else if (str) {
            if (c == '\\' && i + 1 < off)
                i++;
            else if (c == '"')
                str = false;
        } else if (c == '"') {
            str = true;
            cx->start = i + 1;
        } else if (c == '#') {
            comment = true;
        } else if (c == '{' && depth < MAX_OPEN) {
            size_t k = line;
            while (k < i && (t[k] == ' ' || t[k] == '\t'))
                k++;
            LspBlock b = LB_TOP;
            if (strncmp(t + k, "entity ", 7) == 0)
                b = LB_ENTITY, k += 7;
            else if (strncmp(t + k, "table ", 6) == 0)
                b = LB_TABLE, k += 6;
            while (b != LB_TOP && k < i && t[k] == ' ')
                k++;
            kinds[depth] = b;
            names[depth++] = k;
        } else if (c == '}' && depth) {
            depth--;
        }
    }
    cx->in_string = str;
    cx->in_comment = comment;
    for (size_t d = depth; d-- > 0;)
        if (kinds[d] != LB_TOP) {
            cx->block = kinds[d];
            size_t k = names[d], e = k;
            while (lsp_name_char(t[e]))
                e++;
            copy(cx->name, sizeof cx->name, t + k, e - k);
            break;
        }
}

void lsp_context(const char *t, size_t len, size_t off, LspContext *cx)
{
    memset(cx, 0, sizeof *cx);
    if (off > len)
        off = len;
    scan(t, off, cx);
    if (!cx->in_string) {
        cx->start = off;
        while (cx->start > 0 && lsp_name_char(t[cx->start - 1]))
            cx->start--;
    }
    cx->end = off;
    if (cx->in_string) {
        while (cx->end < len && t[cx->end] != '"' && t[cx->end] != '\n')
            cx->end++;
    } else {
        while (cx->end < len && lsp_name_char(t[cx->end]))
            cx->end++;
    }
    size_t b = cx->in_string ? cx->start - 1 : cx->start;
    while (b > 0 && (t[b - 1] == ' ' || t[b - 1] == '\t'))
        b--;
    cx->line_start = b == 0 || t[b - 1] == '\n';
    /* The token before the word or string. */
    static const char *const ops[] = { "==", "!=", "->", "=", "(", "ref" };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i]);
        if (b >= n && memcmp(t + b - n, ops[i], n) == 0 &&
            !(n == 3 && b > n && lsp_name_char(t[b - n - 1]))) {
            copy(cx->before, sizeof cx->before, ops[i], n);
            size_t e = b - n;
            while (e > 0 && (t[e - 1] == ' ' || t[e - 1] == '\t'))
                e--;
            size_t s = e;
            while (s > 0 && lsp_name_char(t[s - 1]))
                s--;
            if (n != 3)
                copy(cx->lhs, sizeof cx->lhs, t + s, e - s);
            break;
        }
    }
}
