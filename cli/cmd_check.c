/* cmd_check: `crmmap check FILE.map...`, the CI entry point. */
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "ast_include.h"
#include "check.h"
#include "cli_opts.h"
#include "cm_alloc.h"
#include "map_input.h"

extern const Command cmd_check;

static int run(int argc, char **argv)
{
    DiagFormat fmt = DIAG_TEXT;
    bool dump = false, spans = false;
    const CliOpt opts[] = {
        { "format", 0, CLI_FORMAT, &fmt },
        { "dump-ast", 0, CLI_FLAG, &dump },
        { "spans", 0, CLI_FLAG, &spans },
        CLI_OPTS_END,
    };
    int status = cli_options(&cmd_check, argc, argv, opts, CLI_IN_ORDER);
    if (status != EXIT_OK)
        return status;
    if (optind >= argc)
        return cli_usage_error(&cmd_check, "no .map file given");

    DiagSink *sink = diag_sink_new();
    bool *include_only = cm_calloc((size_t)argc, sizeof *include_only);
    for (int i = optind; i < argc; i++) {
        size_t len;
        char *text;
        size_t errors = diag_count(sink, DIAG_ERROR);
        Ast *ast = cli_parse_map(sink, argv[i], &text, &len);
        if (ast == NULL)
            continue;
        /* Checking a tree with syntax errors would report their echoes;
         * --dump-ast is the parser's view of the one file alone. */
        if (!dump)
            ast_include(sink, ast, argv[i]);
        /* An include-only file is no mapping: checked alone, every use of a
         * source field and the missing target would be errors. Its
         * declarations are checked in each mapping that includes it. */
        include_only[i] = !dump && diag_count(sink, DIAG_ERROR) == errors && ast_include_only(ast);
        if (!dump && diag_count(sink, DIAG_ERROR) == errors && !include_only[i])
            check_free(check_mapping(sink, ast, argv[i]));
        if (dump) {
            CmBuf out = CM_BUF_INIT;
            ast_dump(ast, &out, spans);
            fwrite(out.data ? out.data : "", 1, out.len, stdout);
            cm_buf_free(&out);
        }
        ast_free(ast);
        cm_free(text);
    }
    cli_render_diags(sink, fmt);
    /* Only beside the text diagnostics: the other formats are for machines,
     * and the file simply has none. */
    for (int i = optind; i < argc && fmt == DIAG_TEXT; i++)
        if (include_only[i])
            fprintf(stderr, "%s: note: include-only file (no mapping, source or target): its syntax and includes "
                            "are fine; its declarations are checked in each mapping that includes it\n", argv[i]);
    cm_free(include_only);
    status = diag_count(sink, DIAG_ERROR) ? EXIT_CHECK : EXIT_OK;
    diag_sink_free(sink);
    return status;
}

const Command cmd_check = {
    "check", "parse and type-check mappings (the CI entry point)",
    "Usage: crmmap check [--format text|json|sarif|github] FILE.map...\n"
    "\n"
    "Parses and checks each mapping against the field definitions it names.\n"
    "An include-only file (no mapping, source or target) is read for its syntax\n"
    "and its includes only, with a note: its declarations are checked in each\n"
    "mapping that includes it.\n"
    "Diagnostics go to stderr as text, or to stdout in the chosen --format.\n"
    "Exit status: 0 no errors (warnings allowed), 1 errors, 2 usage.\n"
    "\n"
    "Options:\n"
    "  --format F   text (default), json, sarif or github\n"
    "  --dump-ast   print the syntax tree and skip the type check (for golden tests)\n"
    "  --spans      with --dump-ast, show each node's line:col span\n",
    run,
};
