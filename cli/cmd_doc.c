/* cmd_doc: `crmmap doc FILE.map -o FILE.html`, the mapping as a page for
 * business users (compiler/doc_html.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "cm_alloc.h"
#include "doc_html.h"
#include "map_input.h"

extern const Command cmd_doc;

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

static int run(int argc, char **argv)
{
    const char *output = NULL;
    DiagFormat fmt = DIAG_TEXT;
    int status = cli_output_options(&cmd_doc, argc, argv, &output, &fmt);
    if (status != EXIT_OK)
        return status;
    if (output == NULL)
        return cli_usage_error(&cmd_doc, "no output file given (-o FILE.html)");

    const char *path = argv[optind];
    DiagSink *sink = diag_sink_new();
    size_t len;
    char *text;
    status = EXIT_CHECK;
    Ast *ast = cli_parse_map(sink, path, &text, &len);
    if (ast != NULL && diag_count(sink, DIAG_ERROR) == 0) {
        Checked *checked = check_mapping(sink, ast, path);
        if (diag_count(sink, DIAG_ERROR) == 0) {
            CmBuf page = CM_BUF_INIT;
            doc_html(checked, base_name(path), &page);
            const char *werr;
            /* atomically: a reader of the page never sees half of it */
            if (cli_write_atomic(output, page.data, page.len, 0, true, &werr)) {
                status = EXIT_OK;
            } else {
                fprintf(stderr, "crmmap doc: cannot write %s: %s\n", output, werr);
                status = EXIT_FATAL;
            }
            cm_buf_free(&page);
        }
        check_free(checked);
    }
    if (ast != NULL)
        ast_free(ast);
    cm_free(text);
    cli_render_diags(sink, fmt);
    diag_sink_free(sink);
    return status;
}

const Command cmd_doc = {
    "doc", "the mapping as one HTML page for business users",
    "Usage: crmmap doc [--format text|json|sarif|github] FILE.map -o FILE.html\n"
    "\n"
    "Checks the mapping and writes one self-contained HTML page (inline CSS, no\n"
    "scripts, no external assets): per entity every CRM field with its label,\n"
    "type and picklist values, whether it is required, what fills it and under\n"
    "which rule; value tables; reject and assignment rules in plain words; the\n"
    "fields left unmapped, required ones highlighted. Refuses a mapping with\n"
    "check errors. The page is written atomically (a temporary file, renamed).\n"
    "Exit status: 0 written, 1 check errors, 2 usage, 4 cannot write.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE  the page to write (required)\n"
    "  --format F         diagnostics as text (default), json, sarif or github\n",
    run,
};
