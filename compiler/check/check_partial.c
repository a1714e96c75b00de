/* check_partial: what partial units (docs/run.md, "Partial units") ask of a
 * mapping — W0212 where the key or a field required on create gets a value
 * that can fail at run time (such a failure is not isolated: the record
 * fails), and W0211 where a table is looked up by an open answer without
 * `else` (each value it has no entry for is an UNKNOWN_OPTION note). */
#include "check_int.h"

#include "builtins.h"

/* Builtins that refuse some inputs (docs/builtins.md says which). */
static bool builtin_can_fail(BuiltinId id)
{
    return id == BI_number || id == BI_date || id == BI_datetime || id == BI_minutes || id == BI_e164;
}

/* The first part of x that can fail at run time on some record; NULL: none. */
static const Expr *fallible(const Expr *x)
{
    if (x == NULL)
        return NULL;
    const Expr *f = NULL;
    switch (x->kind) {
    case EX_CALL:
        if (x->info && ((x->info->builtin != BI__COUNT && builtin_can_fail(x->info->builtin))
                        || x->info->user_key != NULL))
            return x;
        for (size_t i = 0; i < x->u.call.count && !f; i++)
            f = fallible(x->u.call.args[i]);
        return f;
    case EX_BINARY: {
        BinOp op = x->u.binary.op;
        const Expr *l = x->u.binary.left, *r = x->u.binary.right;
        if (op == OP_COALESCE)      /* a failing left side gives the right side */
            return fallible(r);
        bool arith = op == OP_SUB || op == OP_MUL || op == OP_DIV;
        if (arith && ((l->info && l->info->type != CT_NUMBER) || (r->info && r->info->type != CT_NUMBER)))
            return x;
        if (op == OP_DIV && !(r->kind == EX_NUMBER && r->u.number.value != 0))
            return x;
        f = fallible(l);
        return f ? f : fallible(r);
    }
    case EX_UNARY:
        if (x->u.unary.op == OP_NEG && x->u.unary.operand->info && x->u.unary.operand->info->type != CT_NUMBER)
            return x;
        return fallible(x->u.unary.operand);
    case EX_IF:
        f = fallible(x->u.if_e.cond);
        f = f ? f : fallible(x->u.if_e.then_e);
        return f ? f : fallible(x->u.if_e.else_e);
    case EX_CASE:
        for (size_t i = 0; i < x->u.case_e.count && !f; i++) {
            f = fallible(x->u.case_e.arms[i].cond);
            f = f ? f : fallible(x->u.case_e.arms[i].value);
        }
        return f ? f : fallible(x->u.case_e.else_e);
    case EX_LOOKUP:
        return fallible(x->u.lookup.key);
    case EX_PATH:
        /* a let's value fails where it is first used */
        return x->info && x->info->let && fallible(x->info->let->decl->value) ? x : NULL;
    case EX_LIST:
        for (size_t i = 0; i < x->u.list.count && !f; i++)
            f = fallible(x->u.list.items[i]);
        return f;
    default:
        return NULL;
    }
}

void ck_fallible_fields(Checker *ck, const CheckedEntity *ce)
{
    const Item *it = ce->item;
    const Field *key = ce->by ? ce->by : ce->key;
    for (size_t i = 0; i < ce->nassigns; i++) {
        const Field *f = ce->assigns[i].field;
        bool needed = f == key || (f->required && it->u.entity.mode != MODE_UPDATE);
        const Expr *bad = needed ? fallible(ce->assigns[i].stmt->u.assign.value) : NULL;
        if (bad == NULL)
            continue;
        Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0212", bad->span,
                              "%s.%s is %s: where this fails at run time the record fails, it is not sent "
                              "without the field", it->u.entity.name.name, f->name,
                              f == key ? "the entity's key" : "required on create");
        diag_help(d, "say what to send where it fails with `?? VALUE`, refuse such records first with "
                     "`reject \"...\" when ...`, or give the field a value that cannot fail (docs/language.md, "
                     "\"A value that cannot be made\")");
    }
}

void ck_open_lookup(Checker *ck, const Item *t, const Expr *lookup)
{
    if (t->u.table.else_value != NULL)
        return;
    const Expr *key = lookup->u.lookup.key;
    if (key->kind == EX_STRING || key->kind == EX_NUMBER || key->kind == EX_BOOL || key->kind == EX_NULL)
        return;
    Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0211", lookup->u.lookup.table.span,
                          "table %s has no `else` and is looked up by an open answer: each value it has no "
                          "entry for is sent without this field and noted as UNKNOWN_OPTION",
                          t->u.table.name.name);
    diag_help(d, "end the table with `else -> VALUE` (%s); `else -> null` leaves such fields out "
                 "without a note", ck_line_of(ck, t->span));
}
