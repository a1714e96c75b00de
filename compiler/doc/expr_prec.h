/* expr_prec: how tightly each expression binds, the one table both
 * printers of source text (fmt, doc_expr) bracket by, and the one rule for
 * printing a negation. */
#ifndef EXPR_PREC_H
#define EXPR_PREC_H

#include <stdbool.h>

#include "ast.h"

/* Binding strength, loosest first (docs/language.md). */
enum {
    PREC_IF, PREC_COALESCE, PREC_OR, PREC_AND, PREC_NOT, PREC_CMP,
    PREC_ADD, PREC_MUL, PREC_NEG, PREC_PRIMARY
};

int binop_prec(BinOp op);

/* A negative number literal binds as the negation it prints as. */
int expr_prec(const Expr *e);

/* True when a negation's operand, printed bare after '-', must be kept
 * apart by a space: "-1" would read back as a number, "--" as two minuses
 * a reader takes for a decrement. */
bool neg_needs_space(const Expr *operand);

#endif
