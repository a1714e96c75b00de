/* map_input: reads and parses one .map file; see map_input.h. */
#include "map_input.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cm_alloc.h"
#include "cm_buf.h"

Ast *cli_parse_map(DiagSink *sink, const char *path, char **text, size_t *len)
{
    int err = 0;
    *len = 0;
    *text = cli_read_prefix(path, AST_MAX_SOURCE + 1, len, &err);
    if (*text == NULL) {
        const DiagSource *src = diag_source_add(sink, path, NULL, 0);
        diag_report(sink, DIAG_ERROR, "E0001", diag_nowhere(src), "cannot read the file: %s", strerror(err));
        return NULL;
    }
    return ast_parse(sink, path, *text, *len);
}
