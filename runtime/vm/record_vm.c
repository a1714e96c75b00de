/* record_vm: see record_vm.h. */
#include "record_vm.h"

#include "cm_alloc.h"

/* Registers m's source paths with the reader; returns, from arena, the slot
 * of each path (the VM's slot_of_path). */
static uint32_t *register_paths(const Mapc *m, RdPaths *paths, CmArena *arena)
{
    uint32_t *slots = cm_arena_alloc(arena, (m->npaths + 1u) * sizeof *slots);
    for (uint32_t p = 0; p < m->npaths; p++) {
        const MapcPath *mp = &m->paths[p];
        const char **segs = cm_arena_alloc(arena, mp->nsegments * sizeof *segs);
        for (uint32_t i = 0; i < mp->nsegments; i++) {
            uint32_t n;
            const char *s = mapc_str(m, mp->segments[i], &n);
            segs[i] = cm_arena_strndup(arena, s, n);
        }
        slots[p] = (uint32_t)rd_paths_add(paths, segs, mp->nsegments, mp->as_list);
    }
    return slots;
}

void record_vm_init(RecordVm *v, const Mapc *m)
{
    *v = (RecordVm){ .paths = NULL };   /* freeable at every step (cm_alloc.h) */
    cm_arena_init(&v->setup, 4096);
    v->paths = rd_paths_new();
    uint32_t *slot_of_path = register_paths(m, v->paths, &v->setup);
    v->slots = cm_arena_alloc(&v->setup, (rd_paths_count(v->paths) + 1) * sizeof *v->slots);
    v->vm = vm_new(m, slot_of_path);
}

void record_vm_free(RecordVm *v)
{
    vm_free(v->vm);
    rd_paths_free(v->paths);
    cm_arena_free(&v->setup);
}

RdStatus record_vm_read(RecordVm *v, Reader *rd)
{
    vm_begin_record(v->vm);
    return rd_next(rd, v->slots, vm_record_arena(v->vm));
}

const VmResult *record_vm_run(RecordVm *v)
{
    return vm_run(v->vm, v->slots);
}
