/* lsp_fixes: the code actions of two warnings (lsp_int.h). W0210: add the
 * fallback entity an `update by` lacks — one action per target entity of
 * the schema that has the same key field (no CRM is named here: the schema
 * says which objects can take a missed record), a skeleton that sends the
 * key and every field required on create. W0212: catch the part that can
 * fail with `??` and a placeholder of its type. */
#include <string.h>

#include "cm_alloc.h"
#include "lsp_int.h"

/* Most fallback candidates offered: a schema of many objects sharing a key
 * field would bury the list. */
enum { MAX_FALLBACKS = 5 };

static const CheckedEntity *checked_entity(const Checked *c, const Item *it)
{
    for (size_t i = 0; c && i < c->nentities; i++)
        if (c->entities[i].item == it)
            return &c->entities[i];
    return NULL;
}

/* The assignment of ce to a field named name, or NULL. */
static const Stmt *assigned(const CheckedEntity *ce, const char *name)
{
    for (size_t i = 0; i < ce->nassigns; i++)
        if (strcmp(ce->assigns[i].field->name, name) == 0)
            return ce->assigns[i].stmt;
    return NULL;
}

/* "  NAME = VALUE" with ce's value for a field of that name, else a null
 * to fill in. */
static void skeleton_field(CmBuf *b, const LspAnalysis *a, const CheckedEntity *ce, const char *name, size_t width)
{
    const Stmt *st = assigned(ce, name);
    cm_buf_printf(b, "  %-*s = ", (int)width, name);
    if (st) {
        const Expr *v = st->u.assign.value;
        cm_buf_put(b, a->text + v->span.start, v->span.end - v->span.start);
        cm_buf_putc(b, '\n');
    } else {
        cm_buf_puts(b, "null  # required on create: give it a value\n");
    }
}

static void fallback_to(const LspDoc *d, const Diag *diag, const CheckedEntity *ce, const SchemaEntity *to,
                        cJSON *out)
{
    const LspAnalysis *a = d->now;
    const Item *it = ce->item;
    const char *key = ce->by->name;
    size_t width = strlen(key);
    for (size_t i = 0; i < to->nfields; i++)
        if (to->fields[i].required && to->fields[i].createable && strlen(to->fields[i].name) > width)
            width = strlen(to->fields[i].name);
    CmBuf text = CM_BUF_INIT, title = CM_BUF_INIT;
    cm_buf_printf(&text, "\n\nentity %s upsert by %s when no %s {\n", to->name, key, it->u.entity.name.name);
    skeleton_field(&text, a, ce, key, width);
    for (size_t i = 0; i < to->nfields; i++) {
        const Field *f = &to->fields[i];
        if (f->required && f->createable && strcmp(f->name, key) != 0)
            skeleton_field(&text, a, ce, f->name, width);
    }
    cm_buf_puts(&text, "}");
    /* After the entity's line, so a comment closing it stays with it. */
    size_t at = it->span.end;
    while (at < a->len && a->text[at] != '\n')
        at++;
    cm_buf_printf(&title, "add a fallback entity: %s upsert by %s when no %s", to->name, key, it->u.entity.name.name);
    cJSON *edits = cJSON_CreateArray();
    cJSON_AddItemToArray(edits, lsp_json_edit(a, at, at, text.data, text.len));
    cJSON_AddItemToArray(out, lsp_action(d, title.data, "quickfix", edits, diag));
    cm_buf_free(&text);
    cm_buf_free(&title);
}

void lsp_add_fallback(const LspDoc *d, const Diag *diag, cJSON *out)
{
    const Checked *c = d->now->checked;
    const CheckedEntity *ce = checked_entity(c, lsp_entity_at(d->now->ast, diag->span.start));
    if (ce == NULL || ce->by == NULL)
        return;
    size_t offered = 0;
    for (size_t i = 0; i < c->ntargets && offered < MAX_FALLBACKS; i++) {
        const SchemaEntity *to = c->targets[i];
        if (to != ce->schema && strcmp(to->name, ce->item->u.entity.name.name) != 0 && schema_field(to, ce->by->name)) {
            fallback_to(d, diag, ce, to, out);
            offered++;
        }
    }
}

static bool spans(const Expr *x, const void *sp)
{
    const Span *s = sp;
    return x->span.start == s->start && x->span.end == s->end;
}

static bool atomic(const Expr *x)
{
    return x->kind != EX_BINARY && x->kind != EX_UNARY && x->kind != EX_IF && x->kind != EX_CASE;
}

void lsp_wrap_coalesce(const LspDoc *d, const Diag *diag, cJSON *out)
{
    const LspAnalysis *a = d->now;
    const Item *it = lsp_entity_at(a->ast, diag->span.start);
    const Expr *x = lsp_item_find(it, spans, &diag->span);
    if (x == NULL || x->info == NULL || a->checked == NULL)
        return;
    const char *value = x->info->type == CT_STRING ? "\"\"" : x->info->type == CT_NUMBER ? "0"
                      : x->info->type == CT_BOOL ? "false" : "null";
    /* `??` binds least of all: inside a larger expression the whole goes
     * in parentheses, or its neighbours would take the placeholder. */
    bool whole = false;
    for (size_t i = 0; i < a->checked->nentities && !whole; i++)
        for (size_t k = 0; k < a->checked->entities[i].nassigns; k++)
            whole |= a->checked->entities[i].assigns[k].stmt->u.assign.value == x;
    CmBuf text = CM_BUF_INIT, title = CM_BUF_INIT;
    const char *expr = a->text + x->span.start;
    int n = (int)(x->span.end - x->span.start);
    cm_buf_printf(&text, atomic(x) ? "%s%.*s ?? %s%s" : "%s(%.*s) ?? %s%s", whole ? "" : "(", n, expr, value,
                  whole ? "" : ")");
    cm_buf_printf(&title, "catch a failure here with ?? %s", value);
    cJSON *edits = cJSON_CreateArray();
    cJSON_AddItemToArray(edits, lsp_json_edit(a, x->span.start, x->span.end, text.data, text.len));
    cJSON_AddItemToArray(out, lsp_action(d, title.data, "quickfix", edits, diag));
    cm_buf_free(&text);
    cm_buf_free(&title);
}
