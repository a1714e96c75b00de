/* cmd_compile: `crmmap compile FILE.map [-o FILE.mapc]`. */
#include <stdio.h>

#include "cli.h"
#include "mapc_cli.h"
#include "out_cmd.h"

extern const Command cmd_compile;

/* The writer and the loader must agree: the bytes are verified before they are written. */
static int compile(const char *input, DiagFormat fmt, CmBuf *out)
{
    int status = mapc_cli_compile(input, fmt, out);
    if (status != EXIT_OK)
        return status;
    char err[300];
    Mapc *m = mapc_load((const uint8_t *)out->data, out->len, err, sizeof err);
    if (m == NULL) {
        fprintf(stderr, "%s: error: internal: the compiled bytecode does not verify: %s\n", input, err);
        return EXIT_FATAL;
    }
    mapc_free(m);
    return EXIT_OK;
}

static const OutCmd compile_out = { ".mapc", false, compile };

static int run(int argc, char **argv)
{
    return out_cmd_run(&cmd_compile, &compile_out, argc, argv);
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
