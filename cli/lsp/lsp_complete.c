/* lsp_complete: completion and hover, from the cursor's context
 * (lsp_context.h) and what the latest check of the document loaded: the
 * target entities' fields, the source's fields and questions, the users,
 * the tables, the lets seen at the cursor, the builtins. */
#include <string.h>

#include "cm_alloc.h"
#include "lsp_context.h"
#include "lsp_int.h"

/* LSP's CompletionItemKind values used here. */
enum { K_FUNCTION = 3, K_FIELD = 5, K_VARIABLE = 6, K_CLASS = 7, K_VALUE = 12, K_KEYWORD = 14, K_STRUCT = 22, K_CONSTANT = 21 };

static const char *const item_keywords[] = { "mapping", "source", "target", "users", "table", "entity", "let",
                                             "include", "param" };
static const char *const stmt_keywords[] = { "master crm", "master source", "on create", "reject", "let" };
static const char *const expr_keywords[] = { "if", "then", "else", "case", "when", "and", "or", "not",
                                             "in", "null", "true", "false", "ref", "clear", "user" };

static const Checked *model(const LspDoc *d)
{
    return d->good ? d->good->checked : NULL;
}

static const SchemaEntity *entity_schema(const Checked *c, const char *name)
{
    if (c == NULL)
        return NULL;
    for (size_t i = 0; i < c->nentities; i++)
        if (c->entities[i].schema && strcmp(c->entities[i].item->u.entity.name.name, name) == 0)
            return c->entities[i].schema;
    for (size_t i = 0; i < c->ntargets; i++)
        if (strcmp(c->targets[i]->name, name) == 0)
            return c->targets[i];
    return NULL;
}

/* Whether an entity before entity i has its name. */
static bool named_before(const Checked *c, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(c->entities[j].item->u.entity.name.name, c->entities[i].item->u.entity.name.name) == 0)
            return true;
    return false;
}

static const Field *source_field(const Checked *c, const char *path)
{
    return c && c->source ? schema_field(c->source, path) : NULL;
}

static const Item *table_named(const Checked *c, const char *name)
{
    for (size_t i = 0; c && i < c->ntables; i++)
        if (strcmp(c->tables[i]->u.table.name.name, name) == 0)
            return c->tables[i];
    return NULL;
}

/* "picklist(40), required: Lead Status" */
static void field_detail(CmBuf *b, const Field *f)
{
    cm_buf_puts(b, schema_type_name(f->type));
    if (f->length)
        cm_buf_printf(b, "(%d)", f->length);
    if (f->required)
        cm_buf_puts(b, ", required");
    if (f->label)
        cm_buf_printf(b, ": %s", f->label);
}

static void field_doc(CmBuf *b, const Field *f, bool target)
{
    cm_buf_printf(b, "**%s**", f->name);
    if (f->label)
        cm_buf_printf(b, " — %s", f->label);
    cm_buf_printf(b, "\n\ntype `%s`", schema_type_name(f->type));
    if (f->length)
        cm_buf_printf(b, ", at most %d characters", f->length);
    if (target)
        cm_buf_printf(b, "\n\n%s, %s, %s", f->required ? "required" : "optional",
                      f->createable ? "createable" : "not createable", f->updateable ? "updateable" : "not updateable");
    size_t shown = 0;
    for (size_t i = 0; i < f->nvalues; i++) {
        if (!f->values[i].active)
            continue;
        if (shown == 0)
            cm_buf_puts(b, "\n\nvalues:");
        if (++shown > 50) {
            cm_buf_puts(b, "\n- …");
            break;
        }
        cm_buf_printf(b, "\n- `%s`", f->values[i].value);
        if (f->values[i].label && strcmp(f->values[i].label, f->values[i].value) != 0)
            cm_buf_printf(b, " (%s)", f->values[i].label);
    }
}

typedef struct Items {
    cJSON *list;
    const LspAnalysis *a;
    size_t start, end;      /* what an item replaces */
    const char *prefix;     /* what is typed of it */
    size_t nprefix;
} Items;

