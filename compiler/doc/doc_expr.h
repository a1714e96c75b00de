/* doc_expr: an expression as one line of text for the mapping's page
 * (doc_html). Code form reads like the .map source on one line; word form,
 * for conditions and assignment rules, says "is", "is empty", "is one of"
 * and names users instead of quoting the call. Plain text: the caller
 * escapes it for HTML. */
#ifndef DOC_EXPR_H
#define DOC_EXPR_H

#include <stdbool.h>

#include "ast.h"
#include "cm_buf.h"

void doc_expr(CmBuf *out, const Expr *e, bool words);

/* A checked user("...") call's user as "Name <email>", or NULL when e is
 * not one. */
const char *doc_user_text(const Expr *e, CmBuf *scratch);

#endif
