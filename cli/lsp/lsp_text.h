/* lsp_text: an open document's text as the protocol addresses it — lines
 * and UTF-16 columns — against the byte offsets of the compiler's spans;
 * file URIs to paths and back; the text edits of didChange. */
#ifndef LSP_TEXT_H
#define LSP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm_buf.h"

typedef struct LspLines {
    const char *text;
    size_t len;
    uint32_t *starts;   /* byte offset of each line's first byte */
    size_t n;
} LspLines;

void lsp_lines_init(LspLines *l, const char *text, size_t len);
void lsp_lines_free(LspLines *l);
/* The byte offset of (line, UTF-16 column), clamped to the line and text. */
size_t lsp_lines_offset(const LspLines *l, uint32_t line, uint32_t col);
/* The (line, UTF-16 column) of byte offset off (clamped to the text). */
void lsp_lines_position(const LspLines *l, size_t off, uint32_t *line, uint32_t *col);

/* The path of a file: URI, percent-decoded (cm_free it); NULL when uri is
 * not a file URI of an absolute path, or decodes to a NUL byte. */
char *lsp_uri_path(const char *uri);
/* Appends the file: URI of absolute path. */
void lsp_path_uri(CmBuf *out, const char *path);

/* Replaces text[start, end) of t by rep (n bytes); false when the range is
 * not inside the text or start > end. */
bool lsp_text_replace(CmBuf *t, size_t start, size_t end, const char *rep, size_t n);

#endif
