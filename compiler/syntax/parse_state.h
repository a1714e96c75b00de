/* parse_state: what the scanner and the parser share while one file is read.
 * Private to grammar/ and compiler/ast_build.c. */
#ifndef PARSE_STATE_H
#define PARSE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"

/* Byte-offset locations: line and column are derived only when printing. */
typedef struct Loc {
    uint32_t start, end;
} Loc;

typedef struct ParseState {
    Ast *ast;
    DiagSink *sink;
    const DiagSource *src;
    uint32_t offset;        /* scanner position, in bytes */
    int brackets;           /* open ( [ { in the source */
    char open[AST_MAX_DEPTH];   /* their kinds, innermost last */
    int open_errors[AST_MAX_DEPTH]; /* E0001 reported when each was opened */
    bool closed_stale;      /* the last closing bracket matched one opened before the latest error */
    int errors;             /* E0001 reported so far */
    bool stop;              /* a fatal condition was reported: no further syntax errors */
    bool depth_reported;
    CmBuf strbuf;           /* scratch for decoding string literals */
    size_t comments_cap;
} ParseState;

Span ps_span(const ParseState *st, Loc loc);
Diag *ps_error(ParseState *st, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
