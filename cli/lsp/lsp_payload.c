/* lsp_payload: the `crmmap.showPayload` command — what each entity of a
 * mapping would send for one test case's record, as `crmmap test` and
 * `run --dry-run` make it: in the mapping's .map, the first case of its
 * first case file; in a case file, the case under the cursor. The mapping
 * is the editor's text when it is open, compiled in memory; the case file
 * is the editor's text when the client sends it (the server is told only of
 * .map files), else the file. Nothing is written and nothing is sent: the
 * VM runs the compiled entities once, without loops, on one record. */
#include <string.h>

#include "cli.h"
#include "cm_alloc.h"
#include "codegen.h"
#include "dryrun.h"
#include "lsp_int.h"
#include "mtest.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The mapping a case file at path belongs to (docs/testing.md): DIR/STEM.map
 * for DIR/STEM.test.json and DIR/STEM.tests/NAME.json; NULL for neither. */
static char *mapping_of(const char *path)
{
    size_t stem;
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) : 0;
    if (ends_with(path, ".test.json"))
        stem = strlen(path) - strlen(".test.json");
    else if (ends_with(path, ".json") && dir > strlen(".tests") && memcmp(path + dir - 6, ".tests", 6) == 0)
        stem = dir - strlen(".tests");
    else
        return NULL;
    CmBuf b = CM_BUF_INIT;
    cm_buf_printf(&b, "%.*s.map", (int)stem, path);
    return cm_buf_take(&b);
}

/* The analysis of the mapping at path: the open document's, else the
 * file's (*owned then, for the caller to free). */
static const LspAnalysis *mapping_analysis(LspServer *s, const char *path, LspAnalysis **owned, LspError *e)
{
    *owned = NULL;
    for (size_t i = 0; i < s->ndocs; i++)
        if (s->docs[i]->path && strcmp(s->docs[i]->path, path) == 0) {
            lsp_doc_fresh(s->docs[i]);
            return s->docs[i]->now;
        }
    size_t len = 0;
    const char *err = NULL;
    char *text = cli_read_file(path, AST_MAX_SOURCE + 1, &len, &err);
    if (text == NULL || len > AST_MAX_SOURCE) {
        lsp_error(e, RPC_REQUEST_FAILED, "cannot read the mapping %s: %s", path, text ? "over 4 MiB" : err);
        cm_free(text);
        return NULL;
    }
    *owned = lsp_analyse(path, path, text, len);
    cm_free(text);
    return *owned;
}

/* The dry run's line of each entity, as JSON, without the record number
 * (there is one record); an entity whose `when` is false says so. */
typedef struct Shown {
    const Mapc *m;
    const MtMap *map;
    cJSON *entities;
} Shown;

static void show(void *arg, const VmResult *res)
{
    Shown *sh = arg;
    for (uint32_t i = 0; i < sh->m->nentities; i++) {
        CmBuf line = CM_BUF_INIT;
        cJSON *j = dryrun_line(sh->m, 1, &res[i], &line) ? cJSON_ParseWithLength(line.data, line.len) : NULL;
        if (j == NULL) {
            j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "entity", sh->map->entity_names[i]);
            cJSON_AddStringToObject(j, "none", "its `when` is false for this record: nothing is sent");
        }
        cJSON_DeleteItemFromObjectCaseSensitive(j, "record");
        cJSON_AddItemToArray(sh->entities, j);
        cm_buf_free(&line);
    }
}

/* The case of f whose object holds byte offset at; the first when none
 * does (the cursor between cases, or the mapping's text). */
static const MtCase *case_at(const MtFile *f, size_t at)
{
    for (size_t i = 0; i < f->ncases; i++)
        if (at >= f->cases[i].at.start && at <= f->cases[i].at.end)
            return &f->cases[i];
    return f->ncases ? &f->cases[0] : NULL;
}

/* The first error of sink as "file:line:col: message". */
static void first_error(const DiagSink *sink, const char *what, LspError *e)
{
    for (size_t i = 0; i < diag_total(sink); i++) {
        const Diag *d = diag_at(sink, i);
        if (d->severity != DIAG_ERROR)
            continue;
        uint32_t line = 0, col = 0;
        if (d->span.src)
            diag_position(d->span.src, d->span.start, &line, &col);
        lsp_error(e, RPC_REQUEST_FAILED, "%s: %s:%u:%u: %s", what,
                  d->span.src ? diag_source_name(d->span.src) : "?", line, col, d->message);
        return;
    }
    lsp_error(e, RPC_REQUEST_FAILED, "%s", what);
}

/* What a request names: the mapping, its case file and where in it. */
typedef struct Target {
    char *map;              /* the mapping's path */
    char *cases;            /* the case file's path */
    const char *text;       /* the client's text of the case file, or NULL */
    size_t at;              /* the cursor's byte offset in the case file */
    bool in_cases;          /* the cursor is in the case file */
} Target;

