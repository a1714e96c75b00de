/* map_input: reads and parses one .map file; see map_input.h. */
#include "map_input.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "cm_buf.h"

/* Reads at most max bytes; stops there rather than failing, so an
   oversized file still gets a diagnostic with a position. */
static char *read_prefix(const char *path, size_t max, size_t *len, int *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        *err = errno;
        return NULL;
    }
    CmBuf b = CM_BUF_INIT;
    char chunk[65536];
    size_t n;
    while (b.len < max && (n = fread(chunk, 1, sizeof chunk < max - b.len ? sizeof chunk : max - b.len, f)) > 0)
        cm_buf_put(&b, chunk, n);
    *err = ferror(f) ? errno : 0;
    if (f != stdin)
        fclose(f);
    if (*err) {
        cm_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return cm_buf_take(&b);
}

Ast *cli_parse_map(DiagSink *sink, const char *path, char **text, size_t *len)
{
    int err = 0;
    *len = 0;
    *text = read_prefix(path, AST_MAX_SOURCE + 1, len, &err);
    if (*text == NULL) {
        const DiagSource *src = diag_source_add(sink, path, NULL, 0);
        diag_report(sink, DIAG_ERROR, "E0001", diag_nowhere(src), "cannot read the file: %s", strerror(err));
        return NULL;
    }
    return ast_parse(sink, path, *text, *len);
}
