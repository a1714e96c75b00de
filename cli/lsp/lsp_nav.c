/* lsp_nav: formatting (fmt), document symbols, and definition, references
 * and rename of tables, entities and lets, all from the tree of the current text. */
#include <string.h>

#include "cm_alloc.h"
#include "fmt.h"
#include "lsp_int.h"

/* LSP's SymbolKind values used here. */
enum { S_MODULE = 2, S_CLASS = 5, S_FIELD = 8, S_VARIABLE = 13, S_CONSTANT = 14, S_STRUCT = 23 };

/* fmt prints a tree; one with syntax errors would lose text. */
static bool formattable(const LspAnalysis *a)
{
    for (size_t i = 0; i < diag_total(a->sink); i++)
        if (strcmp(diag_at(a->sink, i)->code, "E0001") == 0 || diag_at(a->sink, i)->span.src == NULL)
            return false;
    return true;
}

cJSON *lsp_formatting(LspServer *s, const cJSON *params, LspError *e)
{
    LspDoc *d = lsp_doc_of(s, params, e);
    if (d == NULL)
        return NULL;
    const LspAnalysis *a = d->now;
    if (!formattable(a))
        return cJSON_CreateArray();
    CmBuf out = CM_BUF_INIT;
    fmt_ast(a->ast, &out);
    /* One edit covering only what changes, so the editor keeps the
     * cursor and marks outside it. */
    size_t pre = 0, n = out.len, m = a->len;
    while (pre < n && pre < m && out.data[pre] == a->text[pre])
        pre++;
    while (pre > 0 && a->text[pre - 1] != '\n')
        pre--;
    size_t suf = 0;
    while (suf < n - pre && suf < m - pre && out.data[n - 1 - suf] == a->text[m - 1 - suf])
        suf++;
    while (suf > 0 && a->text[m - suf] != '\n' && m - suf > pre)
        suf--;
    cJSON *edits = cJSON_CreateArray();
    if (n != m || memcmp(out.data ? out.data : "", a->text, n) != 0)
        cJSON_AddItemToArray(edits, lsp_json_edit(a, pre, m - suf, out.data ? out.data + pre : "", n - suf - pre));
    cm_buf_free(&out);
    return edits;
}

/* Back from item start over the blanks before it on its line. */
static size_t line_start(const char *text, size_t at)
{
    while (at > 0 && (text[at - 1] == ' ' || text[at - 1] == '\t'))
        at--;
    return at;
}

/* The items [first, last] that the range touches are replaced by what
 * `fmt` prints for them: the whole text is formatted and parsed again, and
 * item i of the one is item i of the other (fmt keeps the tree). */
cJSON *lsp_range_formatting(LspServer *s, const cJSON *params, LspError *e)
{
    LspDoc *d = lsp_doc_of(s, params, e);
    size_t from, to;
    if (d == NULL || !lsp_doc_range(d, params, &from, &to, e))
        return NULL;
    const LspAnalysis *a = d->now;
    cJSON *edits = cJSON_CreateArray();
    const Ast *ast = a->ast;
    size_t first = ast->count, last = 0;
    for (size_t i = 0; formattable(a) && i < ast->count; i++)
        if (ast->items[i]->span.end >= from && ast->items[i]->span.start <= to) {
            first = first < i ? first : i;
            last = i;
        }
    if (first == ast->count)
        return edits;
    CmBuf out = CM_BUF_INIT;
    fmt_ast(ast, &out);
    DiagSink *sink = diag_sink_new();
    Ast *f = ast_parse(sink, "(formatted)", out.data ? out.data : "", out.len);
    size_t flen;
    const char *ftext = diag_source_text(f->src, &flen);
    if (f->count == ast->count && diag_count(sink, DIAG_ERROR) == 0 && ftext) {
        size_t start = line_start(a->text, ast->items[first]->span.start), end = ast->items[last]->span.end;
        size_t fstart = line_start(ftext, f->items[first]->span.start), fend = f->items[last]->span.end;
        if (end - start != fend - fstart || memcmp(a->text + start, ftext + fstart, end - start) != 0)
            cJSON_AddItemToArray(edits, lsp_json_edit(a, start, end, ftext + fstart, fend - fstart));
    }
    ast_free(f);
    diag_sink_free(sink);
    cm_buf_free(&out);
    return edits;
}