/* The payload of the case t names, run on the mapping analysed as a. */
static cJSON *payload(const Target *t, const LspAnalysis *a, LspError *e)
{
    if (a->checked == NULL || diag_count(a->sink, DIAG_ERROR)) {
        first_error(a->sink, "the mapping has errors; show payload runs one that checks", e);
        return NULL;
    }
    CmBuf bytes = CM_BUF_INIT;
    char err[300];
    Span where;
    Mapc *m = NULL;
    if (!codegen(a->checked, t->map, &bytes, err, sizeof err, &where) ||
        (m = mapc_load((const uint8_t *)bytes.data, bytes.len, err, sizeof err)) == NULL) {
        lsp_error(e, RPC_REQUEST_FAILED, "cannot compile the mapping: %s", err);
        cm_buf_free(&bytes);
        return NULL;
    }
    cm_buf_free(&bytes);
    MtMap map;
    mt_map_init(&map, a->checked, m);
    MtFile *f = t->text ? mt_file_parse(t->cases, t->text, strlen(t->text), &map) : mt_file_load(t->cases, &map);
    cJSON *out = NULL;
    const MtCase *k = case_at(f, t->in_cases ? t->at : 0);
    if (k == NULL || k->input == NULL) {
        first_error(f->sink, k ? "the case has no input record" : "the case file holds no case", e);
    } else {
        RecordVm v;
        record_vm_init(&v, m);
        MtRunner r = { &map, &v };
        Shown sh = { m, &map, cJSON_CreateArray() };
        DiagSink *sink = diag_sink_new();
        if (mt_case_results(&r, k, sink, show, &sh)) {
            out = cJSON_CreateObject();
            CmBuf uri = CM_BUF_INIT;
            lsp_path_uri(&uri, t->cases);
            cJSON_AddStringToObject(out, "caseFile", uri.data);
            cm_buf_free(&uri);
            cJSON_AddStringToObject(out, "case", k->name ? k->name : "");
            cJSON_AddItemToObject(out, "entities", sh.entities);
            /* Pretty-printed for a client that shows it as it is. */
            char *text = cJSON_Print(sh.entities);
            cJSON_AddStringToObject(out, "text", text);
            cJSON_free(text);
        } else {
            first_error(sink, "the case's input record cannot be read", e);
            cJSON_Delete(sh.entities);
        }
        diag_sink_free(sink);
        record_vm_free(&v);
    }
    mt_file_free(f);
    mt_map_free(&map);
    mapc_free(m);
    return out;
}

/* The first case file of the mapping at t->map, into t->cases. */
static bool first_case_file(Target *t, LspError *e)
{
    MtPaths files = { NULL, 0 };
    mt_paths_discover(&files, t->map);
    if (files.n == 0) {
        lsp_error(e, RPC_REQUEST_FAILED,
                  "no test cases for this mapping: write them in %.*s.test.json (docs/testing.md)",
                  (int)(strlen(t->map) - strlen(".map")), t->map);
    } else {
        t->cases = cm_strdup(files.v[0]);
    }
    mt_paths_free(&files);
    return t->cases != NULL;
}

/* Arguments: [{"textDocument": {"uri"}, "position": {...}, "text"?}] —
 * text, the case file's as the editor holds it. */
static cJSON *show_payload(LspServer *s, const cJSON *arg, LspError *e)
{
    const cJSON *td = cJSON_GetObjectItemCaseSensitive(arg, "textDocument");
    const cJSON *uri = cJSON_GetObjectItemCaseSensitive(td, "uri");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(arg, "text");
    char *path = cJSON_IsString(uri) ? lsp_uri_path(uri->valuestring) : NULL;
    Target t = { NULL, NULL, cJSON_IsString(text) ? text->valuestring : NULL, 0, false };
    if (path == NULL) {
        lsp_error(e, RPC_INVALID_PARAMS, "show payload needs the file: URI of a mapping or of its case file");
        return NULL;
    }
    if (ends_with(path, ".map")) {
        t.map = path;
        t.text = NULL;
    } else if ((t.map = mapping_of(path)) != NULL) {
        t.cases = path;
        t.in_cases = true;
    } else {
        lsp_error(e, RPC_INVALID_PARAMS, "%s is neither a mapping (.map) nor a case file (NAME.test.json, "
                  "NAME.tests/*.json)", path);
        cm_free(path);
        return NULL;
    }
    cJSON *out = NULL;
    LspAnalysis *owned = NULL;
    const LspAnalysis *a = t.cases || first_case_file(&t, e) ? mapping_analysis(s, t.map, &owned, e) : NULL;
    char *read = NULL;
    if (a && t.in_cases) {
        /* Read once here for the cursor; a file that cannot be read is
         * left to mt_file_load, which says why. */
        size_t len = 0;
        const char *err = NULL;
        if (t.text == NULL && (read = cli_read_file(t.cases, MT_MAX_FILE, &len, &err)) != NULL &&
            strlen(read) == len)
            t.text = read;
        LspLines lines;
        lsp_lines_init(&lines, t.text ? t.text : "", t.text ? strlen(t.text) : 0);
        /* A cursor without a position is in no case: the first runs. */
        if (!lsp_position_offset(&lines, arg, &t.at))
            t.at = 0;
        lsp_lines_free(&lines);
    }
    if (a)
        out = payload(&t, a, e);
    if (out) {
        CmBuf u = CM_BUF_INIT;
        lsp_path_uri(&u, t.map);
        cJSON_AddStringToObject(out, "mapping", u.data);
        cm_buf_free(&u);
    }
    cm_free(read);
    lsp_analysis_free(owned);
    cm_free(t.map != path ? t.map : NULL);
    cm_free(t.cases != path ? t.cases : NULL);
    cm_free(path);
    return out;
}

cJSON *lsp_execute_command(LspServer *s, const cJSON *params, LspError *e)
{
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(params, "command");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
    if (!cJSON_IsString(cmd) || strcmp(cmd->valuestring, LSP_SHOW_PAYLOAD) != 0) {
        lsp_error(e, RPC_INVALID_PARAMS, "unknown command; this server has " LSP_SHOW_PAYLOAD);
        return NULL;
    }
    if (!cJSON_IsObject(cJSON_GetArrayItem(args, 0))) {
        lsp_error(e, RPC_INVALID_PARAMS, LSP_SHOW_PAYLOAD " takes one argument: {textDocument, position}");
        return NULL;
    }
    return show_payload(s, cJSON_GetArrayItem(args, 0), e);
}
