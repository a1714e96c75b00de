/* map_input: reads and parses one .map file; see map_input.h. */
#include "map_input.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ast_include.h"
#include "cli.h"
#include "cm_alloc.h"
#include "cm_buf.h"
#include "path_guard.h"

/* Opens the .map path names: a regular file inside its tree (path_tree),
 * so that a link a pull request adds cannot make crmmap read, and show in
 * its diagnostics, a file elsewhere (/proc/self/environ, another
 * repository's files); a FIFO would hang the check. NULL with *why set. */
static FILE *open_map(const char *path, PathOpen *why, char **tree)
{
    *tree = path_tree(path);
    if (*tree == NULL) {
        *why = PO_ERRNO;
        return NULL;
    }
    int fd;
    *why = path_open_inside(path, *tree, &fd);
    if (*why != PO_OK)
        return NULL;
    FILE *f = fdopen(fd, "rb");
    if (f == NULL) {
        *why = PO_ERRNO;
        close(fd);
    }
    return f;
}

static void refuse(DiagSink *sink, const char *path, PathOpen why, int err, const char *tree)
{
    const DiagSource *src = diag_source_add(sink, path, NULL, 0);
    Span nowhere = diag_nowhere(src);
    Diag *d;
    switch (why) {
    case PO_OUTSIDE:
        d = diag_report(sink, DIAG_ERROR, "E0001", nowhere,
                        "cannot read the file: it is a link that leads outside its folder tree %s", tree);
        diag_help(d, "crmmap reads a .map only inside the repository it is in (the nearest folder above it with "
                     "a .git, else its own folder), so that a link added in a pull request cannot show another "
                     "file in the diagnostics: put the file itself there instead of a link");
        break;
    case PO_NOT_REGULAR:
        d = diag_report(sink, DIAG_ERROR, "E0001", nowhere,
                        "cannot read the file: it is not a regular file (a FIFO, a device or a socket)");
        diag_help(d, "name the .map file itself, or pipe the text to `crmmap ... -` (standard input)");
        break;
    case PO_DIRECTORY:
        d = diag_report(sink, DIAG_ERROR, "E0001", nowhere, "cannot read the file: it is a directory");
        diag_help(d, "name the .map files in it, e.g. %s/*.map", path);
        break;
    default:
        diag_report(sink, DIAG_ERROR, "E0001", nowhere, "cannot read the file: %s", strerror(err));
        break;
    }
}

char *cli_read_map(DiagSink *sink, const char *path, size_t max, size_t *len)
{
    *len = 0;
    PathOpen why = PO_OK;
    char *tree = NULL;
    FILE *f = strcmp(path, "-") == 0 ? stdin : open_map(path, &why, &tree);
    int err = errno;
    char *text = f ? cli_read_stream_prefix(f, max, len, &err) : NULL;
    if (f && f != stdin)
        fclose(f);
    if (text == NULL)
        refuse(sink, path, why, err, tree);
    cm_free(tree);
    return text;
}

Ast *cli_parse_map(DiagSink *sink, const char *path, char **text, size_t *len)
{
    *text = cli_read_map(sink, path, AST_MAX_SOURCE + 1, len);
    return *text ? ast_parse(sink, path, *text, *len) : NULL;
}

bool cli_refuse_include_only(const DiagSink *sink, const Ast *ast, const char *path, const char *verb)
{
    if (diag_count(sink, DIAG_ERROR) != 0 || !ast_include_only(ast))
        return false;
    /* Checked alone it would only say that it declares no target. */
    fprintf(stderr,
            "%s: error: an include-only file (no mapping, source or target) has nothing to %s\n"
            "  help: %s the mapping that includes it; `crmmap check %s` checks its syntax and includes\n",
            path, verb, verb, path);
    return true;
}
