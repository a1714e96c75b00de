/* path_guard: opening a file a mapping names so that what is read is what
 * was checked. The checker first refuses paths that resolve outside the
 * mapping's tree (check_paths.c); between that check and the open, a link
 * could be swapped to point elsewhere. path_open_inside closes that gap by
 * checking the opened file itself: the inode behind the descriptor must be
 * the one the path resolves to, and that path must lie inside the tree.
 * Inside a tree it also refuses what is not a regular file (a FIFO would
 * hang the check). */
#ifndef PATH_GUARD_H
#define PATH_GUARD_H

#include <stdbool.h>

typedef enum PathOpen { PO_OK, PO_ERRNO, PO_OUTSIDE, PO_NOT_REGULAR, PO_DIRECTORY } PathOpen;

/* Opens path read-only. tree NULL: anywhere (files named on the command
 * line). On PO_OK *fd is the open descriptor; on PO_ERRNO errno says why. */
PathOpen path_open_inside(const char *path, const char *tree, int *fd);

/* The folder tree a file may be read from, as a real path (cm_free it;
 * NULL when the file's folder cannot be resolved): the nearest folder
 * above the file's folder as written that holds a `.git` (the repository
 * it is versioned in), else that folder itself. A mapping's files must
 * lie in its tree (check_paths.c); so must a .map named on the command
 * line (map_input.c), whatever link leads to it. */
char *path_tree(const char *file);

/* Whether the real (absolute, link-free) path lies in the real path tree. */
bool path_is_inside(const char *real, const char *tree);

#endif
