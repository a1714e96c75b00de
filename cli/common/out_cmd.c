/* out_cmd: see out_cmd.h. */
#include "out_cmd.h"

#include <stdio.h>
#include <string.h>

#include "cli_opts.h"
#include "mapc_cli.h"

static int read_options(const Command *cmd, int argc, char **argv, const char **output, DiagFormat *fmt)
{
    const CliOpt opts[] = {
        { "output", 'o', CLI_TEXT, output },
        { "format", 0, CLI_FORMAT, fmt },
        CLI_OPTS_END,
    };
    int status = cli_options(cmd, argc, argv, opts, 0);
    if (status != EXIT_OK)
        return status;
    if (optind >= argc)
        return cli_usage_error(cmd, "no .map file given");
    if (optind + 1 < argc)
        return cli_usage_error(cmd, "one .map file at a time");
    return EXIT_OK;
}

int out_cmd_run(const Command *cmd, const OutCmd *out, int argc, char **argv)
{
    const char *output = NULL;
    DiagFormat fmt = DIAG_TEXT;
    int status = read_options(cmd, argc, argv, &output, &fmt);
    if (status != EXIT_OK)
        return status;
    if (output == NULL && out->needs_output)
        return cli_usage_error(cmd, "no output file given (-o FILE%s)", out->ext);
    const char *input = argv[optind];
    CmBuf path = CM_BUF_INIT, content = CM_BUF_INIT;
    if (output == NULL) {
        cm_buf_put(&path, input, strlen(input) - (mapc_cli_is_source(input) ? 4 : 0));
        cm_buf_puts(&path, out->ext);
        output = path.data;
    }
    status = out->make(input, fmt, &content);
    const char *err;
    /* Through a rename: a reader of the file sees the old one or the new, never half of it. */
    if (status == EXIT_OK && !cli_write_atomic(output, content.data, content.len, 0, true, &err)) {
        fprintf(stderr, "%s: error: cannot write the file: %s\n", output, err);
        status = EXIT_FATAL;
    }
    cm_buf_free(&content);
    cm_buf_free(&path);
    return status;
}
