/* lsp_context: where in a mapping the cursor is, read from the text alone
 * (it rarely parses while being typed): the enclosing entity or table, the
 * word or string literal under the cursor and what comes before it. */
#ifndef LSP_CONTEXT_H
#define LSP_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum LspBlock { LB_TOP, LB_ENTITY, LB_TABLE } LspBlock;

typedef struct LspContext {
    LspBlock block;
    char name[256];         /* the entity's or table's name */
    bool in_comment;
    bool in_string;
    size_t start;           /* the word's first byte, or the string's after its quote */
    size_t end;             /* the word's or string's end (cursor or beyond) */
    bool line_start;        /* nothing but blanks before the word or string on its line */
    char before[16];        /* the token before: "=", "==", "!=", "(", "ref", "->", "" */
    char lhs[256];          /* before "=", "==", "!=": the name or path before it;
                               before "(": the function's name */
} LspContext;

/* The context of byte offset off in text. */
void lsp_context(const char *text, size_t len, size_t off, LspContext *cx);

/* Whether c can be part of a name or a dotted source path. */
bool lsp_name_char(char c);

#endif
