/* lsp_server: JSON-RPC dispatch, the lifecycle (initialize, shutdown,
 * exit), document sync and diagnostics (lsp_server.h). */
#include "lsp_server.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "lsp_int.h"

void lsp_error(LspError *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    e->code = code;
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

LspServer *lsp_server_new(void)
{
    LspServer *s = cm_calloc(1, sizeof *s);
    s->exit_code = 1;
    s->cancelled = cJSON_CreateArray();
    return s;
}

static void doc_free(LspDoc *d)
{
    if (d->good != d->now)
        lsp_analysis_free(d->good);
    lsp_analysis_free(d->now);
    cm_buf_free(&d->text);
    cm_free(d->uri);
    cm_free(d->path);
    cm_free(d);
}

void lsp_server_free(LspServer *s)
{
    for (size_t i = 0; i < s->ndocs; i++)
        doc_free(s->docs[i]);
    cm_free(s->docs);
    cJSON_Delete(s->cancelled);
    cm_buf_free(&s->out);
    cm_free(s);
}

CmBuf *lsp_server_output(LspServer *s)
{
    return &s->out;
}

bool lsp_server_exited(const LspServer *s, int *status)
{
    *status = s->exit_code;
    return s->exited;
}

static void send(LspServer *s, cJSON *msg)
{
    cJSON_AddStringToObject(msg, "jsonrpc", "2.0");
    char *text = cJSON_PrintUnformatted(msg);
    lsp_frame_put(&s->out, text, strlen(text));
    cJSON_free(text);
    cJSON_Delete(msg);
}

void lsp_notify(LspServer *s, const char *method, cJSON *params)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "method", method);
    cJSON_AddItemToObject(m, "params", params);
    send(s, m);
}

/* id may be NULL (the answer then has "id": null, as for a parse error). */
static void reply(LspServer *s, const cJSON *id, cJSON *result, const LspError *e)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddItemToObject(m, "id", id ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
    if (e && e->code) {
        cJSON *err = cJSON_AddObjectToObject(m, "error");
        cJSON_AddNumberToObject(err, "code", e->code);
        cJSON_AddStringToObject(err, "message", e->message);
        cJSON_Delete(result);
    } else {
        cJSON_AddItemToObject(m, "result", result ? result : cJSON_CreateNull());
    }
    send(s, m);
}

static void frame_error(LspServer *s, LspFrame what)
{
    LspError e;
    if (what == LF_TOO_LARGE)
        lsp_error(&e, RPC_INVALID_REQUEST, "message refused: its body is over %u bytes", LSP_MAX_BODY);
    else
        lsp_error(&e, RPC_PARSE_ERROR, "header block without a valid Content-Length, dropped");
    reply(s, NULL, NULL, &e);
}

/* ---- documents ---- */

static LspDoc *find_doc(LspServer *s, const char *uri, size_t *at)
{
    for (size_t i = 0; i < s->ndocs; i++)
        if (strcmp(s->docs[i]->uri, uri) == 0) {
            if (at)
                *at = i;
            return s->docs[i];
        }
    return NULL;
}

static const char *uri_of(const cJSON *params)
{
    const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
    const cJSON *uri = cJSON_GetObjectItemCaseSensitive(td, "uri");
    return cJSON_IsString(uri) ? uri->valuestring : NULL;
}

LspDoc *lsp_doc_of(LspServer *s, const cJSON *params, LspError *e)
{
    const char *uri = uri_of(params);
    LspDoc *d = uri ? find_doc(s, uri, NULL) : NULL;
    if (d == NULL) {
        lsp_error(e, RPC_INVALID_PARAMS, "%s", uri ? "the document is not open" : "no textDocument.uri");
        return NULL;
    }
    lsp_doc_fresh(d);
    return d;
}

void lsp_doc_fresh(LspDoc *d)
{
    if (!d->dirty && d->now)
        return;
    LspAnalysis *a = lsp_analyse(d->uri, d->path, d->text.data ? d->text.data : "", d->text.len);
    if (d->good != d->now)
        lsp_analysis_free(d->now);
    if (a->checked) {
        lsp_analysis_free(d->good);
        d->good = a;
    }
    d->now = a;
    d->dirty = false;
}

bool lsp_position_offset(const LspLines *l, const cJSON *params, size_t *off)
{
    const cJSON *pos = cJSON_GetObjectItemCaseSensitive(params, "position");
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(pos, "line");
    const cJSON *col = cJSON_GetObjectItemCaseSensitive(pos, "character");
    if (!cJSON_IsNumber(line) || !cJSON_IsNumber(col) || line->valuedouble < 0 || col->valuedouble < 0)
        return false;
    *off = lsp_lines_offset(l, line->valuedouble > 4e9 ? UINT32_MAX : (uint32_t)line->valuedouble,
                            col->valuedouble > 4e9 ? UINT32_MAX : (uint32_t)col->valuedouble);
    return true;
}

