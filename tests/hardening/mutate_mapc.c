/* mutate_mapc: random mutations of real .mapc files against the loader and
 * verifier, in one process (30,000 process spawns would take minutes).
 *
 *   mutate_mapc COUNT SEED RECORDS FILE.mapc...
 *
 * Each mutant (bit flips, byte stores, truncation, insertion, deletion,
 * duplicated ranges, swapped sections or section payloads, bytes changed
 * inside the entities section where the code is) gets, most of the
 * time, its length field and CRC repaired, so it gets past the checksum to
 * the section and code checks. A mutant must then either be refused with a
 * one-line reason, or load, disassemble and run over every record of
 * RECORDS (dry-run lines) without a memory error — the sanitizer build
 * turns any into a crash. Prints refused/ran counts per file; exit 1 when a
 * refusal has no reason. The seed makes every run repeatable. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cm_alloc.h"
#include "dryrun.h"
#include "mapc.h"
#include "reader.h"
#include "vm.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: small, fast, the same sequence everywhere */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static size_t below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

static CmBuf slurp(const char *path)
{
    CmBuf b = CM_BUF_INIT;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        cm_buf_put(&b, chunk, n);
    fclose(f);
    return b;
}

/* Where each section starts, walked as the loader would, as far as the
 * (maybe already mutated) bytes still make sense. */
typedef struct Section {
    size_t start, payload, end;
} Section;

static size_t sections_of(const CmBuf *b, Section *out, size_t max)
{
    if (b->len < MAPC_HEADER_SIZE + MAPC_TRAILER_SIZE)
        return 0;
    const uint8_t *d = (const uint8_t *)b->data;
    size_t i = MAPC_HEADER_SIZE, n = 0, stop = b->len - MAPC_TRAILER_SIZE;
    while (i < stop && n < max) {
        size_t start = i++;
        uint64_t len = 0;
        for (int shift = 0; i < stop && shift < 35; shift += 7) {
            uint8_t c = d[i++];
            len |= (uint64_t)(c & 0x7f) << shift;
            if (!(c & 0x80))
                break;
        }
        if (len > stop - i)
            break;
        out[n++] = (Section){ start, i, i + (size_t)len };
        i += (size_t)len;
    }
    return n;
}

/* Replaces [a.start, b.end) by the two ranges in swapped order. */
static void swap_ranges(CmBuf *m, size_t a0, size_t a1, size_t b0, size_t b1)
{
    CmBuf t = CM_BUF_INIT;
    cm_buf_put(&t, m->data, a0);
    cm_buf_put(&t, m->data + b0, b1 - b0);
    cm_buf_put(&t, m->data + a1, b0 - a1);
    cm_buf_put(&t, m->data + a0, a1 - a0);
    cm_buf_put(&t, m->data + b1, m->len - b1);
    cm_buf_free(m);
    *m = t;
}

static void splice(CmBuf *m, size_t at, size_t cut, const char *ins, size_t nins)
{
    CmBuf t = CM_BUF_INIT;
    cm_buf_put(&t, m->data, at);
    if (nins)
        cm_buf_put(&t, ins, nins);
    cm_buf_put(&t, m->data + at + cut, m->len - at - cut);
    cm_buf_free(m);
    *m = t;
}

static const uint8_t interesting[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x10, 0x40 };

static void mutate(CmBuf *m)
{
    Section sec[16];
    size_t nsec = sections_of(m, sec, 16);
    uint8_t *d = (uint8_t *)m->data;
    switch (below(10)) {
    case 8:     /* 1..4 bytes inside the entities section: the code, for the verifier */
    case 9: {
        const Section *ent = nsec ? &sec[nsec - 1] : NULL;
        if (ent == NULL || ent->end <= ent->payload) {
            d[below(m->len)] ^= 0x80;
            break;
        }
        for (size_t k = 1 + below(4); k > 0; k--) {
            uint8_t *at = d + ent->payload + below(ent->end - ent->payload);
            *at = below(2) ? (uint8_t)rnd() : (uint8_t)(*at ^ (1u << below(8)));
        }
        break;
    }
    case 0:     /* flip 1..8 bits */
        for (size_t k = 1 + below(8); k > 0; k--)
            d[below(m->len)] ^= (uint8_t)(1u << below(8));
        break;
    case 1:     /* store an interesting byte */
        d[below(m->len)] = interesting[below(sizeof interesting)];
        break;
    case 2:     /* truncate */
        m->len = below(m->len);
        break;
    case 3: {   /* insert 1..16 random bytes */
        char ins[16];
        size_t n = 1 + below(sizeof ins);
        for (size_t i = 0; i < n; i++)
            ins[i] = (char)rnd();
        splice(m, below(m->len + 1), 0, ins, n);
        break;
    }
    case 4: {   /* delete 1..16 bytes */
        size_t at = below(m->len), n = 1 + below(16);
        splice(m, at, n < m->len - at ? n : m->len - at, NULL, 0);
        break;
    }
    case 5: {   /* duplicate a range in place */
        size_t at = below(m->len), n = 1 + below(32);
        if (n > m->len - at)
            n = m->len - at;
        char *copy = cm_malloc(n);
        memcpy(copy, d + at, n);
        splice(m, at, 0, copy, n);
        cm_free(copy);
        break;
    }
    case 6:     /* swap two whole sections (ids out of order) */
    case 7: {   /* swap two payloads, ids and lengths kept in place */
        if (nsec < 2) {
            d[below(m->len)] ^= 1;
            break;
        }
        size_t i = below(nsec), j = below(nsec - 1);
        if (j >= i)
            j++;
        const Section *a = &sec[i < j ? i : j], *b = &sec[i < j ? j : i];
        if (below(2) == 0) {
            swap_ranges(m, a->start, a->end, b->start, b->end);
        } else {
            /* payloads only: the length prefixes then lie, as a hostile file would */
            swap_ranges(m, a->payload, a->end, b->payload, b->end);
        }
        break;
    }
    }
}

