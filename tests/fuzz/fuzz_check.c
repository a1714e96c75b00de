/* fuzz_check: the checker, on mappings against fixed schemas. The input is
 * a .map checked as if it lay in tests/check/cases/, so its
 * "../schemas/..." paths reach the committed Salesforce, HubSpot, Dynamics
 * and snapADDY definitions (the seeds are the golden check cases). A mapping
 * that checks clean is compiled, and the verifier must accept what codegen
 * wrote: the compiler never emits bytecode the runtime refuses. */
#include <stdio.h>
#include <stdlib.h>

#include "ast.h"
#include "check.h"
#include "codegen.h"
#include "diag.h"
#include "fuzz.h"
#include "mapc.h"

#ifndef FUZZ_CHECK_DIR
#error "FUZZ_CHECK_DIR: the folder the fuzzed mapping is checked in"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink_file;
    if (sink_file == NULL)
        sink_file = fopen("/dev/null", "w");
    const char *map_path = FUZZ_CHECK_DIR "/fuzz.map";
    DiagSink *sink = diag_sink_new();
    Ast *ast = ast_parse(sink, map_path, (const char *)data, size);
    if (ast != NULL && diag_count(sink, DIAG_ERROR) == 0) {
        Checked *c = check_mapping(sink, ast, map_path);
        if (diag_count(sink, DIAG_ERROR) == 0) {
            CmBuf out = CM_BUF_INIT;
            char err[300];
            Span where;
            /* codegen may refuse (a bytecode limit) with a message; what it writes must load */
            if (codegen(c, map_path, &out, err, sizeof err, &where)) {
                Mapc *m = mapc_load((const uint8_t *)out.data, out.len, err, sizeof err);
                if (m == NULL) {
                    fprintf(stderr, "fuzz_check: the verifier refuses codegen's output: %s\n", err);
                    abort();
                }
                mapc_free(m);
            }
            cm_buf_free(&out);
        }
        check_free(c);
    }
    if (sink_file)
        diag_render(sink, sink_file, DIAG_TEXT, false);
    ast_free(ast);
    diag_sink_free(sink);
    return 0;
}
