/* doc_expr: expressions as one line of readable text (see doc_expr.h). */
#include "doc_expr.h"

#include "check.h"
#include "expr_prec.h"

typedef struct Printer {
    CmBuf *out;
    bool words;
} Printer;

static void expr(Printer *p, const Expr *e);

/* Brackets an operand the tree needs bracketed, and one the author did. */
static void operand(Printer *p, const Expr *e, int min)
{
    bool parens = e->parens || expr_prec(e) < min || e->kind == EX_IF;
    if (parens)
        cm_buf_putc(p->out, '(');
    expr(p, e);
    if (parens)
        cm_buf_putc(p->out, ')');
}

static void list(Printer *p, Expr **items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            cm_buf_puts(p->out, ", ");
        expr(p, items[i]);
    }
}

static bool is_null(const Expr *e)
{
    return e->kind == EX_NULL;
}

static const char *word_op(BinOp op)
{
    switch (op) {
    case OP_EQ: return "is";
    case OP_NE: return "is not";
    case OP_IN: return "is one of";
    case OP_LT: return "is less than";
    case OP_LE: return "is at most";
    case OP_GT: return "is more than";
    case OP_GE: return "is at least";
    case OP_COALESCE: return "or, if that is empty,";
    default: return ast_binop_text(op);
    }
}

static void binary(Printer *p, const Expr *e)
{
    BinOp op = e->u.binary.op;
    int pr = binop_prec(op);
    if (p->words && (op == OP_EQ || op == OP_NE) && is_null(e->u.binary.right)) {
        operand(p, e->u.binary.left, pr + 1);
        cm_buf_puts(p->out, op == OP_EQ ? " is empty" : " is given");
        return;
    }
    operand(p, e->u.binary.left, pr);
    cm_buf_printf(p->out, " %s ", p->words ? word_op(op) : ast_binop_text(op));
    operand(p, e->u.binary.right, pr + 1);
}

static void case_expr(Printer *p, const Expr *e)
{
    cm_buf_puts(p->out, p->words ? "" : "case { ");
    for (size_t i = 0; i < e->u.case_e.count; i++) {
        const CaseArm *a = &e->u.case_e.arms[i];
        if (p->words && i)
            cm_buf_puts(p->out, "; ");
        cm_buf_puts(p->out, "when ");
        expr(p, a->cond);
        cm_buf_puts(p->out, p->words ? ": " : " then ");
        expr(p, a->value);
        if (!p->words)
            cm_buf_putc(p->out, ' ');
    }
    if (e->u.case_e.else_e != NULL) {
        cm_buf_puts(p->out, p->words ? "; otherwise " : "else ");
        expr(p, e->u.case_e.else_e);
        if (!p->words)
            cm_buf_putc(p->out, ' ');
    }
    if (!p->words)
        cm_buf_putc(p->out, '}');
}

static void path(Printer *p, const Expr *e)
{
    for (size_t i = 0; i < e->u.path.count; i++) {
        if (i)
            cm_buf_putc(p->out, '.');
        cm_buf_puts(p->out, e->u.path.segments[i].name);
    }
}

const char *doc_user_text(const Expr *e, CmBuf *scratch)
{
    if (e->kind != EX_CALL || e->info == NULL || e->info->user == NULL)
        return NULL;
    const User *u = e->info->user;
    cm_buf_clear(scratch);
    if (u->name != NULL && u->email != NULL)
        cm_buf_printf(scratch, "%s <%s>", u->name, u->email);
    else
        cm_buf_puts(scratch, u->email != NULL ? u->email : u->id);
    return scratch->data;
}

static void expr(Printer *p, const Expr *e)
{
    switch (e->kind) {
    case EX_NULL:
        cm_buf_puts(p->out, p->words ? "empty" : "null");
        break;
    case EX_BOOL:
        cm_buf_puts(p->out, e->u.boolean ? "true" : "false");
        break;
    case EX_NUMBER:
        cm_buf_puts(p->out, e->u.number.text);
        break;
    case EX_STRING:
        cm_buf_put_json_string(p->out, e->u.string.value, e->u.string.len);
        break;
    case EX_LIST:
        cm_buf_putc(p->out, '[');
        list(p, e->u.list.items, e->u.list.count);
        cm_buf_putc(p->out, ']');
        break;
    case EX_PATH:
        path(p, e);
        break;
    case EX_CALL: {
        CmBuf scratch = CM_BUF_INIT;
        const char *user = p->words ? doc_user_text(e, &scratch) : NULL;
        if (user != NULL) {
            cm_buf_puts(p->out, user);
        } else if (e->u.call.index) {
            expr(p, e->u.call.args[0]);
            cm_buf_putc(p->out, '[');
            expr(p, e->u.call.args[1]);
            cm_buf_putc(p->out, ']');
        } else {
            cm_buf_printf(p->out, "%s(", e->u.call.name.name);
            list(p, e->u.call.args, e->u.call.count);
            cm_buf_putc(p->out, ')');
        }
        cm_buf_free(&scratch);
        break;
    }
    case EX_LOOKUP:
        cm_buf_printf(p->out, "%s[", e->u.lookup.table.name);
        expr(p, e->u.lookup.key);
        cm_buf_putc(p->out, ']');
        break;
    case EX_REF:
        if (p->words)
            cm_buf_printf(p->out, "the %s record of this lead", e->u.ref.entity.name);
        else
            cm_buf_printf(p->out, "ref %s", e->u.ref.entity.name);
        break;
    case EX_CLEAR:
        cm_buf_puts(p->out, p->words ? "cleared (emptied)" : "clear");
        break;
    case EX_UNARY:
        cm_buf_puts(p->out, e->u.unary.op == OP_NOT ? "not " : "-");
        if (e->u.unary.op == OP_NEG && neg_needs_space(e->u.unary.operand))
            cm_buf_putc(p->out, ' ');
        operand(p, e->u.unary.operand, expr_prec(e));
        break;
    case EX_BINARY:
        binary(p, e);
        break;
    case EX_IF:
        cm_buf_puts(p->out, "if ");
        expr(p, e->u.if_e.cond);
        cm_buf_puts(p->out, p->words ? ": " : " then ");
        expr(p, e->u.if_e.then_e);
        cm_buf_puts(p->out, p->words ? "; otherwise " : " else ");
        expr(p, e->u.if_e.else_e);
        break;
    case EX_CASE:
        case_expr(p, e);
        break;
    }
}

void doc_expr(CmBuf *out, const Expr *e, bool words)
{
    Printer p = { out, words };
    expr(&p, e);
}
