/* mtest_paths: which case files a mapping's tests read — those named, the
 * folders named, or the ones next to the mapping (docs/testing.md); shared
 * by `crmmap test` and the language server's show payload. See mtest.h. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "mtest.h"

static void take(MtPaths *p, char *path)
{
    p->v = cm_realloc(p->v, (p->n + 1) * sizeof *p->v);
    p->v[p->n++] = path;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Adds dir's *.json files in name order; false when dir cannot be read. */
static bool add_dir(MtPaths *p, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    size_t first = p->n;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.' || !ends_with(de->d_name, ".json"))
            continue;
        CmBuf b = CM_BUF_INIT;
        cm_buf_printf(&b, "%s%s%s", dir, ends_with(dir, "/") ? "" : "/", de->d_name);
        take(p, cm_buf_take(&b));
    }
    closedir(d);
    qsort(p->v + first, p->n - first, sizeof *p->v, by_name);
    return true;
}

bool mt_paths_add(MtPaths *p, const char *path)
{
    if (is_dir(path))
        return add_dir(p, path);
    take(p, cm_strdup(path));
    return true;
}

void mt_paths_discover(MtPaths *p, const char *map)
{
    size_t stem = strlen(map) - strlen(".map");
    CmBuf b = CM_BUF_INIT;
    cm_buf_printf(&b, "%.*s.test.json", (int)stem, map);
    if (access(b.data, F_OK) == 0)
        take(p, cm_buf_take(&b));
    cm_buf_clear(&b);
    cm_buf_printf(&b, "%.*s.tests", (int)stem, map);
    if (is_dir(b.data))
        add_dir(p, b.data);
    cm_buf_free(&b);
}

void mt_paths_free(MtPaths *p)
{
    cm_strv_free(p->v, p->n);
    p->v = NULL;
    p->n = 0;
}
