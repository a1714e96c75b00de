/* map_input: reading a .map file (or standard input) for the commands that
 * parse one: check, fmt and those that compile. */
#ifndef MAP_INPUT_H
#define MAP_INPUT_H

#include <stddef.h>

#include "ast.h"
#include "diag.h"

/* Reads path ("-" is standard input) and parses it into an Ast; problems
 * (unreadable file, over AST_MAX_SOURCE bytes, syntax) are reported to sink.
 * Of a file over the limit only the first AST_MAX_SOURCE + 1 bytes are read,
 * and the size error points at the first byte past the limit. The text read
 * is handed to the caller in *text (cm_free it) with its length in *len.
 * Returns NULL, with *text NULL, when the file could not be read. */
Ast *cli_parse_map(DiagSink *sink, const char *path, char **text, size_t *len);

#endif
