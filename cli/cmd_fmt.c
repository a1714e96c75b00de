/* cmd_fmt: `crmmap fmt [--check | -w] FILE.map...`, the canonical layout.
 * Every file is parsed before anything is printed or written: one file with
 * a syntax error means diagnostics, exit 1 and no output at all. */
/* realpath is XSI. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ast.h"
#include "cli_opts.h"
#include "cm_alloc.h"
#include "fmt.h"
#include "map_input.h"

extern const Command cmd_fmt;

typedef struct Formatted {
    const char *path;
    char *text;         /* as read */
    size_t len;
    CmBuf out;          /* canonical form */
} Formatted;

static bool changed(const Formatted *f)
{
    return f->out.len != f->len || memcmp(f->out.data ? f->out.data : "", f->text, f->len) != 0;
}

/* Replaces path's content through a temporary file in the same folder and a
 * rename, so a crash leaves the old file or the new one, never half of it.
 * A symbolic link is followed: its target is rewritten, the link stays. */
static bool write_atomically(const char *path, const CmBuf *data, const char **err)
{
    char *real = realpath(path, NULL);
    struct stat sb;
    if (real == NULL || stat(real, &sb) != 0) {
        *err = strerror(errno);
        free(real);
        return false;
    }
    bool ok = cli_write_atomic(real, data->data, data->len, (unsigned)sb.st_mode, false, err);
    free(real);
    return ok;
}

/* Reads and formats every file; false when any could not be read or parsed. */
static bool format_all(DiagSink *sink, Formatted *files, int n)
{
    for (int i = 0; i < n; i++) {
        Formatted *f = &files[i];
        size_t errors = diag_count(sink, DIAG_ERROR);
        Ast *ast = cli_parse_map(sink, f->path, &f->text, &f->len);
        if (ast == NULL)
            continue;
        if (diag_count(sink, DIAG_ERROR) == errors)
            fmt_ast(ast, &f->out);
        ast_free(ast);
    }
    return diag_count(sink, DIAG_ERROR) == 0;
}

static int run(int argc, char **argv)
{
    DiagFormat dfmt = DIAG_TEXT;
    bool check = false, write = false;
    const CliOpt opts[] = {
        { "check", 0, CLI_FLAG, &check },
        { "write", 'w', CLI_FLAG, &write },
        { "format", 0, CLI_FORMAT, &dfmt },
        CLI_OPTS_END,
    };
    int status = cli_options(&cmd_fmt, argc, argv, opts, CLI_IN_ORDER);
    if (status != EXIT_OK)
        return status;
    if (optind >= argc)
        return cli_usage_error(&cmd_fmt, "no .map file given");
    if (check && write)
        return cli_usage_error(&cmd_fmt, "--check and -w exclude each other");
    for (int i = optind; write && i < argc; i++)
        if (strcmp(argv[i], "-") == 0)
            return cli_usage_error(&cmd_fmt, "-w cannot write to standard input");

    int n = argc - optind;
    Formatted *files = cm_calloc((size_t)n, sizeof *files);
    for (int i = 0; i < n; i++)
        files[i].path = argv[optind + i];
    DiagSink *sink = diag_sink_new();
    if (!format_all(sink, files, n)) {
        status = EXIT_CHECK;
    } else {
        for (int i = 0; i < n; i++) {
            Formatted *f = &files[i];
            const char *err = NULL;
            if (check) {
                if (changed(f)) {
                    printf("%s\n", f->path);
                    status = EXIT_CHECK;
                }
            } else if (write) {
                if (changed(f) && !write_atomically(f->path, &f->out, &err)) {
                    fprintf(stderr, "crmmap fmt: error: cannot write %s: %s\n", f->path, err);
                    status = EXIT_FATAL;
                }
            } else {
                fwrite(f->out.data ? f->out.data : "", 1, f->out.len, stdout);
            }
        }
    }
    cli_render_diags(sink, dfmt);
    diag_sink_free(sink);
    for (int i = 0; i < n; i++) {
        cm_free(files[i].text);
        cm_buf_free(&files[i].out);
    }
    cm_free(files);
    return status;
}

const Command cmd_fmt = {
    "fmt", "print mappings in the canonical layout",
    "Usage: crmmap fmt [--check | -w] [--format text|json|sarif|github] FILE.map...\n"
    "\n"
    "Prints each mapping in the canonical layout: two-space indentation, one\n"
    "statement per line, aligned table arrows. Every comment is kept; the\n"
    "result means exactly what the input meant, and formatting it again\n"
    "changes nothing. A file with syntax errors is never rewritten: the errors\n"
    "are reported and nothing is printed or written.\n"
    "\n"
    "Options:\n"
    "  --check      print the names of files whose layout would change, write\n"
    "               nothing; exit 1 if there is any\n"
    "  -w, --write  rewrite changed files in place (atomically, via a rename)\n"
    "  --format F   diagnostics as text (default), json, sarif or github\n"
    "\n"
    "Without --check or -w the formatted text goes to standard output.\n"
    "FILE may be '-' for standard input (not with -w).\n"
    "Exit status: 0 ok, 1 syntax errors or --check found changes, 2 usage,\n"
    "4 a file could not be written.\n",
    run,
};
