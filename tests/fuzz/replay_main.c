/* replay_main: runs a fuzz target's LLVMFuzzerTestOneInput on files, so the
 * corpora replay under ordinary (gcc, sanitizer or not) builds in ctest.
 * Usage: fuzz_TARGET FILE|DIR...  (a folder's files are run in name order,
 * hidden files skipped). Fails when there is nothing to run. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "fuzz.h"

/* Inputs beyond this are not fuzzer-sized: refuse rather than replay them. */
enum { MAX_INPUT = 64 * 1024 * 1024 };

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    CmBuf b = CM_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= MAX_INPUT)
        cm_buf_put(&b, chunk, n);
    bool failed = ferror(f) || b.len > MAX_INPUT;
    fclose(f);
    if (failed) {
        fprintf(stderr, "replay: %s: unreadable or larger than %d bytes\n", path, MAX_INPUT);
        cm_buf_free(&b);
        return -1;
    }
    /* An exact-size copy, so reading past the end is caught by ASan. */
    size_t len = b.len;
    uint8_t *data = cm_malloc(len ? len : 1);
    if (len)
        memcpy(data, b.data, len);
    cm_buf_free(&b);
    LLVMFuzzerTestOneInput(data, len);
    cm_free(data);
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            names = cm_realloc(names, cap * sizeof *names);
        }
        CmBuf path = CM_BUF_INIT;
        cm_buf_printf(&path, "%s/%s", dir, e->d_name);
        names[count++] = cm_buf_take(&path);
    }
    closedir(d);
    qsort(names, count, sizeof *names, by_name);
    int ran = 0;
    for (size_t i = 0; i < count; i++) {
        int r = run_file(names[i]);
        ran = ran < 0 || r < 0 ? -1 : ran + r;
        cm_free(names[i]);
    }
    cm_free(names);
    return ran;
}

int main(int argc, char **argv)
{
    int total = 0;
    for (int i = 1; i < argc && total >= 0; i++) {
        struct stat sb;
        int r = stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
        total = r < 0 ? -1 : total + r;
    }
    if (total <= 0) {
        fprintf(stderr, "replay: %s\n", total < 0 ? "an input could not be read" : "no inputs to replay");
        return 1;
    }
    printf("replayed %d inputs\n", total);
    return 0;
}
