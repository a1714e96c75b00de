/* fuzz_parse: scanner, parser, AST dump and diagnostics rendering on
 * arbitrary bytes. Whatever the input, parsing must end with a tree (maybe
 * empty) and diagnostics that render in every format. */
#include <stdio.h>

#include "ast.h"
#include "diag.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink_file;
    if (sink_file == NULL)
        sink_file = fopen("/dev/null", "w");
    DiagSink *sink = diag_sink_new();
    Ast *ast = ast_parse(sink, "fuzz.map", (const char *)data, size);
    CmBuf dump = CM_BUF_INIT;
    ast_dump(ast, &dump, true);
    cm_buf_free(&dump);
    if (sink_file) {
        static const DiagFormat formats[] = { DIAG_TEXT, DIAG_JSON, DIAG_SARIF, DIAG_GITHUB };
        for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
            diag_render(sink, sink_file, formats[i], i == 0);
    }
    ast_free(ast);
    diag_sink_free(sink);
    return 0;
}
