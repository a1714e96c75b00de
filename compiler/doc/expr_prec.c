/* expr_prec: expression binding strength (see expr_prec.h). */
#include "expr_prec.h"

int binop_prec(BinOp op)
{
    switch (op) {
    case OP_COALESCE: return PREC_COALESCE;
    case OP_OR: return PREC_OR;
    case OP_AND: return PREC_AND;
    case OP_ADD: case OP_SUB: return PREC_ADD;
    case OP_MUL: case OP_DIV: return PREC_MUL;
    default: return PREC_CMP;
    }
}

int expr_prec(const Expr *e)
{
    switch (e->kind) {
    case EX_IF: return PREC_IF;
    case EX_BINARY: return binop_prec(e->u.binary.op);
    case EX_UNARY: return e->u.unary.op == OP_NOT ? PREC_NOT : PREC_NEG;
    case EX_NUMBER: return e->u.number.text[0] == '-' ? PREC_NEG : PREC_PRIMARY;
    default: return PREC_PRIMARY;
    }
}

bool neg_needs_space(const Expr *operand)
{
    return !operand->parens && (operand->kind == EX_NUMBER || expr_prec(operand) == PREC_NEG);
}