/* ---- symbols ---- */

static cJSON *symbol(const LspAnalysis *a, const char *name, int kind, Span range, Span sel)
{
    cJSON *sym = cJSON_CreateObject();
    cJSON_AddStringToObject(sym, "name", name && name[0] ? name : "?");
    cJSON_AddNumberToObject(sym, "kind", kind);
    if (sel.src == NULL || sel.start < range.start || sel.end > range.end)
        sel = range;
    cJSON_AddItemToObject(sym, "range", lsp_json_range(a, range.start, range.end));
    cJSON_AddItemToObject(sym, "selectionRange", lsp_json_range(a, sel.start, sel.end));
    return sym;
}

static void assign_symbols(const LspAnalysis *a, cJSON *into, Stmt *const *stmts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const Stmt *st = stmts[i];
        if (st->kind == ST_BLOCK)
            assign_symbols(a, into, st->u.block.stmts, st->u.block.count);
        else if (st->kind == ST_ASSIGN)
            cJSON_AddItemToArray(into, symbol(a, st->u.assign.field.name, S_FIELD, st->span,
                                              st->u.assign.field.span));
        else if (st->kind == ST_LET)
            cJSON_AddItemToArray(into, symbol(a, st->u.let.name.name, S_VARIABLE, st->span, st->u.let.name.span));
    }
}

cJSON *lsp_symbols(LspServer *s, const cJSON *params, LspError *e)
{
    LspDoc *d = lsp_doc_of(s, params, e);
    if (d == NULL)
        return NULL;
    const LspAnalysis *a = d->now;
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < a->ast->count; i++) {
        const Item *it = a->ast->items[i];
        cJSON *sym = NULL;
        switch (it->kind) {
        case IT_MAPPING:
            sym = symbol(a, it->u.mapping.name, S_MODULE, it->span, it->u.mapping.name_span);
            break;
        case IT_TABLE:
            sym = symbol(a, it->u.table.name.name, S_STRUCT, it->span, it->u.table.name.span);
            break;
        case IT_ENTITY:
            sym = symbol(a, it->u.entity.name.name, S_CLASS, it->span, it->u.entity.name.span);
            assign_symbols(a, cJSON_AddArrayToObject(sym, "children"), it->u.entity.stmts, it->u.entity.count);
            break;
        case IT_LET:
        case IT_PARAM:      /* a param is a let whose value a run may replace */
            sym = symbol(a, it->u.let.name.name, it->kind == IT_PARAM ? S_CONSTANT : S_VARIABLE, it->span,
                         it->u.let.name.span);
            break;
        default:
            /* source, target and users name files, not symbols */
            break;
        }
        if (sym)
            cJSON_AddItemToArray(list, sym);
    }
    return list;
}

/* ---- tables, entities and lets: where each is declared and used ---- */

typedef struct Occurrences {
    ItemKind kind;          /* IT_TABLE, IT_ENTITY or IT_LET */
    const char *name;
    Span decl;              /* src NULL when not declared */
    Span *uses;
    size_t nuses;
} Occurrences;

typedef void (*NameFn)(ItemKind kind, const Ident *id, bool decl, void *ctx);

typedef struct NameVisit {
    NameFn fn;
    void *ctx;
} NameVisit;

