/* lsp_actions: code actions — add a table's missing entries (E0107), take
 * a did-you-mean (E0102, E0103, E0110), give an assignment's value a
 * default with `??`; those of warnings are in lsp_fixes.c. Each is computed from the document's own analysis, not
 * from the diagnostics the client sends back. */
#include <string.h>

#include "cm_alloc.h"
#include "lsp_int.h"

cJSON *lsp_action(const LspDoc *d, const char *title, const char *kind, cJSON *edits, const Diag *diag)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "title", title);
    cJSON_AddStringToObject(a, "kind", kind);
    if (diag) {
        cJSON *list = cJSON_AddArrayToObject(a, "diagnostics");
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToObject(j, "range", lsp_json_range(d->now, diag->span.start, diag->span.end));
        cJSON_AddStringToObject(j, "code", diag->code);
        cJSON_AddStringToObject(j, "message", diag->message);
        cJSON_AddItemToArray(list, j);
        cJSON_AddBoolToObject(a, "isPreferred", true);
    }
    cJSON_AddItemToObject(a, "edit", lsp_json_workspace_edit(d->uri, edits));
    return a;
}

/* "did you mean 'X'?" among d's help lines: X, or NULL. */
static char *suggestion(const Diag *d)
{
    static const char head[] = "did you mean '";
    for (size_t i = 0; i < d->nhelp; i++) {
        size_t n = strlen(d->help[i]);
        if (strncmp(d->help[i], head, sizeof head - 1) == 0 && n >= sizeof head + 1 &&
            strcmp(d->help[i] + n - 2, "'?") == 0)
            return cm_strndup(d->help[i] + sizeof head - 1, n - (sizeof head - 1) - 2);
    }
    return NULL;
}

static void did_you_mean(const LspDoc *d, const Diag *diag, cJSON *out)
{
    char *to = suggestion(diag);
    if (to == NULL)
        return;
    const LspAnalysis *a = d->now;
    CmBuf text = CM_BUF_INIT, title = CM_BUF_INIT;
    /* A name written as a string (a quoted field, an e-mail) stays one. */
    if (a->text[diag->span.start] == '"')
        cm_buf_put_json_string(&text, to, strlen(to));
    else
        cm_buf_puts(&text, to);
    cm_buf_printf(&title, "change to %s", text.data);
    cJSON *edits = cJSON_CreateArray();
    cJSON_AddItemToArray(edits, lsp_json_edit(a, diag->span.start, diag->span.end, text.data, text.len));
    cJSON_AddItemToArray(out, lsp_action(d, title.data, "quickfix", edits, diag));
    cm_buf_free(&text);
    cm_buf_free(&title);
    cm_free(to);
}

/* ---- E0107 ---- */

static bool lookup_at(const Expr *x, const void *at)
{
    return x->kind == EX_LOOKUP && x->u.lookup.table.span.start == *(const uint32_t *)at;
}

/* The statement of the entities whose span holds at, blocks entered. */
static const Stmt *stmt_at(Stmt *const *stmts, size_t n, uint32_t at)
{
    for (size_t i = 0; i < n; i++) {
        const Stmt *st = stmts[i];
        if (at < st->span.start || at > st->span.end)
            continue;
        return st->kind == ST_BLOCK ? stmt_at(st->u.block.stmts, st->u.block.count, at) : st;
    }
    return NULL;
}

const Item *lsp_entity_at(const Ast *ast, uint32_t at)
{
    for (size_t i = 0; i < ast->count; i++) {
        const Item *it = ast->items[i];
        if (it->kind == IT_ENTITY && at >= it->span.start && at <= it->span.end)
            return it;
    }
    return NULL;
}

static const Stmt *assign_at(const Ast *ast, uint32_t at)
{
    const Item *it = lsp_entity_at(ast, at);
    const Stmt *st = it ? stmt_at(it->u.entity.stmts, it->u.entity.count, at) : NULL;
    return st && st->kind == ST_ASSIGN ? st : NULL;
}

bool lsp_table_has_key(const Item *t, const char *value)
{
    for (size_t i = 0; i < t->u.table.count; i++) {
        const Expr *k = t->u.table.entries[i].key;
        if (k->kind == EX_STRING && strlen(value) == k->u.string.len && memcmp(k->u.string.value, value, k->u.string.len) == 0)
            return true;
    }
    return false;
}

