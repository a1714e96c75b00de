/* lsp_analysis: a document's parse and check, and its diagnostics as the
 * protocol's — exactly those of `crmmap check`, the help lines part of the
 * message, a problem inside a schema file pointed at as related
 * information. */
#define _XOPEN_SOURCE 700     /* realpath */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ast_include.h"
#include "cm_alloc.h"
#include "lsp_int.h"

static void stat_of(LspStamp *st)
{
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    st->exists = stat(st->path, &sb) == 0;
    st->size = (long long)sb.st_size;
    st->ino = (long long)sb.st_ino;
    st->sec = (long long)sb.st_mtim.tv_sec;
    st->nsec = (long long)sb.st_mtim.tv_nsec;
}

/* Stamps src's file and its folder (once each). */
static void stamp(LspAnalysis *a, const DiagSource *src)
{
    if (src == NULL)
        return;
    char *file = cm_strdup(diag_source_name(src));
    char *copy = cm_strdup(file);
    char *paths[2] = { file, cm_strdup(dirname(copy)) };
    cm_free(copy);
    for (int i = 0; i < 2; i++) {
        bool seen = false;
        for (size_t k = 0; k < a->nstamps && !seen; k++)
            seen = strcmp(a->stamps[k].path, paths[i]) == 0;
        if (seen) {
            cm_free(paths[i]);
            continue;
        }
        a->stamps = cm_realloc(a->stamps, (a->nstamps + 1) * sizeof *a->stamps);
        LspStamp *st = &a->stamps[a->nstamps++];
        st->path = paths[i];
        stat_of(st);
    }
}

bool lsp_analysis_stale(const LspAnalysis *a)
{
    for (size_t i = 0; i < a->nstamps; i++) {
        LspStamp now = a->stamps[i];
        stat_of(&now);
        const LspStamp *was = &a->stamps[i];
        if (now.exists != was->exists || now.size != was->size || now.ino != was->ino || now.sec != was->sec ||
            now.nsec != was->nsec)
            return true;
    }
    return false;
}

LspAnalysis *lsp_analyse(const char *name, const char *path, const char *text, size_t len)
{
    LspAnalysis *a = cm_calloc(1, sizeof *a);
    a->sink = diag_sink_new();
    a->ast = ast_parse(a->sink, path ? path : name, text, len);
    if (path)
        ast_include(a->sink, a->ast, path);
    a->text = diag_source_text(a->ast->src, &a->len);
    if (a->text == NULL) {
        a->text = "";
        a->len = 0;
    }
    lsp_lines_init(&a->lines, a->text, a->len);
    /* As `crmmap check`: a tree with syntax errors is not checked, its
     * echoes would only bury the real error. */
    /* An include-only file is checked in each mapping that includes it (there
     * its diagnostics show on the include line), not alone, where every check
     * would say that it declares no target. */
    if (path && diag_count(a->sink, DIAG_ERROR) == 0 && !ast_include_only(a->ast))
        a->checked = check_mapping(a->sink, a->ast, path);
    /* The features point into this document: its own declarations; the
     * Checked keeps those of the included files (completion, hover). */
    ast_include_own(a->ast);
    for (size_t i = 0; i < a->ast->nincluded; i++)
        stamp(a, a->ast->included[i]->src);
    const Checked *c = a->checked;
    for (size_t i = 0; c && i < c->ntargets; i++)
        stamp(a, c->targets[i]->src);
    if (c && c->source)
        stamp(a, c->source->src);
    if (c && c->users)
        stamp(a, c->users->src);
    return a;
}

void lsp_analysis_free(LspAnalysis *a)
{
    if (a == NULL)
        return;
    if (a->checked)
        check_free(a->checked);
    ast_free(a->ast);
    lsp_lines_free(&a->lines);
    for (size_t i = 0; i < a->nstamps; i++)
        cm_free(a->stamps[i].path);
    cm_free(a->stamps);
    diag_sink_free(a->sink);
    cm_free(a);
}

cJSON *lsp_json_position(const LspAnalysis *a, size_t off)
{
    uint32_t line, col;
    lsp_lines_position(&a->lines, off, &line, &col);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "line", line);
    cJSON_AddNumberToObject(p, "character", col);
    return p;
}

