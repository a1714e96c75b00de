/* lsp_walk: finding an expression of a mapping's tree by a test — the
 * lookup a diagnostic points at, the lookups of a table, the expression a
 * warning spans (lsp_int.h). */
#include "lsp_int.h"

static const Expr *find_in(const Expr *const *xs, size_t n, LspExprTest test, const void *arg)
{
    const Expr *r = NULL;
    for (size_t i = 0; i < n && r == NULL; i++)
        r = lsp_expr_find(xs[i], test, arg);
    return r;
}

const Expr *lsp_expr_find(const Expr *x, LspExprTest test, const void *arg)
{
    if (x == NULL || x->depth > AST_MAX_DEPTH)
        return NULL;
    if (test(x, arg))
        return x;
    const Expr *kids[3] = { NULL, NULL, NULL };
    switch (x->kind) {
    case EX_LIST: return find_in((const Expr *const *)x->u.list.items, x->u.list.count, test, arg);
    case EX_CALL: return find_in((const Expr *const *)x->u.call.args, x->u.call.count, test, arg);
    case EX_LOOKUP: return lsp_expr_find(x->u.lookup.key, test, arg);
    case EX_UNARY: return lsp_expr_find(x->u.unary.operand, test, arg);
    case EX_BINARY:
        kids[0] = x->u.binary.left;
        kids[1] = x->u.binary.right;
        break;
    case EX_IF:
        kids[0] = x->u.if_e.cond;
        kids[1] = x->u.if_e.then_e;
        kids[2] = x->u.if_e.else_e;
        break;
    case EX_CASE:
        for (size_t i = 0; i < x->u.case_e.count; i++) {
            const Expr *r = lsp_expr_find(x->u.case_e.arms[i].cond, test, arg);
            if (r || (r = lsp_expr_find(x->u.case_e.arms[i].value, test, arg)) != NULL)
                return r;
        }
        return lsp_expr_find(x->u.case_e.else_e, test, arg);
    default: return NULL;
    }
    return find_in(kids, 3, test, arg);
}

static const Expr *in_stmts(Stmt *const *stmts, size_t n, LspExprTest test, const void *arg)
{
    const Expr *r = NULL;
    for (size_t i = 0; i < n && r == NULL; i++) {
        const Stmt *st = stmts[i];
        if (st->kind == ST_BLOCK)
            r = in_stmts(st->u.block.stmts, st->u.block.count, test, arg);
        else if (st->kind == ST_ASSIGN && (r = lsp_expr_find(st->u.assign.value, test, arg)) == NULL)
            r = lsp_expr_find(st->u.assign.when, test, arg);
        else if (st->kind == ST_REJECT)
            r = lsp_expr_find(st->u.reject.when, test, arg);
        else if (st->kind == ST_LET)
            r = lsp_expr_find(st->u.let.value, test, arg);
    }
    return r;
}

const Expr *lsp_item_find(const Item *it, LspExprTest test, const void *arg)
{
    if (it != NULL && it->kind == IT_LET)
        return lsp_expr_find(it->u.let.value, test, arg);
    if (it == NULL || it->kind != IT_ENTITY)
        return NULL;
    const Expr *r = lsp_expr_find(it->u.entity.when, test, arg);
    return r ? r : in_stmts(it->u.entity.stmts, it->u.entity.count, test, arg);
}
