/* map_input: reading a .map file (or standard input) for the commands that
 * parse one: check, fmt and those that compile. */
#ifndef MAP_INPUT_H
#define MAP_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "diag.h"

/* Reads at most max bytes of the .map path names ("-" is standard input)
 * and returns them (cm_free it) with their length in *len. A file must be
 * a regular file inside its folder tree (path_guard.h's path_tree): a link
 * leading elsewhere is refused unread. NULL, with a diagnostic (and a help)
 * in sink, when it is refused or cannot be read. */
char *cli_read_map(DiagSink *sink, const char *path, size_t max, size_t *len);

/* Reads path (cli_read_map) and parses it into an Ast; problems
 * (unreadable file, over AST_MAX_SOURCE bytes, syntax) are reported to sink.
 * Of a file over the limit only the first AST_MAX_SOURCE + 1 bytes are read,
 * and the size error points at the first byte past the limit. The text read
 * is handed to the caller in *text (cm_free it) with its length in *len.
 * Returns NULL, with *text NULL, when the file could not be read. */
Ast *cli_parse_map(DiagSink *sink, const char *path, char **text, size_t *len);

/* Whether the file at path, parsed (and its includes followed) into ast
 * without errors in sink, is an include-only file (ast_include_only): then
 * it has nothing to `verb` (compile, document) and this says so on stderr,
 * with the help to `verb` the mapping that includes it instead. */
bool cli_refuse_include_only(const DiagSink *sink, const Ast *ast, const char *path, const char *verb);

#endif
