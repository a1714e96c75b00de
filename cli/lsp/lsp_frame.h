/* lsp_frame: the Language Server Protocol's base protocol on a byte stream —
 * header blocks ("Content-Length: N\r\n...\r\n\r\n") each followed by N bytes
 * of JSON. The reader takes bytes as they arrive, in pieces of any size, and
 * hands out whole message bodies; it keeps no more than one message (plus
 * its header) in memory, refuses bodies over a cap without buffering them,
 * and recovers from a bad header block by dropping it. */
#ifndef LSP_FRAME_H
#define LSP_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_buf.h"

/* Largest body accepted: a .map at AST_MAX_SOURCE, JSON-escaped, fits. */
#define LSP_MAX_BODY (16u * 1024u * 1024u)
/* Largest header block; real clients send one or two short lines. */
#define LSP_MAX_HEADER 4096u

typedef enum LspFrame {
    LF_NONE,            /* no whole message yet: feed more */
    LF_MESSAGE,         /* a body: *body, *len (valid until the next call) */
    LF_BAD_HEADER,      /* a header block without a valid Content-Length, dropped */
    LF_TOO_LARGE        /* a body over the cap, being skipped unread */
} LspFrame;

typedef struct LspReader {
    CmBuf buf;          /* unconsumed bytes */
    size_t pos;         /* start of the unconsumed bytes in buf */
    size_t max_body;
    size_t skip;        /* bytes of a refused body still to drop */
} LspReader;

void lsp_reader_init(LspReader *r, size_t max_body);
void lsp_reader_free(LspReader *r);
void lsp_reader_feed(LspReader *r, const char *data, size_t n);
/* The next event; call until LF_NONE after each feed. */
LspFrame lsp_reader_next(LspReader *r, const char **body, size_t *len);

/* Appends body framed with its Content-Length header to out. */
void lsp_frame_put(CmBuf *out, const char *body, size_t len);

#endif
