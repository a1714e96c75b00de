/* check_param: `param NAME = DEFAULT` — what a default may be (a literal:
 * it is the param's type, and run may replace it without running code), the
 * names a param may not take (E0119) and params never used (W0215). A param
 * is seen in the whole mapping. Its uses have no known length: --param may
 * give a longer value than the default, which the run checks per field. */
#include "check_int.h"

#include <string.h>

/* The type a literal default gives its param; CT_ANY when it is no literal. */
static CheckType literal_type(const Expr *v)
{
    switch (v->kind) {
    case EX_STRING: return memchr(v->u.string.value, '\0', v->u.string.len) ? CT_ANY : CT_STRING;
    case EX_NUMBER: return CT_NUMBER;
    case EX_BOOL: return CT_BOOL;
    case EX_UNARY:
        return v->u.unary.op == OP_NEG && v->u.unary.operand->kind == EX_NUMBER ? CT_NUMBER : CT_ANY;
    default: return CT_ANY;
    }
}

static const Item *item_named(const Ast *ast, ItemKind kind, const char *name, const Item *before)
{
    for (size_t i = 0; i < ast->count && ast->items[i] != before; i++) {
        const Item *it = ast->items[i];
        const char *n = it->kind == IT_TABLE ? it->u.table.name.name
                        : it->kind == IT_LET || it->kind == IT_PARAM ? it->u.let.name.name : NULL;
        if (it->kind == kind && n && strcmp(n, name) == 0)
            return it;
    }
    return NULL;
}

/* E0119 for a name a use could not tell apart; true when reported. */
static bool name_taken(Checker *ck, const Ast *ast, const Item *it)
{
    const Ident *name = &it->u.let.name;
    const Item *twice = item_named(ast, IT_PARAM, name->name, it);
    const Item *table = item_named(ast, IT_TABLE, name->name, NULL);
    const CheckedLet *let = names_get(&ck->any_let_ix, name->name);
    Diag *d;
    if (twice) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0119", name->span, "param %s is declared twice", name->name);
        diag_help(d, "the first is on line %u; give this one another name", ck_line(twice->span));
    } else if (let || table) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0119", name->span, "param %s has the name of %s on line %u",
                        name->name, let ? "a let" : "a table", ck_line(let ? let->span : table->span));
        diag_help(d, "give the param another name, e.g. `param %s_value = ...`", name->name);
    } else if (ck->out->source && (names_get(&ck->source_ix, name->name) || names_get(&ck->object_ix, name->name))) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0119", name->span,
                        "param %s has the name of a source field: a use could mean either", name->name);
        diag_help(d, "give the param another name, e.g. `param %s_value = ...`", name->name);
    } else {
        return false;
    }
    return true;
}

void ck_params(Checker *ck, const Ast *ast)
{
    size_t n = 0;
    for (size_t i = 0; i < ast->count; i++)
        n += ast->items[i]->kind == IT_PARAM;
    ck->out->params = cm_arena_alloc(ck->arena, (n + 1) * sizeof *ck->out->params);
    names_init(&ck->param_ix, n);
    for (size_t i = 0; i < ast->count; i++) {
        const Item *it = ast->items[i];
        if (it->kind != IT_PARAM)
            continue;
        CheckedParam *p = &ck->out->params[ck->out->nparams++];
        p->decl = &it->u.let;
        p->type = literal_type(it->u.let.value);
        p->used = false;
        if (p->type == CT_ANY) {
            Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0119", it->u.let.value->span,
                                  "the default of param %s is not a literal", it->u.let.name.name);
            diag_help(d, "write the default as a string, a number, true or false (`param %s = \"...\"`), and "
                         "compute from the param in a let, e.g. `let %s_date = date(%s)`",
                      it->u.let.name.name, it->u.let.name.name, it->u.let.name.name);
        } else {
            ck->target = NULL;
            ck_expr(ck, it->u.let.value);
        }
        if (name_taken(ck, ast, it))
            p->used = true;     /* E0119 said what is wrong with it: no W0215 on top */
        else
            names_put(&ck->param_ix, it->u.let.name.name, p);
    }
}

bool ck_param_use(Checker *ck, Expr *e)
{
    CheckedParam *p = (CheckedParam *)names_get(&ck->param_ix, e->u.path.segments[0].name);
    if (p == NULL)
        return false;
    e->info->type = p->type;
    e->info->path = p->decl->name.name;
    e->info->param = p;
    p->used = true;
    return true;
}

void ck_params_finish(Checker *ck)
{
    for (size_t i = 0; i < ck->out->nparams; i++) {
        const CheckedParam *p = &ck->out->params[i];
        if (p->used)
            continue;
        Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0215", p->decl->name.span, "param %s is never used",
                              p->decl->name.name);
        diag_help(d, "remove it, or use it where the value that differs per run is meant");
    }
    names_free(&ck->param_ix);
}
