/* dryrun: the `run --dry-run` output (docs/run.md, docs/bytecode.md "Dry-run
 * output"): one JSON line per record and entity, built from a VmResult. */
#ifndef DRYRUN_H
#define DRYRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_buf.h"
#include "mapc.h"
#include "vm.h"

/* Appends the line (newline included) for entity result r of source record
 * number record (1-based). Returns false, appending nothing, for VM_NONE. */
bool dryrun_line(const Mapc *m, size_t record, const VmResult *r, CmBuf *out);

/* Appends a value as the connector would send it: JSON text, a ref as
 * {"ref": "Contact"}, clear as null. */
void dryrun_value(const Mapc *m, const Value *v, CmBuf *out);

/* The same for a value of field f: a text id for a Dynamics lookup is its
 * binding, "/systemusers(id)" (f->json_key is then "NAV@odata.bind": ); a
 * file its {"file": {...}} description (file_describe), never its bytes. */
void dryrun_field_value(const Mapc *m, const MapcField *f, const Value *v, CmBuf *out);

#endif