static void visit_names(const Expr *x, void *ctx)
{
    const NameVisit *v = ctx;
    if (x->kind == EX_LOOKUP)
        v->fn(IT_TABLE, &x->u.lookup.table, false, v->ctx);
    else if (x->kind == EX_REF)
        v->fn(IT_ENTITY, &x->u.ref.entity, false, v->ctx);
    else if (x->kind == EX_PATH && x->u.path.count == 1)   /* a let's use, if a let has the name */
        v->fn(IT_LET, &x->u.path.segments[0], false, v->ctx);
}

static void walk_expr(const Expr *x, NameFn fn, void *ctx)
{
    NameVisit v = { fn, ctx };
    ast_expr_each(x, visit_names, &v);
}

static void walk_stmts(Stmt *const *stmts, size_t n, NameFn fn, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        const Stmt *st = stmts[i];
        if (st->kind == ST_BLOCK) {
            walk_stmts(st->u.block.stmts, st->u.block.count, fn, ctx);
        } else if (st->kind == ST_ASSIGN) {
            walk_expr(st->u.assign.value, fn, ctx);
            walk_expr(st->u.assign.when, fn, ctx);
        } else if (st->kind == ST_LET) {
            fn(IT_LET, &st->u.let.name, true, ctx);
            walk_expr(st->u.let.value, fn, ctx);
        } else {
            walk_expr(st->u.reject.when, fn, ctx);
        }
    }
}

/* Calls fn for every table, entity and let name in the tree (and every
 * one-segment path, which names a let where one has that name). */
static void walk_names(const Ast *ast, NameFn fn, void *ctx)
{
    for (size_t i = 0; i < ast->count; i++) {
        const Item *it = ast->items[i];
        if (it->kind == IT_TABLE) {
            fn(IT_TABLE, &it->u.table.name, true, ctx);
        } else if (it->kind == IT_LET || it->kind == IT_PARAM) {
            /* a param is named and used as a mapping-level let is */
            fn(IT_LET, &it->u.let.name, true, ctx);
            walk_expr(it->u.let.value, fn, ctx);
        } else if (it->kind == IT_ENTITY) {
            fn(IT_ENTITY, &it->u.entity.name, true, ctx);
            walk_expr(it->u.entity.when, fn, ctx);
            walk_stmts(it->u.entity.stmts, it->u.entity.count, fn, ctx);
        }
    }
}

typedef struct Hit {
    size_t off;
    ItemKind kind;
    const char *name;
} Hit;

static void find_hit(ItemKind kind, const Ident *id, bool decl, void *ctx)
{
    Hit *h = ctx;
    (void)decl;
    if (id->name && h->name == NULL && id->span.start <= h->off && h->off <= id->span.end) {
        h->kind = kind;
        h->name = id->name;
    }
}

static void collect(ItemKind kind, const Ident *id, bool decl, void *ctx)
{
    Occurrences *o = ctx;
    if (kind != o->kind || id->name == NULL || strcmp(id->name, o->name) != 0)
        return;
    if (decl && o->decl.src == NULL) {
        o->decl = id->span;
        return;
    }
    o->uses = cm_realloc(o->uses, (o->nuses + 1) * sizeof *o->uses);
    o->uses[o->nuses++] = id->span;
}

static bool within(Span sp, Span in)
{
    return in.start <= sp.start && sp.end <= in.end;
}

/* The let NAME an item declares: the mapping's (IT_LET, or IT_PARAM: a
 * param is found, renamed and listed as a mapping-level let) or an entity's own. */
static const Ident *declared_let(const Item *it, const char *name)
{
    if (it->kind == IT_LET || it->kind == IT_PARAM)
        return it->u.let.name.name && strcmp(it->u.let.name.name, name) == 0 ? &it->u.let.name : NULL;
    for (size_t k = 0; it->kind == IT_ENTITY && k < it->u.entity.count; k++) {
        const Stmt *st = it->u.entity.stmts[k];
        if (st->kind == ST_LET && st->u.let.name.name && strcmp(st->u.let.name.name, name) == 0)
            return &st->u.let.name;
    }
    return NULL;
}

