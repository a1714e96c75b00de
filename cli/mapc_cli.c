/* mapc_cli: see mapc_cli.h. */
#include "mapc_cli.h"

#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "check.h"
#include "cli.h"
#include "cm_alloc.h"
#include "codegen.h"

int mapc_cli_compile(const char *path, DiagFormat fmt, CmBuf *out)
{
    DiagSink *sink = diag_sink_new();
    size_t len = 0;
    const char *err = NULL;
    char *text = cli_read_file(path, AST_MAX_SOURCE + 1, &len, &err);
    int status = EXIT_OK;
    if (text == NULL) {
        const DiagSource *src = diag_source_add(sink, path, NULL, 0);
        diag_report(sink, DIAG_ERROR, "E0001", diag_nowhere(src), "cannot read the file: %s", err);
        cli_render_diags(sink, fmt);
        diag_sink_free(sink);
        return EXIT_CHECK;
    }
    Ast *ast = ast_parse(sink, path, text, len);
    Checked *c = diag_count(sink, DIAG_ERROR) ? NULL : check_mapping(sink, ast, path);
    if (c && diag_count(sink, DIAG_ERROR) == 0) {
        char cerr[256];
        if (!codegen(c, path, out, cerr, sizeof cerr)) {
            fprintf(stderr, "%s: error: cannot compile: %s\n", path, cerr);
            status = EXIT_FATAL;
        }
    }
    if (diag_count(sink, DIAG_ERROR))
        status = EXIT_CHECK;
    cli_render_diags(sink, fmt);
    check_free(c);
    ast_free(ast);
    cm_free(text);
    diag_sink_free(sink);
    return status;
}

bool mapc_cli_is_source(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && strcmp(path + n - 4, ".map") == 0;
}

Mapc *mapc_cli_load(const char *path, int *status)
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
    cm_free(data);
    if (m == NULL) {
        fprintf(stderr, "%s: error: %s\n", path, err);
        *status = EXIT_CHECK;
        return NULL;
    }
    *status = EXIT_OK;
    return m;
}

uint32_t *mapc_cli_register_paths(const Mapc *m, RdPaths *paths, CmArena *arena)
{
    uint32_t *slots = cm_arena_alloc(arena, (m->npaths + 1u) * sizeof *slots);
    for (uint32_t p = 0; p < m->npaths; p++) {
        const MapcPath *mp = &m->paths[p];
        const char **segs = cm_arena_alloc(arena, mp->nsegments * sizeof *segs);
        for (uint32_t i = 0; i < mp->nsegments; i++) {
            uint32_t n;
            const char *s = mapc_str(m, mp->segments[i], &n);
            segs[i] = cm_arena_strndup(arena, s, n);
        }
        slots[p] = (uint32_t)rd_paths_add(paths, segs, mp->nsegments, mp->as_list);
    }
    return slots;
}