bool lsp_doc_offset(const LspDoc *d, const cJSON *params, size_t *off, LspError *e)
{
    if (lsp_position_offset(&d->now->lines, params, off))
        return true;
    lsp_error(e, RPC_INVALID_PARAMS, "no position");
    return false;
}

bool lsp_doc_range(const LspDoc *d, const cJSON *params, size_t *from, size_t *to, LspError *e)
{
    const cJSON *range = cJSON_GetObjectItemCaseSensitive(params, "range");
    const char *ends[2] = { "start", "end" };
    size_t *off[2] = { from, to };
    for (int i = 0; i < 2; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddItemToObject(p, "position", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(range, ends[i]), true));
        bool ok = lsp_doc_offset(d, p, off[i], e);
        cJSON_Delete(p);
        if (!ok)
            return false;
    }
    if (*to < *from)
        *to = *from;
    return true;
}

static void did_open(LspServer *s, const cJSON *params)
{
    const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
    const cJSON *uri = cJSON_GetObjectItemCaseSensitive(td, "uri");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(td, "text");
    if (!cJSON_IsString(uri) || !cJSON_IsString(text))
        return;
    LspDoc *d = find_doc(s, uri->valuestring, NULL);
    if (d == NULL) {
        d = cm_calloc(1, sizeof *d);
        d->uri = cm_strdup(uri->valuestring);
        d->path = lsp_uri_path(uri->valuestring);
        s->docs = cm_realloc(s->docs, (s->ndocs + 1) * sizeof *s->docs);
        s->docs[s->ndocs++] = d;
    }
    cm_buf_clear(&d->text);
    cm_buf_puts(&d->text, text->valuestring);
    d->dirty = true;
}

/* One contentChanges entry: a range and its new text, or the whole text. */
static void apply_change(LspDoc *d, const cJSON *ch)
{
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(ch, "text");
    const cJSON *range = cJSON_GetObjectItemCaseSensitive(ch, "range");
    if (!cJSON_IsString(text))
        return;
    d->dirty = true;
    if (range == NULL) {
        cm_buf_clear(&d->text);
        cm_buf_puts(&d->text, text->valuestring);
        return;
    }
    size_t off[2];
    LspLines lines;
    lsp_lines_init(&lines, d->text.data ? d->text.data : "", d->text.len);
    const char *ends[2] = { "start", "end" };
    for (int i = 0; i < 2; i++) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(range, ends[i]);
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(p, "line");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(p, "character");
        double lv = cJSON_IsNumber(l) ? l->valuedouble : 0, cv = cJSON_IsNumber(c) ? c->valuedouble : 0;
        off[i] = lsp_lines_offset(&lines, lv < 0 ? 0 : lv > 4e9 ? UINT32_MAX : (uint32_t)lv,
                                  cv < 0 ? 0 : cv > 4e9 ? UINT32_MAX : (uint32_t)cv);
    }
    lsp_lines_free(&lines);
    if (off[1] < off[0])
        off[1] = off[0];
    lsp_text_replace(&d->text, off[0], off[1], text->valuestring, strlen(text->valuestring));
}

static void did_change(LspServer *s, const cJSON *params)
{
    const char *uri = uri_of(params);
    LspDoc *d = uri ? find_doc(s, uri, NULL) : NULL;
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(params, "contentChanges");
    const cJSON *ch;
    if (d == NULL)
        return;
    cJSON_ArrayForEach(ch, changes)
        apply_change(d, ch);
}

static void did_close(LspServer *s, const cJSON *params)
{
    const char *uri = uri_of(params);
    size_t at;
    LspDoc *d = uri ? find_doc(s, uri, &at) : NULL;
    if (d == NULL)
        return;
    /* A closed document's problems leave the editor's list with it. */
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "uri", d->uri);
    cJSON_AddArrayToObject(p, "diagnostics");
    lsp_notify(s, "textDocument/publishDiagnostics", p);
    doc_free(d);
    memmove(s->docs + at, s->docs + at + 1, (s->ndocs - at - 1) * sizeof *s->docs);
    s->ndocs--;
}

/* A schema or users file changed: every mapping is checked again (each
 * check reads its schemas afresh). */