static bool in_entity_declaring(const Ast *ast, Span sp, const char *name)
{
    for (size_t k = 0; k < ast->count; k++) {
        const Item *it = ast->items[k];
        if (it->kind == IT_ENTITY && within(sp, it->span) && declared_let(it, name))
            return true;
    }
    return false;
}

/* Narrows o (every one-segment path named like the let, and its
 * declarations) to the let meant at off: the entity's own where off is in
 * an entity that declares one, else the mapping's, whose uses are outside
 * such entities. False when neither declares the name (a source field). */
static bool let_scope(const Ast *ast, size_t off, Occurrences *o)
{
    const Item *owner = NULL;
    const Ident *decl = NULL;
    for (size_t i = 0; i < ast->count; i++) {
        const Item *it = ast->items[i];
        const Ident *d = declared_let(it, o->name);
        if (d && it->kind == IT_ENTITY && off >= it->span.start && off <= it->span.end)
            owner = it, decl = d;
        else if (d && (it->kind == IT_LET || it->kind == IT_PARAM) && owner == NULL)
            decl = d;
    }
    if (decl == NULL)
        return false;
    size_t kept = 0;
    for (size_t i = 0; i < o->nuses; i++) {
        Span sp = o->uses[i];
        bool keep = owner ? within(sp, owner->span) : !in_entity_declaring(ast, sp, o->name);
        if (keep && !(sp.start == decl->span.start && sp.end == decl->span.end))
            o->uses[kept++] = sp;
    }
    o->nuses = kept;
    o->decl = decl->span;
    return true;
}

/* The declaration of a table or mapping-level let of an included file
 * (the Checked knows them; the document's tree holds only its own). */
static Span included_decl(const LspAnalysis *a, ItemKind kind, const char *name)
{
    const Checked *c = a->checked;
    for (size_t i = 0; c && kind == IT_TABLE && i < c->ntables; i++)
        if (strcmp(c->tables[i]->u.table.name.name, name) == 0 && c->tables[i]->span.src != a->ast->src)
            return c->tables[i]->u.table.name.span;
    for (size_t i = 0; c && kind == IT_LET && i < c->nlets; i++)
        if (c->lets[i].entity < 0 && strcmp(c->lets[i].decl->name.name, name) == 0 &&
            c->lets[i].span.src != a->ast->src)
            return c->lets[i].decl->name.span;
    Span none = { NULL, 0, 0 };
    return none;
}

/* The table, entity or let named at params' position; false (e set or not) when none. */
static bool occurrences_at(LspServer *s, const cJSON *params, LspError *e, const LspDoc **doc, Occurrences *o)
{
    LspDoc *d = lsp_doc_of(s, params, e);
    size_t off;
    if (d == NULL || !lsp_doc_offset(d, params, &off, e))
        return false;
    Hit h = { off, IT_TABLE, NULL };
    walk_names(d->now->ast, find_hit, &h);
    if (h.name == NULL)
        return false;
    memset(o, 0, sizeof *o);
    o->kind = h.kind;
    o->name = h.name;
    walk_names(d->now->ast, collect, o);
    Span far = o->decl.src ? o->decl : included_decl(d->now, o->kind, o->name);
    if (o->kind == IT_LET && !let_scope(d->now->ast, off, o) && far.src == NULL) {
        cm_free(o->uses);   /* a source field's path: no let has the name */
        return false;
    }
    if (o->decl.src == NULL)
        o->decl = far;
    *doc = d;
    return true;
}

static cJSON *location(const LspDoc *d, Span sp)
{
    if (sp.src != d->now->ast->src)
        return lsp_json_location(sp);
    cJSON *loc = cJSON_CreateObject();
    cJSON_AddStringToObject(loc, "uri", d->uri);
    cJSON_AddItemToObject(loc, "range", lsp_json_range(d->now, sp.start, sp.end));
    return loc;
}

