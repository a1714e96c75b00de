/* ast_include: `include "FILE"` (docs/language.md). Reads the files a
 * mapping includes and splices their declarations into the including tree
 * right after each include, so that the checker, the code generator and
 * `doc` see one mapping and check the included part in its context.
 *
 * Paths are relative to the including file's folder and must stay inside
 * the mapping's folder tree (path_guard.h), as schema paths do. A cycle is
 * an error naming the chain; a file reached a second time (twice, or by two
 * paths: a diamond) is read once, where it is first included. An included
 * file may declare anything but what a mapping declares once: mapping,
 * source, target and users (E0125). Its diagnostics point into it, and name
 * the include lines that led there (diag_source_set_parent). */
#ifndef AST_INCLUDE_H
#define AST_INCLUDE_H

#include "ast.h"

/* Deepest chain of includes followed (a file including one including ...). */
#define AST_INCLUDE_DEPTH 16

/* Follows the includes of ast, parsed from path ("-": standard input, whose
 * includes are relative to the working folder). Problems are E0123/E0125
 * (and the included files' syntax errors) in sink. */
void ast_include(DiagSink *sink, Ast *ast, const char *path);

/* Takes the included declarations out of ast's items again, leaving the
 * file's own (the included trees stay owned by ast, so a Checked made of
 * the whole keeps its pointers): for the language server, whose features
 * point into the one document's text. */
void ast_include_own(Ast *ast);

/* Whether ast is an include-only file: it declares something, but none of
 * the header words an included file may not (mapping, source, target,
 * users). Such a file is no mapping on its own; its declarations are checked
 * in each mapping that includes it, so `check` reads only its syntax and its
 * includes, `compile` refuses it and the language server checks it no more
 * than that (docs/language.md, "Include"). */
bool ast_include_only(const Ast *ast);

#endif