static void table_entries(const LspDoc *d, const Diag *diag, cJSON *out)
{
    const LspAnalysis *a = d->now;
    uint32_t where = diag->span.start;
    const Expr *x = lsp_item_find(lsp_entity_at(a->ast, where), lookup_at, &where);
    if (x == NULL || x->info == NULL || x->info->table == NULL || x->u.lookup.key->info == NULL ||
        x->u.lookup.key->info->options == NULL)
        return;
    const Item *t = x->info->table;
    const Field *f = x->u.lookup.key->info->options;
    if (t->span.src != a->ast->src)
        return;     /* a table of an included file: the edit would belong to that file */
    /* The new entries go on lines of their own before the closing brace. */
    size_t close = t->span.end;
    while (close > t->span.start && a->text[close - 1] != '}')
        close--;
    if (close == t->span.start)
        return;
    size_t at = close - 1;
    while (at > t->span.start && a->text[at - 1] != '\n')
        at--;
    CmBuf lines = CM_BUF_INIT;
    for (size_t i = 0; i < f->nvalues; i++) {
        if (!f->values[i].active || lsp_table_has_key(t, f->values[i].value))
            continue;
        cm_buf_puts(&lines, "  ");
        cm_buf_put_json_string(&lines, f->values[i].value, strlen(f->values[i].value));
        cm_buf_puts(&lines, " -> null\n");
    }
    if (lines.len) {
        cJSON *edits = cJSON_CreateArray();
        cJSON_AddItemToArray(edits, lsp_json_edit(a, at, at, lines.data, lines.len));
        CmBuf title = CM_BUF_INIT;
        cm_buf_printf(&title, "add the missing entries to table %s", t->u.table.name.name);
        cJSON_AddItemToArray(out, lsp_action(d, title.data, "quickfix", edits, diag));
        cm_buf_free(&title);
    }
    cm_buf_free(&lines);
}

/* ---- ?? ---- */

static void coalesce(const LspDoc *d, uint32_t at, cJSON *out)
{
    const Stmt *st = assign_at(d->now->ast, at);
    const Expr *v = st ? st->u.assign.value : NULL;
    if (v == NULL || at < v->span.start || at > v->span.end ||
        (v->kind == EX_BINARY && v->u.binary.op == OP_COALESCE) || v->info == NULL)
        return;
    const char *dflt = v->info->type == CT_STRING ? "\"\"" : v->info->type == CT_NUMBER ? "0"
                     : v->info->type == CT_BOOL ? "false" : NULL;
    if (dflt == NULL)
        return;
    CmBuf text = CM_BUF_INIT, title = CM_BUF_INIT;
    cm_buf_printf(&text, " ?? %s", dflt);
    cm_buf_printf(&title, "give %s a default: ?? %s", st->u.assign.field.name, dflt);
    cJSON *edits = cJSON_CreateArray();
    cJSON_AddItemToArray(edits, lsp_json_edit(d->now, v->span.end, v->span.end, text.data, text.len));
    cJSON_AddItemToArray(out, lsp_action(d, title.data, "refactor.rewrite", edits, NULL));
    cm_buf_free(&text);
    cm_buf_free(&title);
}

cJSON *lsp_code_action(LspServer *s, const cJSON *params, LspError *e)
{
    LspDoc *d = lsp_doc_of(s, params, e);
    if (d == NULL)
        return NULL;
    const LspAnalysis *a = d->now;
    size_t from, to;
    if (!lsp_doc_range(d, params, &from, &to, e))
        return NULL;
    cJSON *out = cJSON_CreateArray();
    for (size_t i = 0; i < diag_total(a->sink); i++) {
        const Diag *diag = diag_at(a->sink, i);
        if (diag->span.src != a->ast->src || diag->span.end < from || diag->span.start > to)
            continue;
        if (strcmp(diag->code, "E0107") == 0)
            table_entries(d, diag, out);
        else if (strcmp(diag->code, "E0102") == 0 || strcmp(diag->code, "E0103") == 0 ||
                 strcmp(diag->code, "E0110") == 0)
            did_you_mean(d, diag, out);
        else if (strcmp(diag->code, "W0210") == 0)
            lsp_add_fallback(d, diag, out);
        else if (strcmp(diag->code, "W0212") == 0)
            lsp_wrap_coalesce(d, diag, out);
    }
    if (a->checked)
        coalesce(d, (uint32_t)from, out);
    return out;
}