/* The length field and CRC made right again, so the mutant meets the checks behind them. */
static void repair(CmBuf *m)
{
    if (m->len < MAPC_HEADER_SIZE + MAPC_TRAILER_SIZE)
        return;
    uint8_t *d = (uint8_t *)m->data;
    uint32_t len = (uint32_t)m->len;
    for (int i = 0; i < 4; i++)
        d[12 + i] = (uint8_t)(len >> (8 * i));
    uint32_t crc = (uint32_t)crc32(0L, d, (uInt)(m->len - 4));
    for (int i = 0; i < 4; i++)
        d[m->len - 4 + i] = (uint8_t)(crc >> (8 * i));
}

/* The dry run of cmd_run.c, in process: every record through every entity. */
static size_t dry_run(const Mapc *m, const CmBuf *records)
{
    FILE *in = fmemopen(records->data, records->len, "rb");
    if (in == NULL) {
        perror("fmemopen");
        exit(2);
    }
    RdPaths *paths = rd_paths_new();
    CmArena setup;
    cm_arena_init(&setup, 4096);
    uint32_t *slot_of_path = cm_arena_alloc(&setup, (m->npaths + 1u) * sizeof *slot_of_path);
    for (uint32_t p = 0; p < m->npaths; p++) {
        const MapcPath *mp = &m->paths[p];
        const char **segs = cm_arena_alloc(&setup, (mp->nsegments + 1u) * sizeof *segs);
        for (uint32_t i = 0; i < mp->nsegments; i++) {
            uint32_t n;
            const char *s = mapc_str(m, mp->segments[i], &n);
            segs[i] = cm_arena_strndup(&setup, s, n);
        }
        slot_of_path[p] = (uint32_t)rd_paths_add(paths, segs, mp->nsegments, mp->as_list);
    }
    Value *slots = cm_arena_alloc(&setup, (rd_paths_count(paths) + 1) * sizeof *slots);
    Reader *rd = rd_open(in, RD_AUTO, paths);
    Vm *vm = vm_new(m, slot_of_path);
    CmBuf out = CM_BUF_INIT;
    size_t lines = 0;
    for (;;) {
        vm_begin_record(vm);
        RdStatus st = rd_next(rd, slots, vm_record_arena(vm));
        if (st == RD_END || st == RD_FATAL)
            break;
        if (st == RD_BAD_RECORD)
            continue;
        const VmResult *res = vm_run(vm, slots);
        for (uint32_t i = 0; i < m->nentities; i++)
            lines += dryrun_line(m, rd_record_number(rd), &res[i], &out);
        cm_buf_clear(&out);
    }
    cm_buf_free(&out);
    vm_free(vm);
    rd_close(rd);
    rd_paths_free(paths);
    cm_arena_free(&setup);
    fclose(in);
    return lines;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: mutate_mapc COUNT SEED RECORDS FILE.mapc...\n");
        return 2;
    }
    unsigned long count = strtoul(argv[1], NULL, 10);
    uint64_t seed = strtoull(argv[2], NULL, 10);
    CmBuf records = slurp(argv[3]);
    int bad = 0;
    for (int f = 4; f < argc; f++) {
        CmBuf orig = slurp(argv[f]);
        char err[300];
        Mapc *m = mapc_load((const uint8_t *)orig.data, orig.len, err, sizeof err);
        if (m == NULL) {
            fprintf(stderr, "%s: the unmutated file does not load: %s\n", argv[f], err);
            return 2;
        }
        size_t base_lines = dry_run(m, &records);
        mapc_free(m);
        rng_state = seed * 0x9e3779b97f4a7c15ull + (uint64_t)f;
        unsigned long refused = 0, by_verifier = 0, ran = 0, raw = 0;
        size_t lines = 0;
        for (unsigned long i = 0; i < count; i++) {
            CmBuf mut = CM_BUF_INIT;
            cm_buf_put(&mut, orig.data, orig.len);
            for (size_t k = 1 + below(3); k > 0 && mut.len > 0; k--)
                mutate(&mut);
            if (below(8) != 0)
                repair(&mut);
            else
                raw++;
            err[0] = '\0';
            m = mapc_load((const uint8_t *)(mut.data ? mut.data : ""), mut.len, err, sizeof err);
            if (m == NULL) {
                refused++;
                by_verifier += strstr(err, "code offset ") != NULL;
                if (err[0] == '\0' || strchr(err, '\n')) {
                    printf("FAIL: %s mutant %lu refused without a one-line reason: '%s'\n", argv[f], i, err);
                    bad++;
                }
            } else {
                ran++;
                CmBuf dis = CM_BUF_INIT;
                mapc_disasm(m, NULL, 0, &dis);
                cm_buf_free(&dis);
                lines += dry_run(m, &records);
                mapc_free(m);
            }
            cm_buf_free(&mut);
        }
        const char *name = strrchr(argv[f], '/') ? strrchr(argv[f], '/') + 1 : argv[f];
        printf("%s: %lu mutants (%lu with the checksum left broken): %lu refused (%lu by the code "
               "verifier), %lu loaded and ran (%zu dry-run lines; the original gives %zu per run)\n",
               name, count, raw, refused, by_verifier, ran, lines, base_lines);
        cm_buf_free(&orig);
    }
    cm_buf_free(&records);
    return bad ? 1 : 0;
}