static cJSON *add(Items *it, const char *label, int kind, const char *detail, const char *doc)
{
    if (it->nprefix && strncmp(label, it->prefix, it->nprefix) != 0)
        return NULL;
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "label", label);
    cJSON_AddNumberToObject(item, "kind", kind);
    if (detail)
        cJSON_AddStringToObject(item, "detail", detail);
    if (doc) {
        cJSON *md = cJSON_AddObjectToObject(item, "documentation");
        cJSON_AddStringToObject(md, "kind", "markdown");
        cJSON_AddStringToObject(md, "value", doc);
    }
    cJSON_AddItemToObject(item, "textEdit", lsp_json_edit(it->a, it->start, it->end, label, strlen(label)));
    cJSON_AddItemToArray(it->list, item);
    return item;
}

static void add_field(Items *it, const Field *f, bool target)
{
    CmBuf detail = CM_BUF_INIT, doc = CM_BUF_INIT;
    field_detail(&detail, f);
    field_doc(&doc, f, target);
    add(it, f->name, target ? K_FIELD : K_VARIABLE, detail.data, doc.data);
    cm_buf_free(&detail);
    cm_buf_free(&doc);
}

static void signature(CmBuf *b, const BuiltinInfo *bi)
{
    cm_buf_printf(b, "%s(", bi->name);
    int shown = bi->max_args < 0 ? bi->min_args + 1 : bi->max_args;
    for (int i = 0; i < shown; i++) {
        if (i == bi->min_args)
            cm_buf_putc(b, '[');
        cm_buf_printf(b, "%sarg%d", i ? ", " : "", i + 1);
    }
    if (bi->max_args < 0)
        cm_buf_puts(b, ", ...");
    if (shown > bi->min_args)
        cm_buf_putc(b, ']');
    cm_buf_printf(b, ") → %s", bi->result);
}

static void add_values(Items *it, const Field *f)
{
    for (size_t i = 0; f && i < f->nvalues; i++)
        if (f->values[i].active)
            add(it, f->values[i].value, K_VALUE, f->values[i].label, NULL);
}

static void add_keywords(Items *it, const char *const *kw, size_t n)
{
    for (size_t i = 0; i < n; i++)
        add(it, kw[i], K_KEYWORD, NULL, NULL);
}

static void in_string(Items *it, const LspContext *cx, const LspDoc *d)
{
    const Checked *c = model(d);
    if (c == NULL)
        return;
    if (strcmp(cx->before, "(") == 0 && strcmp(cx->lhs, "user") == 0) {
        for (size_t i = 0; c->users && i < c->users->nusers; i++) {
            const User *u = &c->users->users[i];
            if (u->email && u->active)
                add(it, u->email, K_VALUE, u->name, NULL);
        }
    } else if (strcmp(cx->before, "=") == 0 && cx->block == LB_ENTITY) {
        const SchemaEntity *e = entity_schema(c, cx->name);
        add_values(it, e ? schema_field(e, cx->lhs) : NULL);
    } else if (strcmp(cx->before, "==") == 0 || strcmp(cx->before, "!=") == 0) {
        add_values(it, source_field(c, cx->lhs));
    }
}

/* "param string = \"Hannover Messe\"": its type and default, for completion
 * and hover (a run may give it another value with --param). */
static void param_detail(CmBuf *b, const CheckedParam *p)
{
    const Expr *v = p->decl->value;
    cm_buf_printf(b, "param %s = ", check_type_name(p->type));
    if (v->kind == EX_STRING)
        cm_buf_printf(b, "\"%.*s\"", (int)(v->u.string.len > 200 ? 200 : v->u.string.len), v->u.string.value);
    else if (v->kind == EX_NUMBER)
        cm_buf_puts(b, v->u.number.text);
    else if (v->kind == EX_BOOL)
        cm_buf_puts(b, v->u.boolean ? "true" : "false");
}

static const CheckedParam *param_named(const Checked *c, const char *name)
{
    for (size_t i = 0; c && i < c->nparams; i++)
        if (strcmp(c->params[i].decl->name.name, name) == 0)
            return &c->params[i];
    return NULL;
}

