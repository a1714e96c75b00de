/* doc_paths: source fields and table uses of a checked mapping (see doc_paths.h). */
#include "doc_paths.h"

#include "cm_alloc.h"

static void add_path(const Expr *e, void *ctx)
{
    DocPaths *p = ctx;
    if (e->kind != EX_PATH || e->info == NULL)
        return;
    /* A let reads what its value reads (lets form no cycle: E0118). */
    if (e->info->let != NULL) {
        ast_expr_each(e->info->let->decl->value, add_path, p);
        return;
    }
    if (e->info->source == NULL)
        return;
    for (size_t i = 0; i < p->count; i++)
        if (p->fields[i] == e->info->source)
            return;
    if (p->count == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 8;
        p->fields = cm_realloc(p->fields, p->cap * sizeof *p->fields);
    }
    p->fields[p->count++] = e->info->source;
}

void doc_paths_of(DocPaths *p, const Expr *e)
{
    ast_expr_each(e, add_path, p);
}

void doc_paths_of_entity(DocPaths *p, const CheckedEntity *ce)
{
    const Item *it = ce->item;
    doc_paths_of(p, it->u.entity.when);
    for (size_t i = 0; i < ce->nassigns; i++) {
        doc_paths_of(p, ce->assigns[i].stmt->u.assign.value);
        doc_paths_of(p, ce->assigns[i].stmt->u.assign.when);
    }
    for (size_t i = 0; i < it->u.entity.count; i++)
        if (it->u.entity.stmts[i]->kind == ST_REJECT)
            doc_paths_of(p, it->u.entity.stmts[i]->u.reject.when);
}

void doc_paths_free(DocPaths *p)
{
    cm_free(p->fields);
    *p = (DocPaths){ 0 };
}

typedef struct TableSearch {
    const Item *table;
    const Expr *found;
} TableSearch;

static void find_lookup(const Expr *e, void *ctx)
{
    TableSearch *s = ctx;
    if (s->found == NULL && e->kind == EX_LOOKUP && e->info != NULL && e->info->table == s->table)
        s->found = e;
}

DocTableUse doc_table_use(const Checked *c, const Item *table)
{
    DocTableUse use = { 0 };
    for (size_t i = 0; i < c->nentities; i++) {
        const CheckedEntity *ce = &c->entities[i];
        for (size_t k = 0; k < ce->nassigns; k++) {
            TableSearch s = { table, NULL };
            ast_expr_each(ce->assigns[k].stmt->u.assign.value, find_lookup, &s);
            if (s.found == NULL)
                continue;
            const struct CheckInfo *key = s.found->u.lookup.key->info;
            if (use.key == NULL && key != NULL)
                use.key = key->options != NULL ? key->options : key->source;
            if (use.target == NULL)
                use.target = ce->assigns[k].field;
            if (use.key != NULL)
                return use;
        }
    }
    return use;
}
