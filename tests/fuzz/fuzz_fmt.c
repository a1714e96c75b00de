/* fuzz_fmt: fmt's promises on every input that parses: its output parses
 * without errors to the same tree, and formatting that output again changes
 * nothing. A broken promise aborts, which the fuzzer reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "diag.h"
#include "fmt.h"
#include "fuzz.h"

static void broken(const char *promise, const CmBuf *text)
{
    fprintf(stderr, "fuzz_fmt: %s; fmt printed:\n%.*s\n", promise, (int)text->len, text->data ? text->data : "");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    DiagSink *sink = diag_sink_new();
    Ast *ast = ast_parse(sink, "in.map", (const char *)data, size);
    if (diag_count(sink, DIAG_ERROR) == 0) {
        CmBuf once = CM_BUF_INIT, twice = CM_BUF_INIT, tree = CM_BUF_INIT, tree2 = CM_BUF_INIT;
        fmt_ast(ast, &once);
        Ast *again = ast_parse(sink, "out.map", once.data ? once.data : "", once.len);
        if (diag_count(sink, DIAG_ERROR) != 0)
            broken("the output does not parse", &once);
        ast_dump(ast, &tree, false);
        ast_dump(again, &tree2, false);
        if (tree.len != tree2.len || memcmp(tree.data, tree2.data, tree.len) != 0)
            broken("the output means something else", &once);
        fmt_ast(again, &twice);
        if (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0)
            broken("formatting the output again changes it", &once);
        if (again->ncomments != ast->ncomments)
            broken("comments were lost or added", &once);
        ast_free(again);
        cm_buf_free(&once);
        cm_buf_free(&twice);
        cm_buf_free(&tree);
        cm_buf_free(&tree2);
    }
    ast_free(ast);
    diag_sink_free(sink);
    return 0;
}
