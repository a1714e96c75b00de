/* lsp_server: `crmmap lsp`, the Language Server Protocol for .map files
 * (docs/editors.md). The server is a state machine fed one JSON-RPC message
 * at a time; what it answers is framed into an output buffer the caller
 * writes. It reads the mappings' schema and users files as `crmmap check`
 * does and writes no file at all. */
#ifndef LSP_SERVER_H
#define LSP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_buf.h"
#include "lsp_frame.h"

typedef struct LspServer LspServer;

LspServer *lsp_server_new(void);
void lsp_server_free(LspServer *s);

/* Handles every message r holds whole (any bytes: invalid JSON gets a
 * parse error, a bad header or an oversized body an error answer). */
void lsp_server_drain(LspServer *s, LspReader *r);
/* Analyses the documents changed since the last call and publishes their
 * diagnostics: called when no message is waiting, so a burst of edits is
 * analysed once. */
void lsp_server_idle(LspServer *s);
/* Marks for lsp_server_idle the documents whose schema or users files
 * changed on disk: for editors that do not report changed files. */
void lsp_server_restat(LspServer *s);
/* Whether documents wait for lsp_server_idle. */
bool lsp_server_busy(const LspServer *s);

/* The framed output so far; the caller writes and clears it. */
CmBuf *lsp_server_output(LspServer *s);
/* True once `exit` came, with the process's exit status. */
bool lsp_server_exited(const LspServer *s, int *status);

#endif
