/* check_let: `let NAME = EXPR` — who sees a let (the lets declared before it
 * at the mapping's level, and in its entity the entity's earlier ones), the
 * names it may not take (E0118), uses before the declaration (E0117) and
 * the mapping's own lets never used (W0214; not an included file's). A use takes its let value's type, length and
 * options, so checks downstream see through it. */
#include "check_int.h"

#include <string.h>

static size_t count_lets(const Ast *ast)
{
    size_t n = 0;
    for (size_t i = 0; i < ast->count; i++) {
        const Item *it = ast->items[i];
        n += it->kind == IT_LET;
        for (size_t k = 0; it->kind == IT_ENTITY && k < it->u.entity.count; k++)
            n += it->u.entity.stmts[k]->kind == ST_LET;
    }
    return n;
}

static void add(Checker *ck, const LetDecl *l, Span span, int entity)
{
    CheckedLet *cl = &ck->out->lets[ck->out->nlets++];
    cl->decl = l;
    cl->span = span;
    cl->entity = entity;
    names_put(&ck->any_let_ix, l->name.name, cl);
}

void ck_lets_init(Checker *ck, const Ast *ast)
{
    size_t n = count_lets(ast);
    ck->out->lets = cm_arena_alloc(ck->arena, (n + 1) * sizeof *ck->out->lets);
    memset(ck->out->lets, 0, (n + 1) * sizeof *ck->out->lets);
    names_init(&ck->any_let_ix, n);
    names_init(&ck->let_ix, n);
    names_init(&ck->entity_let_ix, 4);
    int entity = 0;
    for (size_t i = 0; i < ast->count; i++) {
        const Item *it = ast->items[i];
        if (it->kind == IT_LET)
            add(ck, &it->u.let, it->span, -1);
        for (size_t k = 0; it->kind == IT_ENTITY && k < it->u.entity.count; k++)
            if (it->u.entity.stmts[k]->kind == ST_LET)
                add(ck, &it->u.entity.stmts[k]->u.let, it->u.entity.stmts[k]->span, entity);
        entity += it->kind == IT_ENTITY;
    }
}

/* The indexes hold the Checked's own lets, which the checker marks used. */
static CheckedLet *let_named(const NameIndex *ix, const char *name)
{
    return (CheckedLet *)names_get(ix, name);
}

static CheckedLet *find(Checker *ck, const LetDecl *l)
{
    for (size_t i = 0; i < ck->out->nlets; i++)
        if (ck->out->lets[i].decl == l)
            return &ck->out->lets[i];
    return NULL;
}

/* E0118: a second let of one name where both are seen, or a let named like
 * a source field (a use could mean either). */
static bool source_name(const Checker *ck, const char *name)
{
    return ck->out->source && (names_get(&ck->source_ix, name) || names_get(&ck->object_ix, name));
}

static bool name_taken(Checker *ck, const CheckedLet *cl)
{
    const Ident *name = &cl->decl->name;
    const CheckedLet *before = names_get(&ck->entity_let_ix, name->name);
    if (before == NULL)
        before = names_get(&ck->let_ix, name->name);
    Diag *d;
    if (before) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0118", name->span, "let %s is declared twice", name->name);
        diag_help(d, "the first is on %s; give this one another name", ck_line_of(ck, before->span));
        return true;
    }
    if (source_name(ck, name->name)) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0118", name->span,
                        "let %s has the name of a source field: a use could mean either", name->name);
        diag_help(d, "give the let another name, e.g. `let %s_value = ...`", name->name);
        return true;
    }
    return false;
}

void ck_let(Checker *ck, const LetDecl *l)
{
    CheckedLet *cl = find(ck, l);
    ck->defining = cl;
    ck_expr(ck, l->value);
    ck->defining = NULL;
    if (!name_taken(ck, cl))
        names_put(cl->entity < 0 ? &ck->let_ix : &ck->entity_let_ix, l->name.name, cl);
    else
        cl->used = true;    /* E0118 said what is wrong with it: no W0214 on top */
}

bool ck_let_use(Checker *ck, Expr *e)
{
    const char *name = e->u.path.segments[0].name;
    CheckedLet *cl = let_named(&ck->entity_let_ix, name);
    if (cl == NULL)
        cl = let_named(&ck->let_ix, name);
    if (cl) {
        struct CheckInfo *in = e->info, *of = cl->decl->value->info;
        in->path = name;
        in->let = cl;
        if (of) {
            in->type = of->type;
            in->max_len = of->max_len;
            in->options = of->options;
        }
        cl->used = true;
        return true;
    }
    CheckedLet *later = let_named(&ck->any_let_ix, name);
    /* a let of another entity is no let here, and a let named like a
     * source field (E0118) does not hide it: the name is a source path */
    if (later == NULL || (later->entity >= 0 && (ck->target == NULL || later->entity != (int)ck->entity))
        || source_name(ck, name))
        return false;
    later->used = true;     /* meant to be: E0117 says where it goes */
    cl = later;
    e->info->type = CT_ANY;
    Diag *d;
    if (cl == ck->defining) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0117", e->span, "let %s uses itself", name);
        diag_help(d, "a let's value cannot name the let; use the source field or an earlier let instead");
    } else {
        d = diag_report(ck->sink, DIAG_ERROR, "E0117", e->span, "%s is used before its let on %s", name,
                        ck_line_of(ck, cl->span));
        diag_help(d, "a let is seen after its declaration: move `let %s = ...` above %s", name,
                  ck_line_of(ck, e->span));
    }
    return true;
}

void ck_lets_entity_end(Checker *ck)
{
    names_free(&ck->entity_let_ix);
    names_init(&ck->entity_let_ix, 4);
}

void ck_lets_finish(Checker *ck)
{
    for (size_t i = 0; i < ck->out->nlets; i++) {
        const CheckedLet *cl = &ck->out->lets[i];
        if (cl->used || cl->decl->value->info == NULL)
            continue;   /* unchecked: its entity's target is unknown (E0101) */
        if (cl->decl->name.span.src != ck->src)
            continue;   /* a shared file's: each mapping including it uses what it needs */
        Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0214", cl->decl->name.span, "let %s is never used",
                              cl->decl->name.name);
        diag_help(d, "remove it, or use it where its value is meant");
    }
    names_free(&ck->any_let_ix);
    names_free(&ck->let_ix);
    names_free(&ck->entity_let_ix);
}
