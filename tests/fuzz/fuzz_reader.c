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

/* Visits every value of the record's tree; returns how many it saw, which
 * must agree with the counts the containers report. */
static size_t walk(const Reader *r, RdNode n, CmArena *arena, unsigned depth)
{
    if (depth > RD_MAX_DEPTH + 1)
        abort();        /* deeper than the parser allows */
    size_t len, seen = 1, kids = 0;
    Value v = rd_value(r, n, arena);
    if (v.type == V_STR && rd_text(r, n, &len) && len != v.len)
        abort();
    rd_key(r, n, &len);
    for (RdNode c = rd_first(r, n); c != RD_NONE; c = rd_next_sibling(r, c)) {
        seen += walk(r, c, arena, depth + 1);
        kids++;
    }
    if (kids != rd_count(r, n))
        abort();
    return seen;
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
        if (st == RD_RECORD) {
            if (rd_kind(r, rd_root(r)) != RDK_OBJECT)
                abort();    /* a record is always an object */
            walk(r, rd_root(r), &arena, 1);
            rd_get_path(r, "answers.q_interest");
        }
        size_t len;
        const char *text = rd_record_text(r, &len);
        unsigned sum = 0;       /* every byte of the text must be readable */
        for (size_t i = 0; i < len; i++)
            sum += (unsigned char)text[i];
        if (sum > 255u * len)
            abort();
        if (st == RD_BAD_RECORD && rd_error(r)[0] == '\0')
            abort();    /* a bad record always says why */
    }
    cm_arena_free(&arena);
    rd_close(r);
    rd_paths_free(paths);
    fclose(in);
}
