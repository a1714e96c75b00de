/* embed: the smallest program that runs crmmap bytecode itself, through the
 * installed VM library (docs/install.md, "Embedding the VM").
 *
 *     cc embed.c -o embed $(pkg-config --cflags --libs crmmap-vm)
 *     crmmap compile fair-leads.map -o fair-leads.mapc
 *     ./embed fair-leads.mapc < leads.ndjson
 *
 * It loads and verifies a .mapc, reads records (NDJSON, a JSON array or CSV)
 * from standard input and prints, per record and entity, the line
 * `crmmap run --dry-run` prints. Exit status: 0 every record mapped, 1 the
 * file or the input is unreadable, 2 usage, 3 some records were refused.
 * Out of memory, it exits with status 4 (the library's default, cm_alloc.h). */
#include <stdio.h>
#include <stdlib.h>

#include <crmmap/cm_alloc.h>
#include <crmmap/dryrun.h>
#include <crmmap/record_vm.h>

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

/* Maps every record of rd; returns the exit status. */
static int map_records(const Mapc *m, RecordVm *v, Reader *rd)
{
    CmBuf out = CM_BUF_INIT;
    int status = 0;
    for (;;) {
        RdStatus st = record_vm_read(v, rd);
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
        const VmResult *results = record_vm_run(v);
        for (uint32_t i = 0; i < m->nentities; i++) {
            dryrun_line(m, rd_record_number(rd), &results[i], &out);
            if (results[i].outcome == VM_REJECT || results[i].outcome == VM_SKIP || results[i].outcome == VM_ERROR)
                status = status ? status : 3;
        }
        fwrite(out.data ? out.data : "", 1, out.len, stdout);
        cm_buf_clear(&out);
    }
    cm_buf_free(&out);
    return status;
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
    RecordVm v;
    record_vm_init(&v, m);
    Reader *rd = rd_open(stdin, RD_AUTO, v.paths);
    int status = map_records(m, &v, rd);
    rd_close(rd);
    record_vm_free(&v);
    mapc_free(m);
    return status;
}
