/* serve_vm: see serve_vm.h. */
#include "serve_vm.h"

#include <stdio.h>

#include "cm_alloc.h"
#include "mapc_cli.h"
#include "reader.h"

struct ServeVm {
    RecordVm rv;
    /* The last record's reader: its values point into it until the next call. */
    FILE *in;
    Reader *rd;
};

ServeVm *serve_vm_new(const Mapc *m)
{
    ServeVm *v = cm_calloc(1, sizeof *v);
    record_vm_init(&v->rv, m);
    return v;
}

static void close_record(ServeVm *v)
{
    rd_close(v->rd);
    rd_close_input(v->in);
    v->rd = NULL;
    v->in = NULL;
}

void serve_vm_free(ServeVm *v)
{
    if (v == NULL)
        return;
    close_record(v);
    record_vm_free(&v->rv);
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
    v->rd = rd_open(v->in, RD_NDJSON, v->rv.paths);
    RdStatus st = record_vm_read(&v->rv, v->rd);
    if (st != RD_RECORD) {
        snprintf(err, errlen, "%s", st == RD_END ? "no record" : rd_error(v->rd));
        return NULL;
    }
    return record_vm_run(&v->rv);
}
