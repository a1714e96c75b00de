/* check_paths: where the files a mapping names may be. Paths are relative to
 * the .map's folder (docs/language.md) and must stay inside the mapping's tree: the
 * nearest folder above the .map that holds a `.git` (the repository the
 * mapping is versioned in), or the .map's own folder when there is none.
 * A mapping checked in CI therefore cannot make crmmap read, and echo in its
 * diagnostics, files elsewhere on the machine: absolute paths, `..` that
 * climbs out of the tree and symbolic links that lead out are refused here,
 * with a diagnostic at the path; the loaders check the opened file again
 * (path_guard.h), so a link swapped after this check is refused too. */
/* realpath is XSI. */
#define _XOPEN_SOURCE 700

#include "check_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cm_alloc.h"
#include "path_guard.h"

/* The .map's folder as written ("." for a bare name or standard input). */
static char *map_dir(CmArena *a, const char *map_path)
{
    const char *slash = strrchr(map_path, '/');
    if (strcmp(map_path, "-") == 0 || slash == NULL)
        return cm_arena_strdup(a, ".");
    if (slash == map_path)
        return cm_arena_strdup(a, "/");
    return cm_arena_strndup(a, map_path, (size_t)(slash - map_path));
}

static char *real_path(CmArena *a, const char *path)
{
    char *real = realpath(path, NULL);
    if (real == NULL)
        return NULL;
    char *copy = cm_arena_strdup(a, real);
    free(real);     /* realpath's own allocation */
    return copy;
}

void ck_paths_init(Checker *ck, const char *map_path)
{
    ck->map_dir = map_dir(ck->arena, map_path);
    char *tree = path_tree(map_path);
    ck->tree = tree ? cm_arena_strdup(ck->arena, tree) : NULL;
    cm_free(tree);
}

static void outside(Checker *ck, const char *path, const char *real, Span at)
{
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0113", at,
                          "'%s' leads outside the mapping's folder tree", path);
    diag_help(d, "it resolves to %s; a mapping may only read files below %s", real, ck->tree);
    diag_help(d, "keep the field definitions beside the mapping: crmmap schema import ... -o DIR");
}

bool ck_dir_inside(Checker *ck, const char *dir, const char *written, Span at)
{
    DIR *d = opendir(dir);
    if (d == NULL || ck->tree == NULL) {
        if (d)
            closedir(d);
        return true;    /* the loader reports what it cannot read */
    }
    bool ok = true;
    size_t seen = 0;
    struct dirent *ent;
    /* Only .json names count towards the cap, as in the loader: counting every
     * entry let a link out hide behind 10,001 other files (the loader's own
     * check on the opened file refuses it now too). */
    while (ok && seen <= SCHEMA_MAX_DIR_FILES && (ent = readdir(d)) != NULL) {
        size_t n = strlen(ent->d_name);
        if (n < 5 || strcmp(ent->d_name + n - 5, ".json") != 0)
            continue;
        seen++;
        CmBuf b = CM_BUF_INIT;
        cm_buf_printf(&b, "%s/%s", dir, ent->d_name);
        const char *real = real_path(ck->arena, b.data);
        if (real && !path_is_inside(real, ck->tree)) {
            CmBuf shown = CM_BUF_INIT;
            cm_buf_printf(&shown, "%s/%s", written, ent->d_name);
            outside(ck, shown.data, real, at);
            cm_buf_free(&shown);
            ok = false;
        }
        cm_buf_free(&b);
    }
    closedir(d);
    return ok;
}

const char *ck_resolve_path(Checker *ck, const char *path, Span at)
{
    if (path[0] == '/') {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0113", at,
                              "'%s' is an absolute path; paths are relative to the mapping's folder", path);
        diag_help(d, "write it relative to %s, so the mapping checks the same on every machine", ck->map_dir);
        return NULL;
    }
    CmBuf b = CM_BUF_INIT;
    if (strcmp(ck->map_dir, ".") == 0)
        cm_buf_puts(&b, path);
    else
        cm_buf_printf(&b, "%s/%s", ck->map_dir, path);
    char *joined = cm_arena_strndup(ck->arena, b.data, b.len);
    cm_buf_free(&b);
    /* A file that is not there is the loader's to report: nothing is read. */
    const char *real = real_path(ck->arena, joined);
    if (real == NULL || ck->tree == NULL || path_is_inside(real, ck->tree))
        return joined;
    outside(ck, path, real, at);
    return NULL;
}
