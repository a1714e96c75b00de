/* mapc_cli: see mapc_cli.h. */
#include "mapc_cli.h"
#include "param_cli.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>     /* optind */

#include "ast_include.h"
#include "cli.h"
#include "cm_alloc.h"
#include "codegen.h"
#include "map_input.h"

int mapc_cli_build(const char *path, DiagFormat fmt, MapcBuild *b)
{
    memset(b, 0, sizeof *b);
    b->sink = diag_sink_new();
    b->text = cli_read_map(b->sink, path, AST_MAX_SOURCE + 1, &b->len);
    if (b->text == NULL) {
        cli_render_diags(b->sink, fmt);
        return EXIT_CHECK;
    }
    int status = EXIT_OK;
    b->ast = ast_parse(b->sink, path, b->text, b->len);
    ast_include(b->sink, b->ast, path);
    if (cli_refuse_include_only(b->sink, b->ast, path, "compile")) {
        cli_render_diags(b->sink, fmt);
        return EXIT_CHECK;
    }
    b->checked = diag_count(b->sink, DIAG_ERROR) ? NULL : check_mapping(b->sink, b->ast, path);
    if (b->checked && diag_count(b->sink, DIAG_ERROR) == 0) {
        char cerr[256];
        Span where;
        if (!codegen(b->checked, path, &b->bytes, cerr, sizeof cerr, &where)) {
            if (where.src != NULL) {
                Diag *d = diag_report(b->sink, DIAG_ERROR, "E0115", where, "%s", cerr);
                diag_help(d, "move long `case` lists into a `table`, or split the work between two entities "
                          "or two mappings");
            } else {
                fprintf(stderr, "%s: error: cannot compile: %s\n", path, cerr);
                status = EXIT_FATAL;
            }
        }
    }
    if (diag_count(b->sink, DIAG_ERROR))
        status = EXIT_CHECK;
    cli_render_diags(b->sink, fmt);
    return status;
}

void mapc_cli_build_free(MapcBuild *b)
{
    cm_buf_free(&b->bytes);
    check_free(b->checked);
    ast_free(b->ast);
    cm_free(b->text);
    diag_sink_free(b->sink);
    memset(b, 0, sizeof *b);
}

int mapc_cli_compile(const char *path, DiagFormat fmt, CmBuf *out)
{
    MapcBuild b;
    int status = mapc_cli_build(path, fmt, &b);
    if (status == EXIT_OK) {
        cm_buf_put(out, b.bytes.data ? b.bytes.data : "", b.bytes.len);
    }
    mapc_cli_build_free(&b);
    return status;
}

bool mapc_cli_is_source(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && strcmp(path + n - 4, ".map") == 0;
}

const char *mapc_cli_operand(const Command *cmd, int argc, char **argv, int *status)
{
    *status = EXIT_OK;
    if (optind == argc - 1)
        return argv[optind];
    *status = cli_usage_error(cmd, optind >= argc ? "no mapping given" : "one mapping at a time");
    return NULL;
}

char *mapc_cli_source(const char *path, const Mapc *m)
{
    uint32_t n;
    const char *src = mapc_str(m, m->source, &n);
    return mapc_cli_is_source(path) || n == 0 ? cm_strdup(path) : cm_strndup(src, n);
}

void mapc_records_open(MapcRecords *r, const Mapc *m, const RunInput *input)
{
    memset(r, 0, sizeof *r);
    record_vm_init(&r->vm, m);
    r->rd = rd_open(input->in, RD_AUTO, r->vm.paths);
    r->input = input;
    r->input_name = input->name;
}

void mapc_records_bad(const MapcRecords *r, const char **why, size_t *line, size_t *col, const char **text,
                      size_t *len)
{
    const char *report_why;
    if (run_input_report(r->input, r->record, line, col, &report_why, text, len)) {
        /* A report that could not be converted, or a record the reader refused. */
        *why = report_why ? report_why : rd_error(r->rd);
        return;
    }
    *why = rd_error(r->rd);
    rd_error_pos(r->rd, line, col);
    *text = rd_record_text(r->rd, len);
}

size_t mapc_records_line(const MapcRecords *r)
{
    size_t line, col, len;
    const char *why, *text;
    return run_input_report(r->input, r->record, &line, &col, &why, &text, &len) ? line : rd_record_line(r->rd);
}

bool mapc_records_next(MapcRecords *r)
{
    r->st = record_vm_read(&r->vm, r->rd);
    if (r->st == RD_END)
        return false;
    r->record = rd_record_number(r->rd);
    if (r->st != RD_FATAL)
        return true;
    /* docs/input.md: every input error has its position; one before the
     * first record (a CSV header, a file that is no JSON array) no record. */
    size_t line, col;
    rd_error_pos(r->rd, &line, &col);
    fprintf(stderr, "%s:%zu:%zu: error: ", r->input_name, line, col);
    if (r->record > 0)
        fprintf(stderr, "record %zu: ", r->record);
    fprintf(stderr, "%s\n", rd_error(r->rd));
    r->unreadable = true;
    return false;
}

void mapc_records_close(MapcRecords *r)
{
    rd_close(r->rd);
    record_vm_free(&r->vm);
}

Mapc *mapc_cli_load_operand(const Command *cmd, int argc, char **argv, int *status)
{
    if (argc != 2 || argv[1][0] == '-') {
        *status = cli_usage_error(cmd, argc < 2 ? "no .mapc file given" : "one .mapc file, no options");
        return NULL;
    }
    return mapc_cli_load(argv[1], status);
}

Mapc *mapc_cli_load(const char *path, int *status)
{
    return mapc_cli_load_image(path, status, NULL);
}

Mapc *mapc_cli_load_image(const char *path, int *status, uint8_t image_sha256[32])
{
    CmBuf bytes = CM_BUF_INIT;
    char *data = NULL;
    size_t len = 0;
    if (mapc_cli_is_source(path)) {
        *status = mapc_cli_compile(path, DIAG_TEXT, &bytes);
        if (*status != EXIT_OK) {
            cm_buf_free(&bytes);
            return NULL;
        }
        len = bytes.len;
        data = cm_buf_take(&bytes);
    } else {
        const char *err = NULL;
        data = cli_read_file(path, MAPC_MAX_FILE + 1, &len, &err);
        if (data == NULL) {
            fprintf(stderr, "%s: error: cannot read the file: %s\n", path, err);
            *status = EXIT_CHECK;
            return NULL;
        }
    }
    char err[300];
    Mapc *m = mapc_load((const uint8_t *)data, len, err, sizeof err);
    unsigned int mdlen = 32;
    if (m && image_sha256 && !EVP_Digest(data, len, image_sha256, &mdlen, EVP_sha256(), NULL))
        memset(image_sha256, 0, 32);
    cm_free(data);
    if (m == NULL) {
        fprintf(stderr, "%s: error: %s\n", path, err);
        *status = EXIT_CHECK;
        return NULL;
    }
    if (!param_cli_apply(m, path, NULL, 0, NULL)) {
        mapc_free(m);
        *status = EXIT_USAGE;
        return NULL;
    }
    *status = EXIT_OK;
    return m;
}
