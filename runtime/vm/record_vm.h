/* record_vm: a loaded mapping wired to the record reader, for every program
 * that runs a .mapc over records (run, test, plan, serve, and embedders):
 * the mapping's source paths registered with a reader, room for one
 * record's slots, and the VM that reads them. */
#ifndef RECORD_VM_H
#define RECORD_VM_H

#include "cm_buf.h"
#include "mapc.h"
#include "reader.h"
#include "vm.h"

/* A loaded mapping ready to run record after record: its source paths
 * registered with the reader (open readers on paths), room for one record's
 * slots, and a VM whose slot_of_path points into setup. */
typedef struct RecordVm {
    CmArena setup;
    RdPaths *paths;
    Value *slots;
    Vm *vm;
} RecordVm;

/* Out of memory with a hook that jumps (cm_alloc.h), v is still fine to
 * give to record_vm_free. */
void record_vm_init(RecordVm *v, const Mapc *m);
void record_vm_free(RecordVm *v);

/* Starts a record (the previous one's values are gone) and reads it from rd
 * into the slots. */
RdStatus record_vm_read(RecordVm *v, Reader *rd);

/* Runs every entity on the record just read: m->nentities results, valid
 * until the next record_vm_read. */
const VmResult *record_vm_run(RecordVm *v);

#endif
