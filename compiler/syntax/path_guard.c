/* path_guard: see path_guard.h. */
/* realpath is XSI. */
#define _XOPEN_SOURCE 700

#include "path_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "cm_buf.h"

static bool has_git(const char *dir)
{
    CmBuf b = CM_BUF_INIT;
    cm_buf_printf(&b, "%s/.git", strcmp(dir, "/") == 0 ? "" : dir);
    struct stat st;
    bool found = lstat(b.data, &st) == 0;
    cm_buf_free(&b);
    return found;
}

char *path_tree(const char *file)
{
    const char *slash = strrchr(file, '/');
    char *dir = strcmp(file, "-") == 0 || slash == NULL ? cm_strdup(".")
                : slash == file                      ? cm_strdup("/")
                                                     : cm_strndup(file, (size_t)(slash - file));
    char *real = realpath(dir, NULL);
    cm_free(dir);
    if (real == NULL)
        return NULL;
    char *tree = cm_strdup(real);
    free(real);     /* realpath's own allocation */
    /* Walk up one component at a time: bounded by the path's length. */
    char *probe = cm_strdup(tree);
    for (;;) {
        if (has_git(probe)) {
            cm_free(tree);
            return probe;
        }
        char *last = strrchr(probe, '/');
        if (last == NULL || last == probe)
            break;
        *last = '\0';
    }
    cm_free(probe);
    return tree;
}

bool path_is_inside(const char *real, const char *tree)
{
    size_t n = strlen(tree);
    if (strcmp(tree, "/") == 0)
        return true;
    return strncmp(real, tree, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

/* Whether path, resolved now, is the file fd holds and lies inside tree. */
static bool same_file_inside(const char *path, const char *tree, const struct stat *opened)
{
    char *real = realpath(path, NULL);
    if (real == NULL)
        return false;           /* gone since the open: a swap in progress */
    struct stat st;
    bool ok = path_is_inside(real, tree) && stat(real, &st) == 0 &&
              st.st_dev == opened->st_dev && st.st_ino == opened->st_ino;
    free(real);                 /* realpath's own allocation */
    return ok;
}

PathOpen path_open_inside(const char *path, const char *tree, int *fd)
{
    /* O_NONBLOCK: opening a FIFO a mapping names must not wait for a writer.
     * Files named on the command line may be pipes (process substitution). */
    int d = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (tree ? O_NONBLOCK : 0));
    if (d < 0)
        return PO_ERRNO;
    struct stat st;
    PathOpen r = PO_OK;
    if (fstat(d, &st) != 0)
        r = PO_ERRNO;
    else if (tree != NULL && !same_file_inside(path, tree, &st))
        r = PO_OUTSIDE;
    else if (S_ISDIR(st.st_mode))
        r = PO_DIRECTORY;
    else if (tree != NULL && !S_ISREG(st.st_mode))
        r = PO_NOT_REGULAR;
    if (r != PO_OK) {
        int saved = errno;
        close(d);
        errno = saved;
        return r;
    }
    *fd = d;
    return PO_OK;
}
