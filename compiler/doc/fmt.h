/* fmt: the canonical layout of a .map file, printed from its AST.
 *
 * Layout: two-space indentation, one item or statement per line, single
 * spaces around operators; '=' of consecutive one-line assignments, table
 * arrows and case arms' 'then' aligned; one blank line around
 * tables and entities and wherever the author left one (runs of blank lines
 * shrink to one). Strings are re-escaped canonically; numbers and names are
 * kept as written; parentheses the author wrote are kept, missing ones that
 * the tree needs are added.
 *
 * Every comment is kept. A comment on its own line stays on its own line
 * before the next line of code; a comment after code stays at the end of
 * that line; a comment inside an expression that fmt joins onto one line
 * moves to its own line just above it. The output parses to the same tree
 * and formatting it again changes nothing. */
#ifndef FMT_H
#define FMT_H

#include "ast.h"
#include "cm_buf.h"

/* Appends the canonical text of ast to out. ast must have parsed without
 * errors (a tree with syntax errors is incomplete and would lose text). */
void fmt_ast(const Ast *ast, CmBuf *out);

#endif
