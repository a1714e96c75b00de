/* cmd_doc: `crmmap doc FILE.map -o FILE.html`, the mapping as a page for
 * business users (compiler/doc_html.h). */
#include <string.h>

#include "ast_include.h"
#include "check.h"
#include "cli.h"
#include "cm_alloc.h"
#include "doc_html.h"
#include "map_input.h"
#include "out_cmd.h"

extern const Command cmd_doc;

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* The page of the mapping at path, which must check without errors. */
static int page(const char *path, DiagFormat fmt, CmBuf *out)
{
    DiagSink *sink = diag_sink_new();
    size_t len;
    char *text;
    int status = EXIT_CHECK;
    Ast *ast = cli_parse_map(sink, path, &text, &len);
    if (ast != NULL)
        ast_include(sink, ast, path);
    if (ast != NULL && !cli_refuse_include_only(sink, ast, path, "document") && diag_count(sink, DIAG_ERROR) == 0) {
        Checked *checked = check_mapping(sink, ast, path);
        if (diag_count(sink, DIAG_ERROR) == 0) {
            doc_html(checked, base_name(path), out);
            status = EXIT_OK;
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

static const OutCmd doc_out = { ".html", true, page };

static int run(int argc, char **argv)
{
    return out_cmd_run(&cmd_doc, &doc_out, argc, argv);
}

const Command cmd_doc = {
    "doc", "the mapping as one HTML page for business users",
    "Usage: crmmap doc [--format text|json|sarif|github] FILE.map -o FILE.html\n"
    "\n"
    "Checks the mapping and writes one self-contained HTML page (inline CSS, no\n"
    "scripts, no external assets): per entity every CRM field with its label,\n"
    "type and picklist values, whether it is required, what fills it and under\n"
    "which rule, each lead field it reads with its question text or label; value\n"
    "tables with option labels; reject and assignment rules in plain words; the\n"
    "fields left unmapped, required ones highlighted; a picture (inline SVG) of\n"
    "the flow from the lead data through the entities to the CRM objects\n"
    "(docs/doc.md). Refuses a mapping with check errors. The page is written\n"
    "atomically (a temporary file, renamed).\n"
    "Exit status: 0 written, 1 check errors, 2 usage, 4 cannot write.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE  the page to write (required)\n"
    "  --format F         diagnostics as text (default), json, sarif or github\n",
    run,
};
