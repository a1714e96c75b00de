/* cmd_compile: `crmmap compile FILE.map [-o FILE.mapc]`. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cm_alloc.h"
#include "mapc_cli.h"

extern const Command cmd_compile;

static int run(int argc, char **argv)
{
    const char *output = NULL;
    DiagFormat fmt = DIAG_TEXT;
    int status = cli_output_options(&cmd_compile, argc, argv, &output, &fmt);
    if (status != EXIT_OK)
        return status;
    const char *input = argv[optind];
    CmBuf out_path = CM_BUF_INIT;
    if (output == NULL) {
        size_t n = strlen(input);
        if (mapc_cli_is_source(input))
            n -= 4;
        cm_buf_put(&out_path, input, n);
        cm_buf_puts(&out_path, ".mapc");
        output = out_path.data;
    }
    CmBuf bytes = CM_BUF_INIT;
    status = mapc_cli_compile(input, fmt, &bytes);
    if (status == EXIT_OK) {
        /* The writer and the loader must agree: check before writing. */
        char err[300];
        const char *werr;
        Mapc *m = mapc_load((const uint8_t *)bytes.data, bytes.len, err, sizeof err);
        if (m == NULL) {
            fprintf(stderr, "%s: error: internal: the compiled bytecode does not verify: %s\n", input, err);
            status = EXIT_FATAL;
        } else if (!cli_write_atomic(output, bytes.data, bytes.len, 0, true, &werr)) {
            /* never a half-written .mapc: a loader must see the old one or the new */
            fprintf(stderr, "%s: error: cannot write the file: %s\n", output, werr);
            status = EXIT_FATAL;
        }
        mapc_free(m);
    }
    cm_buf_free(&bytes);
    cm_buf_free(&out_path);
    return status;
}

const Command cmd_compile = {
    "compile", "compile a mapping to verified bytecode (.mapc)",
    "Usage: crmmap compile [-o FILE.mapc] [--format text|json|sarif|github] FILE.map\n"
    "\n"
    "Checks the mapping like `crmmap check` and, when it has no errors, writes\n"
    "its bytecode (docs/bytecode.md). The same mapping, schemas and users file\n"
    "always give the same bytes. Nothing is written when there are errors.\n"
    "Exit status: 0 written, 1 check errors, 2 usage, 4 the file cannot be written.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   where to write (default: FILE.map with .mapc instead)\n"
    "  --format F          diagnostics as text (default), json, sarif or github\n",
    run,
};
