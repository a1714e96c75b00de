/* fuzz_reader: see fuzz_reader.h. */
#include "fuzz_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static RdPaths *fuzz_paths(void)
{
    RdPaths *p = rd_paths_new();
    static const char *const email[] = { "email" };
    static const char *const interest[] = { "answers", "q_interest" };
    static const char *const products[] = { "answers", "q_products" };
    static const char *const visit[] = { "visitreport" };
    static const char *const deep[] = { "a", "b", "c" };
    rd_paths_add(p, email, 1, false);
    rd_paths_add(p, interest, 2, false);
    rd_paths_add(p, products, 2, true);
    rd_paths_add(p, visit, 1, false);
    rd_paths_add(p, deep, 3, false);
    return p;
}

void fuzz_reader_run(const uint8_t *data, size_t size, RdFormat fmt)
{
    /* fmemopen refuses a zero-length buffer on some libcs */
    static const char empty[1];
    FILE *in = fmemopen(size ? (void *)data : (void *)empty, size ? size : 1, "rb");
    if (in == NULL)
        return;
    if (size == 0)
        fgetc(in);
    RdPaths *paths = fuzz_paths();
    Reader *r = rd_open(in, fmt, paths);
    CmArena arena;
    cm_arena_init(&arena, 4096);
    Value slots[8];
    for (;;) {
        cm_arena_reset(&arena);
        RdStatus st = rd_next(r, slots, &arena);
        if (st == RD_END || st == RD_FATAL)
            break;
        size_t len;
        const char *text = rd_record_text(r, &len);
        if (len && text[0] == '\0' && text[len - 1] == '\0')
            abort();    /* touches both ends of the text */
        if (st == RD_BAD_RECORD && rd_error(r)[0] == '\0')
            abort();    /* a bad record always says why */
    }
    cm_arena_free(&arena);
    rd_close(r);
    rd_paths_free(paths);
    fclose(in);
}
