/* lsp_frame: Content-Length framing (lsp_frame.h). */
#include "lsp_frame.h"

#include <stdint.h>
#include <string.h>

void lsp_reader_init(LspReader *r, size_t max_body)
{
    memset(r, 0, sizeof *r);
    r->max_body = max_body;
}

void lsp_reader_free(LspReader *r)
{
    cm_buf_free(&r->buf);
}

void lsp_reader_feed(LspReader *r, const char *data, size_t n)
{
    if (r->skip) {
        size_t drop = n < r->skip ? n : r->skip;
        r->skip -= drop;
        data += drop;
        n -= drop;
    }
    if (n == 0)
        return;
    /* Move the unconsumed rest to the front before growing, so the buffer
     * stays about one message long however long the session. */
    if (r->pos && (r->pos == r->buf.len || r->pos > r->buf.len / 2)) {
        memmove(r->buf.data, r->buf.data + r->pos, r->buf.len - r->pos);
        r->buf.len -= r->pos;
        r->pos = 0;
    }
    cm_buf_put(&r->buf, data, n);
}

static bool name_is(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++) {
        char c = line[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != name[i])
            return false;
    }
    return true;
}

/* The Content-Length of a header block (lines separated by CRLF); false
 * when it has none, or one that is not a plain decimal number. */
static bool content_length(const char *h, size_t n, uint64_t *out)
{
    bool found = false;
    size_t i = 0;
    while (i < n) {
        const char *line = h + i;
        const char *end = memchr(line, '\r', n - i);
        size_t len = end ? (size_t)(end - line) : n - i;
        i += len + 2;
        if (!name_is(line, len, "content-length:"))
            continue;
        size_t j = strlen("content-length:");
        while (j < len && (line[j] == ' ' || line[j] == '\t'))
            j++;
        if (j == len || found)
            return false;
        uint64_t v = 0;
        for (; j < len; j++) {
            if (line[j] < '0' || line[j] > '9' || v > UINT32_MAX)
                return false;
            v = v * 10 + (uint64_t)(line[j] - '0');
        }
        *out = v;
        found = true;
    }
    return found;
}

static const char *find_end(const char *s, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(s + i, "\r\n\r\n", 4) == 0)
            return s + i;
    return NULL;
}

LspFrame lsp_reader_next(LspReader *r, const char **body, size_t *len)
{
    const char *s = r->buf.data + r->pos;
    size_t n = r->buf.len - r->pos;
    if (r->skip || n == 0)
        return LF_NONE;
    size_t look = n < LSP_MAX_HEADER + 4 ? n : LSP_MAX_HEADER + 4;
    const char *end = find_end(s, look);
    if (end == NULL) {
        if (n < LSP_MAX_HEADER + 4)
            return LF_NONE;
        /* No header ends within the cap: drop what came, but keep the
         * last bytes, which may begin the terminator of this block. */
        r->pos += n - 3;
        return LF_BAD_HEADER;
    }
    size_t hlen = (size_t)(end - s) + 4;
    uint64_t clen;
    if (!content_length(s, (size_t)(end - s), &clen)) {
        r->pos += hlen;
        return LF_BAD_HEADER;
    }
    if (clen > r->max_body) {
        size_t have = n - hlen;
        if (have >= clen) {
            r->pos += hlen + (size_t)clen;
        } else {
            r->pos = r->buf.len;
            r->skip = (size_t)clen - have;
        }
        return LF_TOO_LARGE;
    }
    if (n - hlen < clen)
        return LF_NONE;
    *body = s + hlen;
    *len = (size_t)clen;
    r->pos += hlen + (size_t)clen;
    return LF_MESSAGE;
}

void lsp_frame_put(CmBuf *out, const char *body, size_t len)
{
    cm_buf_printf(out, "Content-Length: %zu\r\n\r\n", len);
    cm_buf_put(out, body, len);
}