static void expression(Items *it, const LspDoc *d)
{
    const Checked *c = model(d);
    for (size_t i = 0; c && c->source && i < c->source->nfields; i++)
        add_field(it, &c->source->fields[i], false);
    /* A dotted path offers only the source's paths. */
    if (memchr(it->prefix, '.', it->nprefix))
        return;
    for (size_t i = 0; i < BI__COUNT; i++) {
        if (i == BI_user)
            continue;   /* the keyword: user(x)'s compiled form is not for writing */
        CmBuf sig = CM_BUF_INIT;
        signature(&sig, &builtin_info[i]);
        add(it, builtin_info[i].name, K_FUNCTION, sig.data, NULL);
        cm_buf_free(&sig);
    }
    for (size_t i = 0; c && i < c->ntables; i++)
        add(it, c->tables[i]->u.table.name.name, K_STRUCT, "table", NULL);
    /* The lets declared before the cursor: the mapping's, and its entity's;
     * an included file's are all seen (its offsets are not this text's). */
    for (size_t i = 0; c && i < c->nlets; i++) {
        const CheckedLet *l = &c->lets[i];
        const Span *in = l->entity >= 0 ? &c->entities[l->entity].item->span : NULL;
        const struct CheckInfo *v = l->decl->value->info;
        bool before = l->span.src != it->a->ast->src || l->span.end <= it->start;
        if (before && (in == NULL || (in->start <= it->start && it->start < in->end)))
            add(it, l->decl->name.name, K_VARIABLE, v ? check_type_name(v->type) : "let", NULL);
    }
    /* The params: seen in the whole mapping; the detail says what --param must give. */
    for (size_t i = 0; c && i < c->nparams; i++) {
        CmBuf detail = CM_BUF_INIT;
        param_detail(&detail, &c->params[i]);
        add(it, c->params[i].decl->name.name, K_CONSTANT, detail.data, NULL);
        cm_buf_free(&detail);
    }
    add_keywords(it, expr_keywords, sizeof expr_keywords / sizeof expr_keywords[0]);
}

/* ---- table keys and entity headers ---- */

static bool looks_up(const Expr *x, const void *table)
{
    return x->kind == EX_LOOKUP && x->u.lookup.table.name && strcmp(x->u.lookup.table.name, table) == 0 &&
           x->u.lookup.key->info && x->u.lookup.key->info->options;
}

/* In table T: the options of the question T is looked up by that it has
 * no entry for yet (as the latest check saw the table). */
static void table_keys(Items *it, const LspContext *cx, const LspDoc *d)
{
    const Checked *c = model(d);
    const Item *t = table_named(c, cx->name);
    const Expr *x = NULL;
    for (size_t i = 0; t && i < d->good->ast->count && x == NULL; i++)
        x = lsp_item_find(d->good->ast->items[i], looks_up, cx->name);
    if (x == NULL)
        return;
    const Field *q = x->u.lookup.key->info->options;
    for (size_t i = 0; i < q->nvalues; i++) {
        const char *v = q->values[i].value;
        if (!q->values[i].active || lsp_table_has_key(t, v))
            continue;
        cJSON *item = add(it, v, K_VALUE, q->values[i].label, NULL);
        if (item == NULL || cx->in_string)
            continue;
        /* Outside quotes the whole entry's start is written. */
        CmBuf text = CM_BUF_INIT;
        cm_buf_put_json_string(&text, v, strlen(v));
        cm_buf_puts(&text, " -> ");
        cJSON_ReplaceItemInObject(item, "textEdit", lsp_json_edit(it->a, it->start, it->end, text.data, text.len));
        cm_buf_free(&text);
    }
    if (!cx->in_string)
        add(it, "else", K_KEYWORD, "else -> VALUE: what every other answer maps to", NULL);
}

static const char *const header_keywords[] = { "key", "master crm", "master source", "when", "when no", "strict" };
static const char *const mode_keywords[] = { "create", "update by", "upsert by" };

/* The words of an entity header before the cursor's word: false when the
 * cursor's line is no header (or its `{` is behind). */
enum { MAX_WORDS = 16 };
typedef struct Header {
    char words[MAX_WORDS][128];
    size_t n;
} Header;

