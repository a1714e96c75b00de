/* lsp_int: what the language server's modules share — the server state,
 * open documents and their latest analysis, and the JSON helpers for
 * positions and ranges. The JSON-RPC messages are cJSON trees (the
 * protocol's documents are whole JSON documents, read once). */
#ifndef LSP_INT_H
#define LSP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "ast.h"
#include "check.h"
#include "cm_buf.h"
#include "diag.h"
#include "lsp_text.h"

/* A file a check read (or the folder of one), as stat saw it then. */
typedef struct LspStamp {
    char *path;
    bool exists;
    long long size, ino, sec, nsec;
} LspStamp;

/* One parse (and, when it parsed cleanly, check) of a document's text. */
typedef struct LspAnalysis {
    DiagSink *sink;
    Ast *ast;
    Checked *checked;       /* NULL when the parse had errors or no path */
    const char *text;       /* the text analysed, as the sink holds it */
    size_t len;
    LspLines lines;
    LspStamp *stamps;       /* the schema and users files the check read,
                               and their folders (a pull adds files) */
    size_t nstamps;
} LspAnalysis;

typedef struct LspDoc {
    char *uri;
    char *path;             /* NULL for a URI that is no local file */
    CmBuf text;
    bool dirty;             /* changed since it was last analysed */
    LspAnalysis *now;       /* of the current text once analysed */
    LspAnalysis *good;      /* the latest with a Checked (may be now): what
                               completion knows of schemas while the text
                               does not parse */
} LspDoc;

typedef enum LspState { LS_NEW, LS_RUNNING, LS_SHUT_DOWN } LspState;

typedef struct LspServer {
    CmBuf out;              /* framed messages not yet written */
    LspState state;
    bool exited;            /* `exit` came: stop reading */
    int exit_code;          /* 0 after shutdown, else 1 (the protocol's rule) */
    LspDoc **docs;
    size_t ndocs;
    cJSON *cancelled;       /* ids of requests cancelled before they ran */
} LspServer;

/* An error answer: code and message; code 0 means none. */
typedef struct LspError {
    int code;
    char message[256];
} LspError;

enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_SERVER_NOT_INITIALIZED = -32002,
    RPC_REQUEST_CANCELLED = -32800,
    RPC_REQUEST_FAILED = -32803
};

/* The workspace/executeCommand commands (lsp_payload.c). */
#define LSP_SHOW_PAYLOAD "crmmap.showPayload"

void lsp_error(LspError *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Sends a notification (takes params). */
void lsp_notify(LspServer *s, const char *method, cJSON *params);

/* The document params' textDocument.uri names; the error set when it is not open. */
LspDoc *lsp_doc_of(LspServer *s, const cJSON *params, LspError *e);
/* Analyses doc's text if it changed since the last analysis. */
void lsp_doc_fresh(LspDoc *doc);
/* The byte offset of params' "position" in the analysed text; false (error
 * set) when it has none. */
bool lsp_doc_offset(const LspDoc *doc, const cJSON *params, size_t *off, LspError *e);
/* The same in the text of l; false when params has no valid "position". */
bool lsp_position_offset(const LspLines *l, const cJSON *params, size_t *off);
/* The byte offsets of params' "range"; false (error set) when it has none. */
bool lsp_doc_range(const LspDoc *doc, const cJSON *params, size_t *from, size_t *to, LspError *e);

void lsp_analysis_free(LspAnalysis *a);
/* Whether a file a's check read (or its folder) changed since. */
bool lsp_analysis_stale(const LspAnalysis *a);
/* Parses (and checks) text of the document at path (NULL: parse only). */
LspAnalysis *lsp_analyse(const char *name, const char *path, const char *text, size_t len);
/* The publishDiagnostics params of doc's current analysis. */
cJSON *lsp_diagnostics(const LspDoc *doc);

/* {"line","character"} and {"start","end"} of byte offsets in a's text. */
cJSON *lsp_json_position(const LspAnalysis *a, size_t off);
cJSON *lsp_json_range(const LspAnalysis *a, size_t start, size_t end);
/* A TextEdit replacing [start, end) of a's text by text (n bytes). */
cJSON *lsp_json_edit(const LspAnalysis *a, size_t start, size_t end, const char *text, size_t n);
/* A Location in another file than the document (a schema, an included file). */
cJSON *lsp_json_location(Span sp);
/* A WorkspaceEdit: {"changes": {uri: edits}} (takes edits). */
cJSON *lsp_json_workspace_edit(const char *uri, cJSON *edits);

/* The first expression of x (parents before children) that test passes,
 * and the same over an entity item's header and statements; NULL: none. */
typedef bool (*LspExprTest)(const Expr *x, const void *arg);
const Expr *lsp_expr_find(const Expr *x, LspExprTest test, const void *arg);
const Expr *lsp_item_find(const Item *it, LspExprTest test, const void *arg);

/* The entity item whose span holds byte offset at, or NULL. */
const Item *lsp_entity_at(const Ast *ast, uint32_t at);
/* Whether table t has an entry for the string value. */
bool lsp_table_has_key(const Item *t, const char *value);
/* A code action: title, kind, its edits (taken) and the diagnostic it fixes (or NULL). */
cJSON *lsp_action(const LspDoc *d, const char *title, const char *kind, cJSON *edits, const Diag *diag);
/* The actions of warnings (lsp_fixes.c), appended to out: W0210's fallback
 * entity, W0212's `??` around the part that can fail. */
void lsp_add_fallback(const LspDoc *d, const Diag *diag, cJSON *out);
void lsp_wrap_coalesce(const LspDoc *d, const Diag *diag, cJSON *out);

/* The features, each a request handler: params in, result out (NULL with
 * e set on failure). */
cJSON *lsp_completion(LspServer *s, const cJSON *params, LspError *e);
cJSON *lsp_hover(LspServer *s, const cJSON *params, LspError *e);
cJSON *lsp_formatting(LspServer *s, const cJSON *params, LspError *e);
cJSON *lsp_symbols(LspServer *s, const cJSON *params, LspError *e);
cJSON *lsp_definition(LspServer *s, const cJSON *params, LspError *e);
cJSON *lsp_references(LspServer *s, const cJSON *params, LspError *e);
cJSON *lsp_rename(LspServer *s, const cJSON *params, LspError *e);
cJSON *lsp_code_action(LspServer *s, const cJSON *params, LspError *e);
cJSON *lsp_range_formatting(LspServer *s, const cJSON *params, LspError *e);
cJSON *lsp_execute_command(LspServer *s, const cJSON *params, LspError *e);

#endif
