/* embed: the smallest program that runs crmmap bytecode itself, through the
 * installed runtime library (docs/install.md, "Embedding the runtime").
 *
 *     cc embed.c -o embed $(pkg-config --cflags --libs crmmap-runtime)
 *     crmmap compile fair-leads.map -o fair-leads.mapc
 *     ./embed fair-leads.mapc < leads.ndjson
 *
 * It loads and verifies a .mapc, reads records (NDJSON, a JSON array or CSV)
 * from standard input and prints, per record and entity, the line
 * `crmmap run --dry-run` prints. Exit status: 0 every record mapped, 1 the
 * file or the input is unreadable, 2 usage, 3 some records were refused. */
#include <stdio.h>
#include <stdlib.h>

#include <crmmap/cm_alloc.h>
#include <crmmap/dryrun.h>
#include <crmmap/mapc.h>
#include <crmmap/reader.h>
#include <crmmap/vm.h>

/* Reads the whole .mapc; NULL when it cannot be read or is too large to be one. */
static unsigned char *read_mapc(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    unsigned char *data = cm_malloc(MAPC_MAX_FILE + 1u);
    *len = fread(data, 1, MAPC_MAX_FILE + 1u, f);
    int bad = ferror(f) || *len > MAPC_MAX_FILE;
    fclose(f);
    if (bad) {
        cm_free(data);
        return NULL;
    }
    return data;
}

/* Tells the reader which source paths the bytecode reads; returns, per path
 * of the mapping, the record slot the reader fills for it. */
static uint32_t *register_paths(const Mapc *m, RdPaths *paths, CmArena *arena)
{
    uint32_t *slot_of_path = cm_arena_alloc(arena, (m->npaths + 1u) * sizeof *slot_of_path);
    for (uint32_t p = 0; p < m->npaths; p++) {
        const MapcPath *mp = &m->paths[p];
        const char **segments = cm_arena_alloc(arena, (mp->nsegments + 1u) * sizeof *segments);
        for (uint32_t i = 0; i < mp->nsegments; i++) {
            uint32_t n;
            const char *s = mapc_str(m, mp->segments[i], &n);
            segments[i] = cm_arena_strndup(arena, s, n);
        }
        slot_of_path[p] = (uint32_t)rd_paths_add(paths, segments, mp->nsegments, mp->as_list);
    }
    return slot_of_path;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.mapc < RECORDS\n", argv[0]);
        return 2;
    }
    size_t len = 0;
    unsigned char *data = read_mapc(argv[1], &len);
    if (data == NULL) {
        fprintf(stderr, "%s: error: cannot read the file\n", argv[1]);
        return 1;
    }
    char err[300];
    Mapc *m = mapc_load(data, len, err, sizeof err);
    cm_free(data);
    if (m == NULL) {
        fprintf(stderr, "%s: error: %s\n", argv[1], err);
        return 1;
    }

    CmArena setup;
    cm_arena_init(&setup, 4096);
    RdPaths *paths = rd_paths_new();
    uint32_t *slot_of_path = register_paths(m, paths, &setup);
    Value *slots = cm_arena_alloc(&setup, (rd_paths_count(paths) + 1u) * sizeof *slots);
    Reader *rd = rd_open(stdin, RD_AUTO, paths);
    Vm *vm = vm_new(m, slot_of_path);
    CmBuf out = CM_BUF_INIT;
    int status = 0;
    for (;;) {
        vm_begin_record(vm);
        RdStatus st = rd_next(rd, slots, vm_record_arena(vm));
        if (st == RD_END)
            break;
        if (st == RD_FATAL || st == RD_BAD_RECORD) {
            size_t line, col;
            rd_error_pos(rd, &line, &col);
            fprintf(stderr, "stdin:%zu:%zu: error: record %zu: %s\n", line, col, rd_record_number(rd),
                    rd_error(rd));
            if (st == RD_FATAL) {
                status = 1;
                break;
            }
            status = 3;
            continue;
        }
        const VmResult *results = vm_run(vm, slots);
        for (uint32_t i = 0; i < m->nentities; i++) {
            dryrun_line(m, rd_record_number(rd), &results[i], &out);
            if (results[i].outcome == VM_REJECT || results[i].outcome == VM_SKIP || results[i].outcome == VM_ERROR)
                status = status ? status : 3;
        }
        fwrite(out.data ? out.data : "", 1, out.len, stdout);
        cm_buf_clear(&out);
    }
    cm_buf_free(&out);
    vm_free(vm);
    rd_close(rd);
    rd_paths_free(paths);
    cm_arena_free(&setup);
    mapc_free(m);
    return status;
}