static bool header(const LspAnalysis *a, size_t word, Header *h)
{
    size_t ls = word;
    while (ls > 0 && a->text[ls - 1] != '\n')
        ls--;
    while (ls < word && (a->text[ls] == ' ' || a->text[ls] == '\t'))
        ls++;
    if (word - ls < 7 || strncmp(a->text + ls, "entity ", 7) != 0 || memchr(a->text + ls, '{', word - ls))
        return false;
    h->n = 0;
    for (size_t i = ls; i < word && h->n < MAX_WORDS;) {
        while (i < word && (a->text[i] == ' ' || a->text[i] == '\t'))
            i++;
        size_t s = i;
        while (i < word && a->text[i] != ' ' && a->text[i] != '\t')
            i++;
        if (i > s) {
            size_t n = i - s < 127 ? i - s : 127;
            memcpy(h->words[h->n], a->text + s, n);
            h->words[h->n++][n] = '\0';
        }
    }
    return true;
}

/* `entity NAME MODE [key FIELD] [master crm|source] [when COND | when no
 * ENTITY] [strict] {`: what fits where the cursor is. */
static void in_header(Items *it, const Header *h, const LspDoc *d)
{
    const Checked *c = model(d);
    const char *last = h->words[h->n - 1];
    if (h->n == 1) {
        for (size_t i = 0; c && i < c->ntargets; i++)
            add(it, c->targets[i]->name, K_CLASS, c->targets[i]->system, NULL);
    } else if (h->n == 2) {
        add_keywords(it, mode_keywords, sizeof mode_keywords / sizeof mode_keywords[0]);
    } else if (strcmp(last, "by") == 0 || strcmp(last, "key") == 0) {
        const SchemaEntity *en = entity_schema(c, h->words[1]);
        for (size_t i = 0; en && i < en->nfields; i++)
            add_field(it, &en->fields[i], true);
    } else if (strcmp(last, "master") == 0) {
        add(it, "crm", K_KEYWORD, NULL, NULL);
        add(it, "source", K_KEYWORD, NULL, NULL);
    } else if (strcmp(last, "no") == 0 && strcmp(h->words[h->n - 2], "when") == 0) {
        for (size_t i = 0; c && i < c->nentities; i++)
            if (c->entities[i].mode == MODE_UPDATE)
                add(it, c->entities[i].item->u.entity.name.name, K_CLASS, "entity", NULL);
    } else if (strcmp(last, "when") == 0) {
        expression(it, d);
    } else {
        add_keywords(it, header_keywords, sizeof header_keywords / sizeof header_keywords[0]);
    }
}

/* Where a request's position is: the document, its analysis, the offset
 * and its context. */
typedef struct Cursor {
    LspDoc *d;
    const LspAnalysis *a;
    size_t off;
    LspContext cx;
} Cursor;

static bool cursor_at(LspServer *s, const cJSON *params, LspError *e, Cursor *k)
{
    k->d = lsp_doc_of(s, params, e);
    if (k->d == NULL || !lsp_doc_offset(k->d, params, &k->off, e))
        return false;
    k->a = k->d->now;
    lsp_context(k->a->text, k->a->len, k->off, &k->cx);
    return true;
}

/* fn's answer at params' position; NULL (e set) when there is none. */
static cJSON *at_cursor(LspServer *s, const cJSON *params, LspError *e, cJSON *(*fn)(const Cursor *k))
{
    Cursor k;
    return cursor_at(s, params, e, &k) ? fn(&k) : NULL;
}

static cJSON *complete(const Cursor *k)
{
    const LspDoc *d = k->d;
    const LspContext cx = k->cx;
    Items it = { cJSON_CreateArray(), k->a, cx.start, cx.end, k->a->text + cx.start, k->off - cx.start };
    const Checked *c = model(d);
    Header h;
    if (cx.in_comment) {
        /* nothing to offer */
    } else if (cx.block == LB_TABLE && cx.line_start) {
        table_keys(&it, &cx, d);
    } else if (!cx.in_string && header(k->a, cx.start, &h)) {
        in_header(&it, &h, d);
    } else if (cx.in_string) {
        in_string(&it, &cx, d);
    } else if (strcmp(cx.before, "ref") == 0) {
        for (size_t i = 0; c && i < c->nentities; i++)
            if (!named_before(c, i))    /* several entities may write one object: offer it once */
                add(&it, c->entities[i].item->u.entity.name.name, K_CLASS, "entity", NULL);
    } else if (cx.block == LB_TOP) {
        add_keywords(&it, item_keywords, sizeof item_keywords / sizeof item_keywords[0]);
    } else if (cx.block == LB_ENTITY && cx.line_start) {
        const SchemaEntity *en = entity_schema(c, cx.name);
        for (size_t i = 0; en && i < en->nfields; i++)
            add_field(&it, &en->fields[i], true);
        add_keywords(&it, stmt_keywords, sizeof stmt_keywords / sizeof stmt_keywords[0]);
    } else if (cx.block == LB_ENTITY) {
        expression(&it, d);
    }
    return it.list;
}