/* Definition (decl_only) or references: where the name at the position is. */
static cJSON *locations(LspServer *s, const cJSON *params, LspError *e, bool decl_only)
{
    const LspDoc *d;
    Occurrences o;
    if (!occurrences_at(s, params, e, &d, &o))
        return e->code ? NULL : decl_only ? cJSON_CreateNull() : cJSON_CreateArray();
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(params, "context");
    bool with_decl = decl_only || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctx, "includeDeclaration"));
    cJSON *list = cJSON_CreateArray();
    if (o.decl.src && with_decl)
        cJSON_AddItemToArray(list, location(d, o.decl));
    for (size_t i = 0; !decl_only && i < o.nuses; i++)
        cJSON_AddItemToArray(list, location(d, o.uses[i]));
    cm_free(o.uses);
    if (!decl_only)
        return list;
    cJSON *one = cJSON_DetachItemFromArray(list, 0);
    cJSON_Delete(list);
    return one ? one : cJSON_CreateNull();
}

/* The file an include at the position names, opened at its start. */
static cJSON *include_target(LspServer *s, const cJSON *params)
{
    LspError ignored = { 0, "" };
    LspDoc *d = lsp_doc_of(s, params, &ignored);
    size_t off;
    if (d == NULL || !lsp_doc_offset(d, params, &off, &ignored))
        return NULL;
    const Ast *ast = d->now->ast;
    for (size_t i = 0; i < ast->nincluded; i++) {
        Span from = diag_source_parent(ast->included[i]->src);
        if (from.src == ast->src && from.start <= off && off <= from.end)
            return lsp_json_location(diag_span(ast->included[i]->src, 0, 0));
    }
    return NULL;
}

cJSON *lsp_definition(LspServer *s, const cJSON *params, LspError *e)
{
    cJSON *file = include_target(s, params);
    return file ? file : locations(s, params, e, true);
}

cJSON *lsp_references(LspServer *s, const cJSON *params, LspError *e)
{
    return locations(s, params, e, false);
}

static bool is_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

cJSON *lsp_rename(LspServer *s, const cJSON *params, LspError *e)
{
    const LspDoc *d;
    Occurrences o;
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(params, "newName");
    if (!cJSON_IsString(to) || !is_name(to->valuestring)) {
        lsp_error(e, RPC_INVALID_PARAMS, "a name is a letter or '_' followed by letters, digits or '_'");
        return NULL;
    }
    if (!occurrences_at(s, params, e, &d, &o)) {
        if (!e->code)
            lsp_error(e, RPC_INVALID_REQUEST, "only a table or a let can be renamed here");
        return NULL;
    }
    if (o.kind == IT_ENTITY) {
        /* An entity's name is the CRM's: renaming it would not rename the CRM's. */
        cm_free(o.uses);
        lsp_error(e, RPC_INVALID_REQUEST, "%s is a CRM entity; only tables and lets can be renamed", o.name);
        return NULL;
    }
    if (o.decl.src && o.decl.src != d->now->ast->src) {
        /* The other mappings that include the file use the name too. */
        cm_free(o.uses);
        lsp_error(e, RPC_INVALID_REQUEST, "%s is declared in %s, which other mappings may include: rename it there",
                  o.name, diag_source_name(o.decl.src));
        return NULL;
    }
    cJSON *edits = cJSON_CreateArray();
    size_t n = strlen(to->valuestring);
    if (o.decl.src)
        cJSON_AddItemToArray(edits, lsp_json_edit(d->now, o.decl.start, o.decl.end, to->valuestring, n));
    for (size_t i = 0; i < o.nuses; i++)
        cJSON_AddItemToArray(edits, lsp_json_edit(d->now, o.uses[i].start, o.uses[i].end, to->valuestring, n));
    cm_free(o.uses);
    return lsp_json_workspace_edit(d->uri, edits);
}
