/* cmd_compile: `crmmap compile FILE.map [-o FILE.mapc]`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cm_alloc.h"
#include "mapc_cli.h"

extern const Command cmd_compile;

/* Writes through a temporary file and a rename, so a failed write never
 * leaves a half-written .mapc behind. */
static bool write_file(const char *path, const CmBuf *b)
{
    CmBuf tmp = CM_BUF_INIT;
    cm_buf_printf(&tmp, "%s.tmp", path);
    FILE *f = fopen(tmp.data, "wb");
    bool ok = f != NULL && fwrite(b->data, 1, b->len, f) == b->len;
    if (f != NULL && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp.data, path) != 0)
        ok = false;
    if (!ok && f != NULL)
        unlink(tmp.data);
    cm_buf_free(&tmp);
    return ok;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "format", required_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    const char *output = NULL;
    DiagFormat fmt = DIAG_TEXT;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'f':
            if (!cli_parse_format(&cmd_compile, optarg, &fmt))
                return EXIT_USAGE;
            break;
        default:
            return cli_usage_error(&cmd_compile, "unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(&cmd_compile, optind >= argc ? "no .map file given" : "one .map file at a time");
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
    int status = mapc_cli_compile(input, fmt, &bytes);
    if (status == EXIT_OK) {
        /* The writer and the loader must agree: check before writing. */
        char err[300];
        Mapc *m = mapc_load((const uint8_t *)bytes.data, bytes.len, err, sizeof err);
        if (m == NULL) {
            fprintf(stderr, "%s: error: internal: the compiled bytecode does not verify: %s\n", input, err);
            status = EXIT_FATAL;
        } else if (!write_file(output, &bytes)) {
            fprintf(stderr, "%s: error: cannot write the file\n", output);
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