static void files_changed(LspServer *s)
{
    for (size_t i = 0; i < s->ndocs; i++)
        s->docs[i]->dirty = true;
}

void lsp_server_restat(LspServer *s)
{
    for (size_t i = 0; i < s->ndocs; i++)
        if (!s->docs[i]->dirty && s->docs[i]->now && lsp_analysis_stale(s->docs[i]->now))
            s->docs[i]->dirty = true;
}

bool lsp_server_busy(const LspServer *s)
{
    for (size_t i = 0; i < s->ndocs; i++)
        if (s->docs[i]->dirty)
            return true;
    return false;
}

void lsp_server_idle(LspServer *s)
{
    for (size_t i = 0; i < s->ndocs; i++) {
        LspDoc *d = s->docs[i];
        if (!d->dirty)
            continue;
        lsp_doc_fresh(d);
        lsp_notify(s, "textDocument/publishDiagnostics", lsp_diagnostics(d));
    }
}

/* ---- lifecycle ---- */

static cJSON *initialize(LspServer *s, const cJSON *params, LspError *e)
{
    (void)e;
    /* The workspace needs no root of its own: each mapping finds its
     * schemas from its own path, as `crmmap check` does. */
    (void)params;
    s->state = LS_RUNNING;
    cJSON *r = cJSON_CreateObject();
    cJSON *caps = cJSON_AddObjectToObject(r, "capabilities");
    cJSON *sync = cJSON_AddObjectToObject(caps, "textDocumentSync");
    cJSON_AddBoolToObject(sync, "openClose", true);
    cJSON_AddNumberToObject(sync, "change", 2);     /* incremental */
    cJSON *comp = cJSON_AddObjectToObject(caps, "completionProvider");
    cJSON *trig = cJSON_AddArrayToObject(comp, "triggerCharacters");
    cJSON_AddItemToArray(trig, cJSON_CreateString("."));
    cJSON_AddItemToArray(trig, cJSON_CreateString("\""));
    cJSON_AddBoolToObject(caps, "hoverProvider", true);
    cJSON_AddBoolToObject(caps, "documentFormattingProvider", true);
    cJSON_AddBoolToObject(caps, "documentRangeFormattingProvider", true);
    cJSON_AddBoolToObject(caps, "documentSymbolProvider", true);
    cJSON_AddBoolToObject(caps, "definitionProvider", true);
    cJSON_AddBoolToObject(caps, "referencesProvider", true);
    cJSON_AddBoolToObject(caps, "renameProvider", true);
    cJSON_AddBoolToObject(caps, "codeActionProvider", true);
    cJSON *exec = cJSON_AddObjectToObject(caps, "executeCommandProvider");
    cJSON_AddItemToObject(exec, "commands", cJSON_CreateStringArray((const char *const[]){ LSP_SHOW_PAYLOAD }, 1));
    cJSON *info = cJSON_AddObjectToObject(r, "serverInfo");
    cJSON_AddStringToObject(info, "name", "crmmap");
    cJSON_AddStringToObject(info, "version", CRMMAP_VERSION);
    return r;
}

static cJSON *shutdown(LspServer *s, const cJSON *params, LspError *e)
{
    (void)params;
    (void)e;
    s->state = LS_SHUT_DOWN;
    return cJSON_CreateNull();
}

typedef struct Method {
    const char *name;
    cJSON *(*fn)(LspServer *s, const cJSON *params, LspError *e);
} Method;

static const Method requests[] = {
    { "initialize", initialize },
    { "shutdown", shutdown },
    { "textDocument/completion", lsp_completion },
    { "textDocument/hover", lsp_hover },
    { "textDocument/formatting", lsp_formatting },
    { "textDocument/documentSymbol", lsp_symbols },
    { "textDocument/definition", lsp_definition },
    { "textDocument/references", lsp_references },
    { "textDocument/rename", lsp_rename },
    { "textDocument/codeAction", lsp_code_action },
    { "textDocument/rangeFormatting", lsp_range_formatting },
    { "workspace/executeCommand", lsp_execute_command },
};

static void notification(LspServer *s, const char *method, const cJSON *params)
{
    if (strcmp(method, "exit") == 0) {
        s->exited = true;
        s->exit_code = s->state == LS_SHUT_DOWN ? 0 : 1;
        return;
    }
    if (s->state != LS_RUNNING)
        return;     /* before initialize or after shutdown: dropped, as the protocol says */
    if (strcmp(method, "textDocument/didOpen") == 0)
        did_open(s, params);
    else if (strcmp(method, "textDocument/didChange") == 0)
        did_change(s, params);
    else if (strcmp(method, "textDocument/didClose") == 0)
        did_close(s, params);
    else if (strcmp(method, "workspace/didChangeWatchedFiles") == 0)
        files_changed(s);
    else if (strcmp(method, "$/cancelRequest") == 0) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(params, "id");
        /* Requests are answered in order as they come: a cancel can only
         * catch one waiting in the same read (lsp_server_drain). */
        if (cJSON_IsNumber(id) || cJSON_IsString(id))
            cJSON_AddItemToArray(s->cancelled, cJSON_Duplicate(id, false));
    }
}

