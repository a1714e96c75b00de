/* serve_vm: the mapping run on one record given as a line of JSON text, for
 * `crmmap serve` (the intake checks every record before storing it; the
 * sender maps inbox records for the transfer engine). One per thread. */
#ifndef SERVE_VM_H
#define SERVE_VM_H

#include <stddef.h>

#include "mapc.h"
#include "vm.h"

typedef struct ServeVm ServeVm;

ServeVm *serve_vm_new(const Mapc *m);
void serve_vm_free(ServeVm *v);

/* Reads text (one JSON object) and runs every entity on it: m->nentities
 * results, valid until the next call. NULL when the text is not a good
 * record, with the reader's reason in err. */
const VmResult *serve_vm_run(ServeVm *v, const char *text, size_t len, char *err, size_t errlen);

#endif