/* ---- hover ---- */

static void table_doc(CmBuf *b, const Item *t)
{
    cm_buf_printf(b, "**table %s** (%zu entries%s)\n\n```\n", t->u.table.name.name, t->u.table.count,
                  t->u.table.else_value ? " and else" : "");
    const char *text;
    size_t len;
    text = diag_source_text(t->span.src, &len);
    size_t shown = t->span.end - t->span.start < 4000 ? t->span.end - t->span.start : 4000;
    if (text && t->span.end <= len)
        cm_buf_put(b, text + t->span.start, shown);
    cm_buf_puts(b, "\n```");
}

static cJSON *hover(const Cursor *k)
{
    const LspAnalysis *a = k->a;
    const LspContext cx = k->cx;
    const Checked *c = model(k->d);
    if (cx.in_string || cx.in_comment || cx.start == cx.end)
        return cJSON_CreateNull();
    char word[256];
    size_t n = cx.end - cx.start < sizeof word - 1 ? cx.end - cx.start : sizeof word - 1;
    memcpy(word, a->text + cx.start, n);
    word[n] = '\0';
    bool call = cx.end < a->len && a->text[cx.end] == '(';
    CmBuf md = CM_BUF_INIT;
    const SchemaEntity *en = cx.block == LB_ENTITY ? entity_schema(c, cx.name) : NULL;
    const Field *f;
    const Item *t;
    const CheckedParam *p;
    BuiltinId bi = builtin_lookup(word);
    if (call && bi != BI__COUNT && bi != BI_user) {
        cm_buf_puts(&md, "```\n");
        signature(&md, &builtin_info[bi]);
        cm_buf_puts(&md, "\n```\nbuiltin (docs/builtins.md)");
    } else if (call && strcmp(word, "user") == 0) {
        cm_buf_puts(&md, "```\nuser(\"e-mail\") → the CRM user's id\n```\nresolved from the users file: at compile time for a literal, at run time for a source field");
    } else if (en && cx.line_start && (f = schema_field(en, word)) != NULL) {
        cm_buf_printf(&md, "%s.", en->name);
        field_doc(&md, f, true);
    } else if ((f = source_field(c, word)) != NULL) {
        cm_buf_puts(&md, "source ");
        field_doc(&md, f, false);
    } else if ((t = table_named(c, word)) != NULL) {
        table_doc(&md, t);
    } else if ((p = param_named(c, word)) != NULL) {
        cm_buf_puts(&md, "```\n");
        param_detail(&md, p);
        cm_buf_printf(&md, "\n```\nset per run with `--param %s=VALUE` or the connection file's \"params\"",
                      word);
    } else if ((en = entity_schema(c, word)) != NULL) {
        cm_buf_printf(&md, "**%s** — %s entity, %zu fields", en->name, en->system, en->nfields);
    } else {
        return cJSON_CreateNull();
    }
    cJSON *h = cJSON_CreateObject();
    cJSON *contents = cJSON_AddObjectToObject(h, "contents");
    cJSON_AddStringToObject(contents, "kind", "markdown");
    cJSON_AddStringToObject(contents, "value", md.data);
    cJSON_AddItemToObject(h, "range", lsp_json_range(a, cx.start, cx.end));
    cm_buf_free(&md);
    return h;
}

cJSON *lsp_completion(LspServer *s, const cJSON *params, LspError *e)
{
    return at_cursor(s, params, e, complete);
}

cJSON *lsp_hover(LspServer *s, const cJSON *params, LspError *e)
{
    return at_cursor(s, params, e, hover);
}
