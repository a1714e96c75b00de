/* fuzz_lsp: the language server's message reader and dispatcher on any
 * byte stream, fed in pieces of varying size (the first byte picks them):
 * framing, JSON-RPC and document sync must answer or drop what they get,
 * never crash, and the reader must never hold more than one message. */
#include <stdlib.h>

#include "fuzz.h"
#include "lsp_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t piece = (size_t)data[0] % 64 + 1;
    LspServer *s = lsp_server_new();
    LspReader r;
    /* A small cap, so oversized bodies are reached with small inputs. */
    lsp_reader_init(&r, 4096);
    int status;
    for (size_t off = 1; off < size && !lsp_server_exited(s, &status); off += piece) {
        size_t n = size - off < piece ? size - off : piece;
        lsp_reader_feed(&r, (const char *)data + off, n);
        lsp_server_drain(s, &r);
        if (r.buf.len - r.pos > 4096 + LSP_MAX_HEADER + 64)
            abort();
        if (!lsp_server_busy(s))
            continue;
        lsp_server_idle(s);
        cm_buf_clear(lsp_server_output(s));
    }
    lsp_reader_free(&r);
    lsp_server_free(s);
    return 0;
}
