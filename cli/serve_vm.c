/* serve_vm: see serve_vm.h. */
#include "serve_vm.h"

#include <stdio.h>

#include "cm_alloc.h"
#include "mapc_cli.h"
#include "reader.h"

struct ServeVm {
    const Mapc *m;
    CmArena setup;
    RdPaths *paths;
    Value *slots;
    Vm *vm;
    /* The last record's reader: its values point into it until the next call. */
    FILE *in;
    Reader *rd;
};

ServeVm *serve_vm_new(const Mapc *m)
{
    ServeVm *v = cm_calloc(1, sizeof *v);
    v->m = m;
    cm_arena_init(&v->setup, 4096);
    v->paths = rd_paths_new();
    uint32_t *slot_of_path = mapc_cli_paths(m, v->paths, &v->setup);
    v->slots = cm_arena_alloc(&v->setup, (rd_paths_count(v->paths) + 1) * sizeof *v->slots);
    v->vm = vm_new(m, slot_of_path);
    return v;
}

static void close_record(ServeVm *v)
{
    if (v->rd)
        rd_close(v->rd);
    if (v->in)
        fclose(v->in);
    v->rd = NULL;
    v->in = NULL;
}

void serve_vm_free(ServeVm *v)
{
    if (v == NULL)
        return;
    close_record(v);
    vm_free(v->vm);
    rd_paths_free(v->paths);
    cm_arena_free(&v->setup);
    cm_free(v);
}

const VmResult *serve_vm_run(ServeVm *v, const char *text, size_t len, char *err, size_t errlen)
{
    close_record(v);
    v->in = fmemopen((void *)text, len, "r");
    if (v->in == NULL) {
        snprintf(err, errlen, "cannot read the record");
        return NULL;
    }
    v->rd = rd_open(v->in, RD_NDJSON, v->paths);
    vm_begin_record(v->vm);
    RdStatus st = rd_next(v->rd, v->slots, vm_record_arena(v->vm));
    if (st != RD_RECORD) {
        snprintf(err, errlen, "%s", st == RD_END ? "no record" : rd_error(v->rd));
        return NULL;
    }
    return vm_run(v->vm, v->slots);
}
