/* bi_html: html(x) and html_lines(x), text for HTML bodies such as HubSpot
 * notes: & < > " ' become entities, and html_lines also turns each line
 * break (\r\n, \n or \r) into <br>. Every character grows to at most six
 * (&quot;), which is the bound the checker uses for lengths. */
#include <string.h>

#include "bi_impl.h"

enum { HTML_GROWTH = 6 };

static const char *entity(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

static bool escape(BiCtx *cx, const Value *args, size_t nargs, bool lines, Value *out)
{
    (void)nargs;
    BiText t;
    if (!bi_text(cx, &args[0], &t))
        return false;
    if (t.n == 0)
        return true;
    char *dst = builtin_alloc(cx, t.n * HTML_GROWTH);
    if (dst == NULL)
        return false;
    size_t w = 0;
    for (size_t i = 0; i < t.n; i++) {
        char c = t.s[i];
        const char *e = entity(c);
        if (lines && (c == '\n' || c == '\r')) {
            if (c == '\r' && i + 1 < t.n && t.s[i + 1] == '\n')
                i++;
            e = "<br>";
        }
        if (e == NULL) {
            dst[w++] = c;
            continue;
        }
        size_t k = strlen(e);
        memcpy(dst + w, e, k);
        w += k;
    }
    return bi_out_text(cx, out, dst, w);
}

bool bi_html(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    return escape(cx, args, nargs, false, out);
}

bool bi_html_lines(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    return escape(cx, args, nargs, true, out);
}
