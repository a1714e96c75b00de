/* fuzz_vm: the record reader and the VM on random input records.
 * The program is fixed (built once with the writer): it reads several paths
 * and runs them through most opcodes and every field encoding, so hostile
 * records meet every value conversion. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cm_alloc.h"
#include "fuzz.h"
#include "dryrun.h"
#include "mapc_write.h"
#include "reader.h"
#include "vm.h"


static Mapc *program(void)
{
    MapcWriter *w = mw_new();
    mw_meta(w, "fuzz", "dynamics", "fuzz.map");
    const char *a[] = { "email" }, *b[] = { "answers", "q" }, *c[] = { "n" }, *d[] = { "list" };
    uint32_t pa = mw_path(w, a, 1, false), pb = mw_path(w, b, 2, false), pc = mw_path(w, c, 1, false),
             pd = mw_path(w, d, 1, true);
    uint32_t keys[] = { mw_const_str(w, "x", 1), mw_const_str(w, "1", 1), mw_const_num(w, 2) };
    uint32_t vals[] = { mw_const_num(w, 10), mw_const_num(w, 11), mw_const_num(w, 12) };
    uint32_t opts = mw_table(w, "opts", keys, vals, 3, -1);
    uint32_t lower = mw_builtin(w, BI_lower), len = mw_builtin(w, BI_len);
    MwEntity *e = mw_entity(w, "A", MODE_C_UPSERT, 1, 1);
    uint32_t f[8];
    static const uint8_t enc[8] = { ENC_TEXT, ENC_NUMBER, ENC_BOOL, ENC_MULTI, ENC_OPTION, ENC_OPTION_MULTI,
                                    ENC_TEXT | ENC_STRINGIFY, ENC_NUMBER | ENC_STRINGIFY };
    for (unsigned i = 0; i < 8; i++) {
        char name[] = "f0";
        name[1] = (char)('0' + i);
        f[i] = mw_field(e, name, (MapcFieldSection)(i % 3), enc[i],
                        enc[i] == ENC_OPTION || enc[i] == ENC_OPTION_MULTI ? (int32_t)opts : -1);
    }
    mw_key(e, f[0]);
    uint32_t srcs[4] = { pa, pb, pc, pd };
    for (int i = 0; i < 8; i++) {
        mw_op(e, BC_SRC, srcs[i % 4]);
        mw_op(e, BC_SRC, srcs[(i + 1) % 4]);
        static const OpCode binops[] = { BC_ADD, BC_SUB, BC_EQ, BC_IN, BC_LT, BC_DIV, BC_GE, BC_MUL };
        mw_op(e, binops[i], 0);
        mw_op(e, BC_EMIT, f[i]);
    }
    mw_op(e, BC_SRC, pa);
    mw_op(e, BC_CALL, lower | 1u << 8);
    mw_op(e, BC_CALL, len | 1u << 8);
    mw_op(e, BC_NEG, 0);
    mw_op(e, BC_EMIT, f[1]);
    mw_op(e, BC_SRC, pd);
    mw_op(e, BC_LOOKUP, opts);
    mw_op(e, BC_EMIT, f[5]);
    mw_op(e, BC_RET, 0);
    MwEntity *e2 = mw_entity(w, "B", MODE_C_CREATE, 2, 1);
    uint32_t g = mw_field(e2, "link", FS_PAYLOAD, ENC_REF, -1);
    mw_op(e2, BC_SRC, pb);
    uint32_t j = mw_op(e2, BC_JUMP_IF_FALSE, 0);
    mw_op(e2, BC_REF, 0);
    mw_op(e2, BC_EMIT, g);
    mw_patch_here(e2, j);
    mw_op(e2, BC_RET, 0);
    CmBuf out = CM_BUF_INIT;
    char err[200];
    Mapc *m = NULL;
    if (mw_finish(w, &out, err, sizeof err))
        m = mapc_load((const uint8_t *)out.data, out.len, err, sizeof err);
    if (m == NULL) {
        fprintf(stderr, "fuzz_vm: the fixed program does not load: %s\n", err);
        abort();
    }
    cm_buf_free(&out);
    mw_free(w);
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Mapc *m;
    if (m == NULL)
        m = program();
    FILE *in = fmemopen((void *)data, size ? size : 1, "rb");
    if (in == NULL)
        return 0;
    if (size == 0)
        fgetc(in);
    RdPaths *paths = rd_paths_new();
    uint32_t slot_of_path[4];
    for (uint32_t p = 0; p < m->npaths; p++) {
        const char *segs[2];
        char bufs[2][32];
        for (uint32_t i = 0; i < m->paths[p].nsegments; i++) {
            uint32_t n;
            const char *s = mapc_str(m, m->paths[p].segments[i], &n);
            snprintf(bufs[i], sizeof bufs[i], "%.*s", (int)n, s);
            segs[i] = bufs[i];
        }
        slot_of_path[p] = (uint32_t)rd_paths_add(paths, segs, m->paths[p].nsegments, m->paths[p].as_list);
    }
    Value slots[4];
    Reader *r = rd_open(in, RD_AUTO, paths);
    Vm *vm = vm_new(m, slot_of_path);
    CmBuf out = CM_BUF_INIT;
    for (int guard = 0; guard < 10000; guard++) {
        vm_begin_record(vm);
        RdStatus st = rd_next(r, slots, vm_record_arena(vm));
        if (st == RD_END || st == RD_FATAL)
            break;
        if (st == RD_BAD_RECORD)
            continue;
        const VmResult *res = vm_run(vm, slots);
        for (uint32_t i = 0; i < m->nentities; i++)
            dryrun_line(m, rd_record_number(r), &res[i], &out);
        cm_buf_clear(&out);
    }
    cm_buf_free(&out);
    vm_free(vm);
    rd_close(r);
    rd_paths_free(paths);
    fclose(in);
    return 0;
}