cJSON *lsp_json_range(const LspAnalysis *a, size_t start, size_t end)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "start", lsp_json_position(a, start));
    cJSON_AddItemToObject(r, "end", lsp_json_position(a, end));
    return r;
}

cJSON *lsp_json_edit(const LspAnalysis *a, size_t start, size_t end, const char *text, size_t n)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToObject(e, "range", lsp_json_range(a, start, end));
    char *copy = cm_strndup(text, n);
    cJSON_AddStringToObject(e, "newText", copy);
    cm_free(copy);
    return e;
}

cJSON *lsp_json_workspace_edit(const char *uri, cJSON *edits)
{
    cJSON *w = cJSON_CreateObject();
    cJSON *changes = cJSON_AddObjectToObject(w, "changes");
    cJSON_AddItemToObject(changes, uri, edits);
    return w;
}

/* A location in another file (a schema): line and column as diag_position
 * counts them, 1-based code points, which is UTF-16 for the text schemas hold. */
cJSON *lsp_json_location(Span sp)
{
    cJSON *loc = cJSON_CreateObject();
    CmBuf uri = CM_BUF_INIT;
    const char *name = diag_source_name(sp.src);
    char *real = realpath(name, NULL);
    lsp_path_uri(&uri, real ? real : name);
    free(real);
    cJSON_AddStringToObject(loc, "uri", uri.data);
    cm_buf_free(&uri);
    cJSON *range = cJSON_AddObjectToObject(loc, "range");
    uint32_t off[2] = { sp.start, sp.end };
    const char *ends[2] = { "start", "end" };
    for (int i = 0; i < 2; i++) {
        uint32_t line = 1, col = 1;
        diag_position(sp.src, off[i], &line, &col);
        cJSON *p = cJSON_AddObjectToObject(range, ends[i]);
        cJSON_AddNumberToObject(p, "line", line - 1);
        cJSON_AddNumberToObject(p, "character", col - 1);
    }
    return loc;
}

/* Where in this document a problem in another file shows: the include line
 * that led to it, or the first line (a schema file). */
static Span shown_at(const LspAnalysis *a, Span sp)
{
    for (Span at = sp; at.src; at = diag_source_parent(at.src))
        if (at.src == a->ast->src)
            return at;
    return diag_span(a->ast->src, 0, 0);
}

static cJSON *diagnostic(const LspAnalysis *a, const Diag *d)
{
    cJSON *j = cJSON_CreateObject();
    bool here = d->span.src == a->ast->src;
    Span at = here ? d->span : shown_at(a, d->span);
    cJSON_AddItemToObject(j, "range", lsp_json_range(a, at.start, at.end));
    cJSON_AddNumberToObject(j, "severity", d->severity == DIAG_ERROR ? 1 : 2);
    cJSON_AddStringToObject(j, "code", d->code);
    cJSON_AddStringToObject(j, "source", "crmmap");
    CmBuf msg = CM_BUF_INIT;
    cm_buf_puts(&msg, d->message);
    for (size_t i = 0; i < d->nhelp; i++)
        cm_buf_printf(&msg, "\nhelp: %s", d->help[i]);
    if (!here && d->span.src) {
        uint32_t line = 1, col = 1;
        diag_position(d->span.src, d->span.start, &line, &col);
        cm_buf_printf(&msg, "\nin %s:%u:%u", diag_source_name(d->span.src), line, col);
        cJSON *rel = cJSON_AddArrayToObject(j, "relatedInformation");
        cJSON *info = cJSON_CreateObject();
        cJSON_AddItemToObject(info, "location", lsp_json_location(d->span));
        cJSON_AddStringToObject(info, "message", d->message);
        cJSON_AddItemToArray(rel, info);
    }
    cJSON_AddStringToObject(j, "message", msg.data);
    cm_buf_free(&msg);
    return j;
}

cJSON *lsp_diagnostics(const LspDoc *doc)
{
    const LspAnalysis *a = doc->now;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "uri", doc->uri);
    cJSON *list = cJSON_AddArrayToObject(p, "diagnostics");
    for (size_t i = 0; i < diag_total(a->sink); i++)
        cJSON_AddItemToArray(list, diagnostic(a, diag_at(a->sink, i)));
    return p;
}