static bool take_cancelled(LspServer *s, const cJSON *id)
{
    int n = cJSON_GetArraySize(s->cancelled);
    for (int i = 0; i < n; i++)
        if (cJSON_Compare(cJSON_GetArrayItem(s->cancelled, i), id, true)) {
            cJSON_DeleteItemFromArray(s->cancelled, i);
            return true;
        }
    return false;
}

static void request(LspServer *s, const cJSON *id, const char *method, const cJSON *params)
{
    LspError e = { 0, "" };
    if (take_cancelled(s, id)) {
        lsp_error(&e, RPC_REQUEST_CANCELLED, "cancelled");
        reply(s, id, NULL, &e);
        return;
    }
    const Method *m = NULL;
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++)
        if (strcmp(requests[i].name, method) == 0)
            m = &requests[i];
    if (s->state == LS_NEW && strcmp(method, "initialize") != 0)
        lsp_error(&e, RPC_SERVER_NOT_INITIALIZED, "initialize first");
    else if (s->state != LS_NEW && strcmp(method, "initialize") == 0)
        lsp_error(&e, RPC_INVALID_REQUEST, "initialize came twice");
    else if (s->state == LS_SHUT_DOWN)
        lsp_error(&e, RPC_INVALID_REQUEST, "the server is shut down; only exit is accepted");
    else if (m == NULL)
        lsp_error(&e, RPC_METHOD_NOT_FOUND, "unknown method '%s'", method);
    cJSON *result = e.code ? NULL : m->fn(s, params, &e);
    reply(s, id, result, &e);
}

static void handle(LspServer *s, cJSON *msg)
{
    LspError e = { 0, "" };
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
    bool id_ok = cJSON_IsNumber(id) || cJSON_IsString(id);
    if (!cJSON_IsObject(msg) || !cJSON_IsString(method) || (id && !id_ok)) {
        /* Answers to requests of ours would land here too: the server
         * sends none, so there are none to take. */
        if (!cJSON_IsObject(msg) || !cJSON_GetObjectItemCaseSensitive(msg, "result")) {
            lsp_error(&e, RPC_INVALID_REQUEST, "not a JSON-RPC request or notification");
            reply(s, id_ok ? id : NULL, NULL, &e);
        }
    } else if (id) {
        request(s, id, method->valuestring, params);
    } else {
        notification(s, method->valuestring, params);
    }
}

static bool is_cancel(const cJSON *msg)
{
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
    return cJSON_IsString(method) && strcmp(method->valuestring, "$/cancelRequest") == 0;
}

void lsp_server_drain(LspServer *s, LspReader *r)
{
    /* Every message that has arrived is parsed first, so a cancel can
     * catch a request that came before it in the same read. */
    typedef struct { cJSON *msg; LspFrame frame; } Msg;
    Msg *msgs = NULL;
    size_t n = 0;
    const char *body;
    size_t len;
    LspFrame f;
    while ((f = lsp_reader_next(r, &body, &len)) != LF_NONE) {
        msgs = cm_realloc(msgs, (n + 1) * sizeof *msgs);
        msgs[n].frame = f;
        msgs[n].msg = f == LF_MESSAGE ? cJSON_ParseWithLength(body, len) : NULL;
        if (msgs[n].msg && is_cancel(msgs[n].msg))
            handle(s, msgs[n].msg);
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        if (msgs[i].frame != LF_MESSAGE) {
            frame_error(s, msgs[i].frame);
        } else if (msgs[i].msg == NULL) {
            LspError e;
            lsp_error(&e, RPC_PARSE_ERROR, "the message is not JSON");
            reply(s, NULL, NULL, &e);
        } else if (!is_cancel(msgs[i].msg)) {
            handle(s, msgs[i].msg);
        }
        cJSON_Delete(msgs[i].msg);
    }
    cm_free(msgs);
    /* A cancel of a request that was answered already has nothing to do. */
    while (cJSON_GetArraySize(s->cancelled))
        cJSON_DeleteItemFromArray(s->cancelled, 0);
}
